"""§7.1 confidential documents stay out of caches: every response but a static asset says `no-store, private`."""

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from saas.billing import services as billing
from saas.billing.models import Invoice
from saas.contracts import signing
from saas.requests import services as tickets
from saas.requests.models import RequestAttachment


def never_cached(response) -> bool:
    return response.cache_control.no_store and response.cache_control.private


@pytest.fixture
def contract(db, world, make_signed_contract, clock):
    """Alpha's first client under a contract in force since 1 November 2026, with the request categories."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    tickets.categories(tenant)
    db.session.commit()
    return contract


def test_s7_1_invoice_pdfs_are_never_cached(client, db, world, contract, clock):
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    billing.bill(world.tenant("alpha"), [contract.id], date(2026, 12, 1))
    db.session.commit()
    invoice = db.session.scalar(select(Invoice))
    client.sign_in(world.person("alpha", "vendor_billing").email)
    staff = client.get(f"/t/alpha/billing/{invoice.id}/pdf/en")
    assert staff.status_code == 200 and staff.mimetype == "application/pdf"
    assert never_cached(staff)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/portal/invoices/{invoice.id}/pdf/zh_Hans_CN")
    assert portal.status_code == 200 and never_cached(portal)


def test_s7_1_agreement_pdfs_and_service_record_exports_are_never_cached(client, world, contract):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    for extension in ("csv", "xlsx"):
        export = client.get(
            f"/t/alpha/records/export.{extension}?contract={contract.id}&start=2026-11-01&end=2026-11-30"
        )
        assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
        assert never_cached(export), extension
    document = signing.documents(contract)[0]
    agreement = client.get(f"/t/alpha/contracts/{contract.id}/documents/{document.id}/pdf")
    assert agreement.status_code == 200 and agreement.mimetype == "application/pdf"
    assert never_cached(agreement)


def test_s7_1_request_attachments_are_never_cached(client, db, world, contract):
    client.sign_in(world.person("alpha", "client_user").email)
    cats = {c.code: c for c in tickets.categories(world.tenant("alpha"))}
    response = client.post_form(
        "/t/alpha/portal/requests/new",
        {
            "category_id": cats["FAULT"].id,
            "priority": "urgent",
            "subject": "ERP 无法登录",
            "description": "报错",
            "attachment": (io.BytesIO(b"trace"), "error.log"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    row = db.session.scalar(select(RequestAttachment))
    portal = client.get(f"/t/alpha/portal/requests/{row.request_id}/files/{row.id}")
    assert portal.status_code == 200 and portal.get_data() == b"trace" and never_cached(portal)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    staff = client.get(f"/t/alpha/requests/{row.request_id}/files/{row.id}")
    assert staff.status_code == 200 and never_cached(staff)


def test_s7_1_pages_redirects_and_errors_are_never_cached_but_static_assets_may_be(client, world):
    assert never_cached(client.get("/login"))
    assert never_cached(client.get("/t/alpha/"))  # the redirect to sign in
    assert never_cached(client.get("/no-such-page"))
    asset = client.get("/static/css/app.css")
    assert asset.status_code == 200 and not asset.cache_control.no_store and not asset.cache_control.private
