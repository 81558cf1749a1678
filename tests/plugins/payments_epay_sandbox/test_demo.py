"""§3.2.3 in the demo: vendors take online payments through the sandbox, and the newest invoice is left to pay."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from plugins.payments_epay.models import EpayTrade
from plugins.payments_epay_sandbox import gateway as sandbox
from saas.billing.models import Invoice
from saas.billing.payments import OPEN_INVOICES
from saas.core.models import Client, Tenant
from saas.core.tenants import plugin_settings
from saas.demo import DEMO_PASSWORD, seed_demo


def test_s3_2_3_demo_clients_can_pay_their_newest_invoice_through_the_sandbox(app, db, client, clock):
    clock.set(datetime(2026, 5, 10, 2, tzinfo=UTC))  # the demo agreement (effective 31 January) has billed months
    seed_demo()
    db.session.remove()
    for tenant in db.session.scalars(select(Tenant)):
        assert plugin_settings(tenant, "payments_epay")["provider"] == "sandbox"
        assert sandbox.app_for(tenant) is not None  # its app and keys are ready
    assert db.session.scalar(select(func.count(EpayTrade.id))) == 0  # nobody has paid online: that is for people

    huayun = db.session.scalar(select(Tenant).where(Tenant.slug == "huayun"))
    first = db.session.scalars(select(Client).where(Client.tenant_id == huayun.id).order_by(Client.id)).first()
    newest = db.session.scalars(
        select(Invoice)
        .where(Invoice.client_id == first.id, Invoice.status.in_(OPEN_INVOICES))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    ).first()
    assert newest is not None and newest.balance > 0
    client.sign_in("client.admin1@huayun.example.com", DEMO_PASSWORD)
    page = client.get(f"/t/huayun/portal/invoices/{newest.id}").get_data(as_text=True)
    assert 'data-testid="pay-payments_epay"' in page and "Alipay (sandbox)" in page
    response = client.post_form(f"/t/huayun/portal/invoices/{newest.id}/pay", {"method": "payments_epay"})
    go = client.get(response.location)
    cashier = client.get(go.headers["Refresh"].removeprefix("0;url="))
    assert cashier.status_code == 303 and "/sandbox/alipay/cashier/" in cashier.location
    assert huayun.legal_name in client.get(cashier.location).get_data(as_text=True)
