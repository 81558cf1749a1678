"""§3.2 and §3.1.1 through the plugin contract: a payment method and a source of invoice lines, as a plugin.

`paydemo` is installed next to the real plugins (create_app(extra_plugins=...)) and enabled for alpha only:
the core asks it for its methods, instructions, online payments, notifications and reconciliation, and for
the lines it has waiting for the next invoice, without knowing anything else about it.
"""

import types
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import payments, services
from saas.billing.models import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentStatus
from saas.core.plugins import BillingLine, PaymentInstruction, PaymentMethod, hookimpl
from saas.extensions import db as _db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME = "paydemo"
paydemo = types.ModuleType("paydemo")
#: The plugin's own state: lines waiting per contract, the keys it was told were billed, reconcile calls.
STATE = {"waiting": {}, "billed": {}, "reconciled": []}


@hookimpl
def _methods(tenant):
    return [PaymentMethod(NAME, "Demo Pay", online=True, order=5)]


@hookimpl
def _instructions(tenant, invoice):
    return [PaymentInstruction(NAME, "Demo Pay", f"<p>Pay with reference <b>DEMO-{invoice.number}</b></p>")]


@hookimpl
def _start(tenant, invoice, method, membership, return_url):
    if method != NAME:
        return None
    payment, _created = payments.record(
        tenant, invoice.client_id, NAME, f"trade-{invoice.id}", invoice.balance, invoice.currency, invoice_id=invoice.id
    )
    return f"https://pay.example.com/cashier?trade={payment.reference}&back={return_url}"


@hookimpl
def _notification(tenant, method, request):
    if method != NAME:
        return None
    payment = _db.session.scalar(
        select(Payment).where(
            Payment.tenant_id == tenant.id, Payment.provider == NAME, Payment.reference == request.form.get("trade", "")
        )
    )
    if payment is None or request.form.get("sign") != "good" or Decimal(request.form["amount"]) != payment.amount:
        return "refused", 400
    payments.succeed(payment)
    return "success"


@hookimpl
def _reconcile(tenant, today):
    STATE["reconciled"].append((tenant.slug, today))
    return 2


@hookimpl
def _lines(tenant, contract_ids, today):
    return [
        line
        for contract_id in contract_ids
        for line in STATE["waiting"].get(contract_id, [])
        if line.key not in STATE["billed"]
    ]


@hookimpl
def _billed(tenant, billed):
    STATE["billed"].update({key: invoice_id for key, invoice_id in billed.items() if key.startswith(NAME)})


paydemo.saas_payment_methods = _methods
paydemo.saas_payment_instructions = _instructions
paydemo.saas_payment_start = _start
paydemo.saas_payment_notification = _notification
paydemo.saas_payment_reconcile = _reconcile
paydemo.saas_billing_lines = _lines
paydemo.saas_billing_lines_billed = _billed


@pytest.fixture
def pay_app(app, db, world):
    """A second app on the same database with paydemo installed, enabled for alpha only."""
    from saas import create_app
    from saas.core.tenants import set_plugin_enabled
    from saas.testing.fixtures import SaasClient

    other = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "x",
            "SERVER_NAME": None,
        },
        extra_plugins={NAME: paydemo},
        clock=app.extensions["clock"],
    )
    other.test_client_class = SaasClient
    with other.app_context():
        set_plugin_enabled(world.tenant("alpha"), NAME, True, other.extensions["plugins"].plugin_names())
        _db.session.commit()
    for value in STATE.values():
        value.clear()
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def invoice(pay_app, world, make_signed_contract, clock):
    """alpha's first client owes 3,000.00 for January 2028."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2028, 1, 1))
    clock.set(datetime(2028, 2, 2, 1, tzinfo=SHANGHAI))
    with pay_app.app_context():
        services.bill(world.tenant("alpha"), [contract.id], date(2028, 2, 2))
        _db.session.commit()
        return _db.session.scalar(select(Invoice)).id


def test_hook_saas_payment_methods_and_saas_payment_instructions_on_the_invoice(pay_app, world, invoice):
    browser = pay_app.test_client()
    browser.sign_in(world.person("alpha", "client_admin").email)
    page = browser.get(f"/t/alpha/portal/invoices/{invoice}").get_data(as_text=True)
    assert 'data-testid="pay-paydemo"' in page
    assert "DEMO-INV-2028-000001" in page
    browser.sign_in(world.person("alpha", "vendor_billing").email)
    page = browser.get(f"/t/alpha/billing/{invoice}").get_data(as_text=True)
    assert "DEMO-INV-2028-000001" in page and 'data-testid="pay-paydemo"' not in page  # staff do not pay
    with pay_app.test_request_context():
        from saas.billing import document
        from saas.core import dbscope

        dbscope.enter_tenant(world.tenant("alpha").id)  # as the invoice's URL would
        html = document.render_html(_db.session.get(Invoice, invoice), "en")
    assert "DEMO-INV-2028-000001" in html and "<svg" in html  # instructions and the QR code of the pay link


def test_hook_saas_payment_methods_only_where_enabled(pay_app, world, make_signed_contract, clock):
    """beta has not enabled paydemo: no button, and the method cannot be started by posting its name."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(world.tenant("beta"), world.clients("beta")[0], effective=date(2028, 1, 1))
    clock.set(datetime(2028, 2, 2, 1, tzinfo=SHANGHAI))
    with pay_app.app_context():
        services.bill(world.tenant("beta"), [contract.id], date(2028, 2, 2))
        _db.session.commit()
        invoice_id = _db.session.scalar(select(Invoice.id).where(Invoice.tenant_id == world.tenant("beta").id))
    browser = pay_app.test_client()
    browser.sign_in(world.person("beta", "client_admin").email)
    page = browser.get(f"/t/beta/portal/invoices/{invoice_id}").get_data(as_text=True)
    assert "pay-paydemo" not in page and "DEMO-" not in page
    response = browser.post_form(f"/t/beta/portal/invoices/{invoice_id}/pay", {"method": NAME})
    assert response.status_code == 302 and "pay.example.com" not in response.location
    with pay_app.app_context():
        assert _db.session.scalar(select(func.count(Payment.id))) == 0


