"""§13.1–§13.3 through the screens: the vendor's offers (bad prices and terms refused with the reason, nothing
written), proposing an add-on under an agreement in force, the client requesting one in the portal, both parties
signing it, amending it from a day (the amendment replaces it from then on, billed once) and ending it; the tabs as
HTMX fragments; another client, a client user and a tenant without the plugin are kept out."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from saas.addons import services as addons
from saas.addons.models import AddonAgreement, AddonOffer, AddonStatus
from saas.billing import services as billing
from saas.billing.models import Invoice, InvoiceLine
from saas.extensions import db
from tests.addons.stand_in import SellsAddons

OFFER = {
    "addon_type": SellsAddons.name,
    "name_zh": "工时包",
    "name_en": "Hours bank",
    "description_zh": "每月工时",
    "description_en": "Engineer hours each month",
    "monthly_fee": "900.00",
    "term_hours": "20",
    "active": "y",
}


@pytest.fixture
def shop(db, world, make_signed_contract, enable_plugin, plugin, clock):
    """Alpha's first client under an agreement in force from 1 January 2027, the add-on plugin enabled for alpha
    (not for beta), one offer at 900.00 a month."""
    clock.set(datetime(2027, 1, 5, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2027, 1, 1), term_years=1)
    enable_plugin(tenant, SellsAddons.name)
    g.pop("_enabled_plugins", None)
    offer = addons.save_offer(tenant, {**OFFER, "terms": {"hours": 20}}, world.person("alpha", "vendor_admin"))
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "offer": offer}


def offers_count() -> int:
    return db.session.scalar(select(func.count(AddonOffer.id)))


def sign_on_screen(client, world, agreement_id, email, url):
    """Sign the agreement's frozen text as the person behind `email`, on the signatures tab's form."""
    client.sign_in(email)
    document = addons.documents(db.session.get(AddonAgreement, agreement_id))[0]
    return client.post_form(url, {"document_id": document.id, "sha256": document.sha256, "confirm": "y"})


def test_s13_1_an_offer_with_a_bad_price_or_term_is_refused_with_the_reason(db, client, world, shop):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get("/t/alpha/addons/offers").get_data(as_text=True)
    assert "Hours bank" in page and "Test add-on" in page
    before = offers_count()
    too_precise = client.post_form("/t/alpha/addons/offers/new", {**OFFER, "monthly_fee": "900.001"})
    assert too_precise.status_code == 422 and "monthly fee" in too_precise.get_data(as_text=True).lower()
    too_many_hours = client.post_form("/t/alpha/addons/offers/new", {**OFFER, "term_hours": "500"})
    assert too_many_hours.status_code == 422 and "200" in too_many_hours.get_data(as_text=True)
    not_a_number = client.post_form("/t/alpha/addons/offers/new", {**OFFER, "monthly_fee": "九百"})
    assert not_a_number.status_code == 422
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    in_chinese = client.post_form("/t/alpha/addons/offers/new", {**OFFER, "name_zh": ""})
    assert in_chinese.status_code == 422 and "工时包" not in in_chinese.get_data(as_text=True).split("<form")[0]
    assert offers_count() == before  # nothing written by any refusal
    saved = client.post_form("/t/alpha/addons/offers/new", {**OFFER, "name_en": "Hours bank 40", "term_hours": "40"})
    assert saved.status_code == 302
    made = db.session.scalar(select(AddonOffer).where(AddonOffer.name_en == "Hours bank 40"))
    assert made.monthly_fee == Decimal("900.00") and made.default_terms == {"hours": 40}


def test_s13_1_a_type_not_enabled_for_the_tenant_is_not_offered(db, client, world, shop, enable_plugin):
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert client.get(f"/t/beta/addons/offers/new?addon_type={SellsAddons.name}").status_code == 404
    refused = client.post_form("/t/beta/addons/offers/new", OFFER)
    assert refused.status_code == 404 and offers_count() == 1
    enable_plugin(shop["tenant"], SellsAddons.name, enabled=False)  # switched off where nothing is signed yet
    db.session.commit()
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.get(f"/t/alpha/portal/addons/request/{shop['offer'].id}").status_code == 404
    assert "Hours bank" not in client.get("/t/alpha/portal/addons/").get_data(as_text=True)


def test_s13_3_proposed_by_the_vendor_in_force_once_both_have_signed(db, client, world, shop):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    outside = client.post_form(
        "/t/alpha/addons/propose",
        {"contract_id": shop["contract"].id, "offer_id": shop["offer"].id, "starts_on": "2028-02-01", "term_hours": 20},
    )
    assert outside.status_code == 422 and db.session.scalar(select(func.count(AddonAgreement.id))) == 0
    sent = client.post_form(
        "/t/alpha/addons/propose",
        {"contract_id": shop["contract"].id, "offer_id": shop["offer"].id, "starts_on": "2027-01-16", "term_hours": 30},
    )
    assert sent.status_code == 302
    agreement = db.session.scalar(select(AddonAgreement))
    assert (agreement.starts_on, agreement.terms, agreement.status) == (
        date(2027, 1, 16),
        {"hours": 30},
        AddonStatus.AWAITING_SIGNATURES,
    )
    vendor_url = f"/t/alpha/addons/{agreement.id}/sign"
    assert sign_on_screen(client, world, agreement.id, world.person("alpha", "vendor_admin").email, vendor_url)
    portal_url = f"/t/alpha/portal/addons/{agreement.id}/sign"
    other = sign_on_screen(client, world, agreement.id, world.person("alpha", "client_admin_2").email, portal_url)
    assert other.status_code == 404  # another client's admin does not sign it
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.post_form(portal_url, {"document_id": 1, "sha256": "0" * 64, "confirm": "y"}).status_code == 403
    sign_on_screen(client, world, agreement.id, world.person("alpha", "client_admin").email, portal_url)
    db.session.expire_all()
    assert db.session.get(AddonAgreement, agreement.id).status == AddonStatus.ACTIVE
    for tab in ("terms", "signatures", "charges", "history"):
        fragment = client.get(
            f"/t/alpha/portal/addons/{agreement.id}?tab={tab}", headers={"HX-Request": "true", "HX-Target": "addon-tab"}
        )
        body = fragment.get_data(as_text=True)
        assert fragment.status_code == 200 and "<html" not in body and f'data-tab="{tab}"' in body
    history = client.get(f"/t/alpha/portal/addons/{agreement.id}?tab=history").get_data(as_text=True)
    assert "signed by both parties" in history and "<html" in history


def test_s13_1_the_client_requests_an_offer_in_the_portal_and_both_sign(db, client, world, shop):
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.get(f"/t/alpha/portal/addons/request/{shop['offer'].id}").status_code == 403  # its admin asks
    client.sign_in(world.person("alpha", "client_admin").email)
    listing = client.get("/t/alpha/portal/addons/").get_data(as_text=True)
    assert "Hours bank" in listing and "900.00" in listing
    bad = client.post_form(f"/t/alpha/portal/addons/request/{shop['offer'].id}", {"starts_on": "2027-13-01"})
    assert bad.status_code == 422 and db.session.scalar(select(func.count(AddonAgreement.id))) == 0
    asked = client.post_form(f"/t/alpha/portal/addons/request/{shop['offer'].id}", {"starts_on": "2027-02-01"})
    again = client.post_form(f"/t/alpha/portal/addons/request/{shop['offer'].id}", {"starts_on": "2027-02-01"})
    assert asked.status_code == 302 and again.status_code in (302, 422)
    agreement = db.session.scalar(select(AddonAgreement))
    assert db.session.scalar(select(func.count(AddonAgreement.id))) == 1  # asked twice: one agreement waits
    assert agreement.client_id == world.clients("alpha")[0].id and agreement.terms == {"hours": 20}
    portal_url = f"/t/alpha/portal/addons/{agreement.id}/sign"
    sign_on_screen(client, world, agreement.id, world.person("alpha", "client_admin").email, portal_url)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    waiting = client.get("/t/alpha/addons/?status=awaiting_signatures").get_data(as_text=True)
    assert agreement.number in waiting
    sign_on_screen(
        client, world, agreement.id, world.person("alpha", "vendor_admin").email, f"/t/alpha/addons/{agreement.id}/sign"
    )
    db.session.expire_all()
    assert db.session.get(AddonAgreement, agreement.id).status == AddonStatus.ACTIVE
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/addons/{agreement.id}").status_code == 404
    assert agreement.number not in client.get("/t/alpha/portal/addons/").get_data(as_text=True)


def signed_now(shop, world, starts_on) -> AddonAgreement:
    agreement = addons.propose(
        shop["contract"], shop["offer"], {"starts_on": starts_on}, world.person("alpha", "vendor_admin")
    )
    db.session.commit()
    document = addons.documents(agreement)[0]
    addons.sign(agreement, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)
    addons.sign(agreement, "A", world.person("alpha", "client_admin"), document.id, document.sha256)
    db.session.commit()
    return agreement


def monthly_lines(invoice) -> list[tuple[int, Decimal]]:
    rows = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "add_on")
    ).all()
    return sorted((r.source["addon_agreement_id"], r.amount) for r in rows)


def test_s13_1_the_amend_form_starts_the_changes_today_or_on_the_first_day_not_yet_come(db, client, world, shop, clock):
    running = signed_now(shop, world, date(2027, 1, 5))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    clock.set(datetime(2027, 1, 20, 1, 0, tzinfo=UTC))  # 09:00 on 20 January in Shanghai
    page = client.get(f"/t/alpha/addons/{running.id}/amend").get_data(as_text=True)
    assert 'value="2027-01-20"' in page
    assert 'value="2027-01-05"' not in page
    clock.set(datetime(2027, 1, 1, 1, 0, tzinfo=UTC))  # before the add-on begins: its first day
    page = client.get(f"/t/alpha/addons/{running.id}/amend").get_data(as_text=True)
    assert 'value="2027-01-05"' in page


def test_s13_1_an_amendment_replaces_the_addon_from_its_day_billed_once(db, client, world, shop, clock):
    original = signed_now(shop, world, date(2027, 1, 5))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"/t/alpha/addons/{original.id}/amend"
    assert client.get(url).status_code == 200
    same = client.post_form(url, {"starts_on": "2027-01-21", "monthly_fee": "900.00", "term_hours": "20"})
    assert same.status_code == 422  # an amendment that changes nothing
    no_day = client.post_form(url, {"starts_on": "", "monthly_fee": "1200.00", "term_hours": "20"})
    assert no_day.status_code == 422
    sent = client.post_form(url, {"starts_on": "2027-01-21", "monthly_fee": "1240.00", "term_hours": "30"})
    assert sent.status_code == 302
    amendment = db.session.scalar(select(AddonAgreement).where(AddonAgreement.amends_id == original.id))
    for party, person in (("B", "vendor_admin"), ("A", "client_admin")):
        document = addons.documents(amendment)[0]
        addons.sign(amendment, party, world.person("alpha", person), document.id, document.sha256)
    db.session.commit()
    db.session.expire_all()
    original = db.session.get(AddonAgreement, original.id)
    assert original.status == AddonStatus.ENDED and original.ended_from == date(2027, 1, 21)
    clock.set(datetime(2027, 2, 1, 1, 0, tzinfo=UTC))
    billing.bill(shop["tenant"], [shop["contract"].id], date(2027, 2, 1))
    billing.bill(shop["tenant"], [shop["contract"].id], date(2027, 2, 1))  # a re-run adds nothing
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == shop["contract"].id))
    # January: 5–20 January, 16 days of 31 at 900.00 = 464.52, then 11 days at 1,240.00 = 440.00
    assert monthly_lines(invoice) == sorted([(original.id, Decimal("464.52")), (amendment.id, Decimal("440.00"))])
    detail = client.get(f"/t/alpha/addons/{amendment.id}").get_data(as_text=True)
    assert original.number in detail  # it says what it amends


def test_s13_1_an_addon_ended_early_says_why(db, client, world, shop):
    agreement = signed_now(shop, world, date(2027, 1, 5))
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get(f"/t/alpha/addons/{agreement.id}/end").status_code == 403
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"/t/alpha/addons/{agreement.id}/end"
    no_reason = client.post_form(url, {"from_day": "2027-03-01", "reason": ""})
    assert no_reason.status_code == 422 and "Say why the add-on ends." in no_reason.get_data(as_text=True)
    assert client.post_form(url, {"from_day": "2027-03-01", "reason": "客户不再需要"}).status_code == 302
    db.session.expire_all()
    ended = db.session.get(AddonAgreement, agreement.id)
    assert (ended.ended_from, ended.ended_reason) == (date(2027, 3, 1), "客户不再需要")
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert client.get(f"/t/beta/addons/{agreement.id}").status_code == 404
    assert client.get(f"/t/beta/addons/{agreement.id}?tab=charges", headers={"HX-Request": "true"}).status_code == 404


def test_s13_1_the_agreements_list_reads_its_clients_in_one_query_not_one_per_row(
    db, world, shop, make_signed_contract
):
    from sqlalchemy import event

    tenant = shop["tenant"]
    second = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2027, 1, 1), term_years=1)
    vendor = world.person("alpha", "vendor_admin")
    for contract in (shop["contract"], second):
        addons.propose(contract, shop["offer"], {}, vendor)
    db.session.commit()
    db.session.expire_all()
    assert tenant.id  # the tenant reloaded before counting
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows, _after = addons.list_agreements(tenant)
        names = sorted(a.contract.client.legal_name for a in rows)
        offers = {a.offer.name_en for a in rows}
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert names == sorted(c.legal_name for c in world.clients("alpha")) and offers == {"Hours bank"}
    assert len(statements) <= 4, statements  # agreements, their contracts, the contracts' clients, the offers