def test_hook_saas_payment_start_sends_the_payer_to_the_provider(pay_app, world, invoice):
    browser = pay_app.test_client()
    browser.sign_in(world.person("alpha", "client_user").email)
    response = browser.post_form(f"/t/alpha/portal/invoices/{invoice}/pay", {"method": NAME})
    assert response.status_code == 302
    assert response.location.startswith(f"https://pay.example.com/cashier?trade=trade-{invoice}&back=")
    assert f"/t/alpha/portal/invoices/{invoice}?returned=1" in response.location
    with pay_app.app_context():
        payment = _db.session.scalar(select(Payment))
        assert (payment.status, payment.amount, payment.invoice_id) == ("pending", Decimal("3000.00"), invoice)
    # Coming back proves nothing: the invoice is still owed until the provider's notification says otherwise.
    page = browser.get(f"/t/alpha/portal/invoices/{invoice}?returned=1").get_data(as_text=True)
    assert 'data-testid="payment-returned"' in page
    with pay_app.app_context():
        assert _db.session.get(Invoice, invoice).status == InvoiceStatus.ISSUED


def test_hook_saas_payment_notification_is_committed_before_success_and_refusals_write_nothing(pay_app, world, invoice):
    browser = pay_app.test_client()
    browser.sign_in(world.person("alpha", "client_user").email)
    browser.post_form(f"/t/alpha/portal/invoices/{invoice}/pay", {"method": NAME})
    provider = pay_app.test_client()  # the provider: no session, no CSRF token
    trade = {"trade": f"trade-{invoice}", "amount": "3000.00"}
    assert provider.post(f"/pay/notify/alpha/{NAME}", data={**trade, "sign": "forged"}).status_code == 400
    wrong_amount = {**trade, "sign": "good", "amount": "1.00"}
    assert provider.post(f"/pay/notify/alpha/{NAME}", data=wrong_amount).status_code == 400
    with pay_app.app_context():
        assert _db.session.scalar(select(Payment.status)) == PaymentStatus.PENDING
    assert provider.post("/pay/notify/alpha/nosuchmethod", data=trade).status_code == 404
    assert provider.post(f"/pay/notify/beta/{NAME}", data=trade).status_code == 404  # not enabled for beta
    for _ in range(3):  # delivered again and again: credits once
        response = provider.post(f"/pay/notify/alpha/{NAME}", data={**trade, "sign": "good"})
        assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    with pay_app.app_context():
        paid = _db.session.get(Invoice, invoice)
        assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
        assert payments.credit_balance(paid.client_id, "CNY") == Decimal("0.00")


def test_hook_saas_payment_reconcile_runs_for_the_tenants_that_enabled_the_method(pay_app, world, clock):
    from saas.billing.tasks import reconcile_payments

    clock.set(datetime(2028, 3, 1, 17, tzinfo=SHANGHAI))
    with pay_app.app_context():
        assert reconcile_payments() == 2
    assert STATE["reconciled"] == [("alpha", date(2028, 3, 1))]


def test_hook_saas_billing_lines_and_saas_billing_lines_billed_go_on_the_next_invoice_once(
    pay_app, world, make_signed_contract, clock
):
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2028, 1, 1))
    STATE["waiting"][contract.id] = [
        BillingLine(contract.id, f"{NAME}:fee:1", "fee", "Returned cheque fee", Decimal("50.004")),
        BillingLine(contract.id, f"{NAME}:credit:2", "credit", "Goodwill credit", Decimal("-120.00")),
    ]
    with pay_app.app_context():
        tenant = world.tenant("alpha")
        clock.set(datetime(2028, 3, 2, 1, tzinfo=SHANGHAI))
        assert services.bill(tenant, [contract.id], date(2028, 3, 2)) == 2  # January and February at once
        _db.session.commit()
        january, february = _db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
        assert january.total == Decimal("3000.00")
        # the waiting lines go on the contract's latest invoice of the run, rounded once
        assert february.total == Decimal("3000.00") + Decimal("50.00") - Decimal("120.00")
        assert STATE["billed"] == {f"{NAME}:fee:1": february.id, f"{NAME}:credit:2": february.id}
        lines = _db.session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == february.id).order_by(InvoiceLine.position)
        ).all()
        assert [(ln.kind, ln.amount) for ln in lines] == [
            ("fee", Decimal("3000.00")),
            ("credit", Decimal("-120.00")),
            ("fee", Decimal("50.00")),
        ]
        clock.set(datetime(2028, 4, 2, 1, tzinfo=SHANGHAI))
        services.bill(tenant, [contract.id], date(2028, 4, 2))
        _db.session.commit()
        march = _db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert march.total == Decimal("3000.00")  # told what was billed, the plugin offers it no more
