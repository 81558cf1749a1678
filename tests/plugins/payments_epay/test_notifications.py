"""§3.2.3 paying online: Pay starts a trade; only the provider's verified notification pays the invoice, once."""

import json
import re
import threading
import urllib.request
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from plugins.payments_epay import keys
from plugins.payments_epay.models import EpayTrade
from plugins.payments_epay_sandbox import gateway as sandbox
from saas.billing import payments
from saas.billing.models import Invoice, InvoiceStatus, Payment, PaymentAllocation, PaymentStatus
from saas.core.models import AuditEvent
from tests.plugins.payments_epay.conftest import (
    NOTIFY,
    open_at_gateway,
    paid_at_gateway,
    press_pay,
    resigned,
)


def allocations(db) -> int:
    return db.session.scalar(select(func.count(PaymentAllocation.id)))


def state(db, trade_id: int) -> tuple:
    """Everything a notification may change: the trade, its payment, the invoice, allocations, the audit log."""
    db.session.expire_all()
    trade = db.session.get(EpayTrade, trade_id)
    payment = db.session.get(Payment, trade.payment_id)
    invoice = db.session.get(Invoice, trade.invoice_id)
    return (
        trade.status,
        trade.trade_no,
        dict(trade.notification),
        payment.status,
        invoice.status,
        invoice.balance,
        allocations(db),
        db.session.scalar(select(func.count(AuditEvent.id))),
        db.session.scalar(select(func.count(Payment.id))),
    )


def test_s3_2_3_pay_starts_a_trade_for_the_balance_with_a_pending_payment(app, db, alpha, invoice, payer):
    trade = press_pay(payer, invoice)
    again = press_pay(payer, invoice)  # a second press is a trade of its own
    assert re.fullmatch(r"AC20280202[0-9a-f]{24}", trade.out_trade_no) and again.out_trade_no != trade.out_trade_no
    assert (trade.amount, trade.currency, trade.status, trade.provider) == (
        Decimal("3000.00"),
        "CNY",
        "created",
        "sandbox",
    )
    assert trade.subject == f"Invoice {invoice.number} of {alpha.legal_name}"
    base = app.config["BASE_URL"]  # not the Host the payer's browser sent (the test client's "localhost")
    assert trade.notify_url == f"{base}{NOTIFY}"
    assert trade.return_url == f"{base}/t/alpha/portal/invoices/{invoice.id}?returned=1"
    payment = db.session.get(Payment, trade.payment_id)
    assert (payment.provider, payment.reference, payment.amount, payment.status, payment.invoice_id) == (
        "payments_epay",
        trade.out_trade_no,
        Decimal("3000.00"),
        PaymentStatus.PENDING,
        invoice.id,
    )
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED

    # The go page forwards the payer to the gateway with a request the merchant's key signed.
    response = payer.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go")
    assert response.status_code == 200 and "Continue to Alipay" in response.get_data(as_text=True)
    url = response.headers["Refresh"].removeprefix("0;url=")
    assert url.startswith(f"{base}/sandbox/alipay/gateway.do?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["method"] == "alipay.trade.page.pay" and params["notify_url"] == trade.notify_url
    app = sandbox.app_for(alpha)
    assert params["app_id"] == app.app_id
    assert keys.verify(app.merchant_public_key, keys.signing_string(params, exclude=("sign",)), params["sign"])


def test_s3_2_3_a_signed_notification_pays_the_invoice_once_however_often_it_comes(db, alpha, invoice, payer, provider):
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    notification = sandbox.notification(gateway_trade)
    for _ in range(5):
        response = provider.post(NOTIFY, data=notification)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    db.session.expire_all()
    paid = db.session.get(Invoice, invoice.id)
    assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert allocations(db) == 1
    assert payments.credit_balance(paid.client_id, "CNY") == Decimal("0.00")
    trade = db.session.get(EpayTrade, trade.id)
    assert (trade.status, trade.trade_no) == ("paid", gateway_trade.trade_no)
    assert trade.notification["trade_status"] == "TRADE_SUCCESS" and trade.notification["sign"]
    assert db.session.get(Payment, trade.payment_id).status == PaymentStatus.SUCCEEDED
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("payments_epay.%"))).all()
    assert sorted(audited) == ["payments_epay.trade_paid", "payments_epay.trade_started"]


def test_s3_2_3_the_same_notification_at_once_from_many_threads_credits_once(db, alpha, invoice, payer, live_server):
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    body = urlencode(sandbox.notification(gateway_trade)).encode()
    barrier, answers, errors = threading.Barrier(8, timeout=20), [], []

    def deliver():
        try:
            barrier.wait()
            with urllib.request.urlopen(f"{live_server}{NOTIFY}", data=body, timeout=30) as response:  # noqa: S310
                answers.append(response.read().decode())
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and answers == ["success"] * 8
    db.session.expire_all()
    assert allocations(db) == 1
    assert db.session.get(Invoice, invoice.id).balance == Decimal("0.00")
    assert payments.credit_balance(invoice.client_id, "CNY") == Decimal("0.00")
    paid_events = select(func.count(AuditEvent.id)).where(AuditEvent.action == "payments_epay.trade_paid")
    assert db.session.scalar(paid_events) == 1


def test_s3_2_3_out_of_order_finished_before_success_then_closed_credits_once(db, alpha, invoice, payer, provider):
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    for status in ("WAIT_BUYER_PAY", "TRADE_FINISHED", "TRADE_SUCCESS", "TRADE_CLOSED", "TRADE_FINISHED"):
        response = provider.post(NOTIFY, data=sandbox.notification(gateway_trade, status))
        assert (response.status_code, response.get_data(as_text=True)) == (200, "success"), status
        db.session.expire_all()
        if status == "WAIT_BUYER_PAY":  # nothing happens while the payer has not paid
            assert db.session.get(EpayTrade, trade.id).status == "created"
            assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED
    trade = db.session.get(EpayTrade, trade.id)
    assert trade.status == "paid" and trade.notification["trade_status"] == "TRADE_FINISHED"  # the last one kept
    assert db.session.get(Payment, trade.payment_id).status == PaymentStatus.SUCCEEDED  # a closing after it: ignored
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.PAID
    assert allocations(db) == 1


def test_s3_2_3_a_closed_trade_fails_its_payment_and_money_that_still_comes_is_not_lost(
    db, alpha, invoice, payer, provider
):
    trade = press_pay(payer, invoice)
    gateway_trade = open_at_gateway(payer, trade)
    assert sandbox.cancel(gateway_trade)
    db.session.commit()
    assert provider.post(NOTIFY, data=sandbox.notification(gateway_trade)).get_data(as_text=True) == "success"
    db.session.expire_all()
    closed = db.session.get(EpayTrade, trade.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert db.session.get(Payment, closed.payment_id).status == PaymentStatus.FAILED
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED
    # Should the provider still say it was paid, the money is recorded as a payment of its own, once.
    for _ in range(2):
        response = provider.post(NOTIFY, data=sandbox.notification(gateway_trade, "TRADE_SUCCESS"))
        assert response.get_data(as_text=True) == "success"
    db.session.expire_all()
    late = db.session.get(EpayTrade, trade.id)
    payment = db.session.get(Payment, late.payment_id)
    assert (late.status, payment.reference, payment.status) == ("paid", f"{trade.out_trade_no}-late", "succeeded")
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.PAID and allocations(db) == 1


def _tampered_signature(gateway_trade, params):
    return {**params, "total_amount": "1.00"}  # the signature no longer covers what it says


def _flipped_sign(gateway_trade, params):
    sign = params["sign"]
    return {**params, "sign": ("A" if sign[0] != "A" else "B") + sign[1:]}


def _merchant_signed(gateway_trade, params):
    """Signed, but with the merchant's own key: anyone holding it must not be able to pay invoices."""
    data = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
    return {
        **data,
        "sign_type": "RSA2",
        "sign": keys.sign(gateway_trade.app.merchant_private_key, keys.signing_string(data)),
    }


REFUSED = {
    "tampered signature": _tampered_signature,
    "flipped signature": _flipped_sign,
    "no signature": lambda t, p: {k: v for k, v in p.items() if k != "sign"},
    "RSA1 signature type": lambda t, p: {**p, "sign_type": "RSA"},
    "signed with the merchant's key": _merchant_signed,
    "wrong amount": lambda t, p: resigned(t, p, total_amount="2999.99"),
    "amount in another notation": lambda t, p: resigned(t, p, total_amount="3e3x"),
    "another app": lambda t, p: resigned(t, p, app_id="9021000000000000"),
    "another seller": lambda t, p: resigned(t, p, seller_id="2088000000000000"),
    "unknown trade": lambda t, p: resigned(t, p, out_trade_no="AC20280202" + "0" * 24),
}


@pytest.mark.parametrize("how", list(REFUSED))
def test_s3_2_3_a_notification_that_does_not_check_out_is_refused_and_writes_nothing(
    db, alpha, invoice, payer, provider, how
):
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    before = state(db, trade.id)
    params = REFUSED[how](gateway_trade, sandbox.notification(gateway_trade))
    response = provider.post(NOTIFY, data=params)
    assert (response.status_code, response.get_data(as_text=True)) == (400, "fail")
    assert state(db, trade.id) == before
    assert before[0] == "created" and before[4] == InvoiceStatus.ISSUED
    # The genuine notification still goes through afterwards.
    assert provider.post(NOTIFY, data=sandbox.notification(gateway_trade)).get_data(as_text=True) == "success"


def test_s3_2_3_a_forged_return_url_marks_nothing_paid(db, alpha, invoice, payer):
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    before = state(db, trade.id)
    genuine = urlsplit(sandbox.return_url(gateway_trade)).query  # even the gateway's own signed return
    forged = urlencode(
        {
            "returned": "1",
            "out_trade_no": trade.out_trade_no,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "3000.00",
            "sign": "forged",
        }
    )
    for query in (genuine, forged):
        page = payer.get(f"/t/alpha/portal/invoices/{invoice.id}?{query}").get_data(as_text=True)
        assert 'data-testid="payment-returned"' in page
        assert 'data-testid="invoice-status">Issued</span>' in page
    assert state(db, trade.id) == before


def test_s3_2_3_a_trade_of_another_vendor_or_client_is_refused(
    db, alpha, invoice, payer, provider, world, enable_plugin, app
):
    from saas.core.tenants import save_plugin_settings

    beta = world.tenant("beta")
    enable_plugin(beta, "payments_epay")
    enable_plugin(beta, "payments_epay_sandbox")
    save_plugin_settings(beta, "payments_epay", {"provider": "sandbox"})
    db.session.commit()
    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    before = state(db, trade.id)
    # alpha's genuine notification delivered to beta's address: beta has no such trade.
    response = provider.post("/pay/notify/beta/payments_epay", data=sandbox.notification(gateway_trade))
    assert (response.status_code, response.get_data(as_text=True)) == (400, "fail")
    assert state(db, trade.id) == before
    # Another client of alpha, and beta's people, cannot open the trade's page.
    for email in ("client_admin_2@alpha.example.com", "client_admin@beta.example.com"):
        other = app.test_client()
        other.sign_in(email)
        assert other.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go").status_code == 404
    staff = app.test_client()
    staff.sign_in(world.person("alpha", "vendor_billing").email)
    assert staff.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go").status_code == 403  # staff do not pay
    after = state(db, trade.id)
    assert after[:7] + after[8:] == before[:7] + before[8:]  # the audit log has the sign-ins, nothing else changed


def test_s3_2_3_an_ended_trade_sends_the_payer_back_to_the_invoice(db, alpha, invoice, payer, clock):
    trade = press_pay(payer, invoice)
    clock.advance(hours=2)  # the provider takes no payment after this
    response = payer.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go")
    assert response.status_code == 302 and response.location.endswith(f"/t/alpha/portal/invoices/{invoice.id}")
    assert "has ended" in payer.get(response.location).get_data(as_text=True)


def test_s3_2_3_only_cny_invoices_are_paid_online(db, alpha, invoice, payer):
    invoice.currency = "USD"
    db.session.commit()
    response = payer.post_form(f"/t/alpha/portal/invoices/{invoice.id}/pay", {"method": "payments_epay"})
    assert response.status_code == 302 and "/portal/invoices/" in response.location
    assert "Online payment takes invoices in CNY only." in payer.get(response.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count(EpayTrade.id))) == 0
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_s3_2_3_alipay_itself_gets_a_signed_page_pay_request_and_its_signed_notification_pays(
    db, alpha, invoice, payer, provider
):
    from saas.core.tenants import save_plugin_settings

    (app_private, app_public), (alipay_private, alipay_public) = keys.generate(), keys.generate()
    save_plugin_settings(
        alpha,
        "payments_epay",
        {
            "provider": "alipay",
            "app_id": "2021000123456789",
            "seller_id": "2088000000000001",
            "app_private_key": app_private,
            "alipay_public_key": alipay_public,
        },
    )
    db.session.commit()
    page = payer.get(f"/t/alpha/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert 'data-testid="pay-payments_epay"' in page and "Pay CN¥3,000.00: Alipay<" in page
    trade = press_pay(payer, invoice)
    assert trade.provider == "alipay"
    url = payer.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go").headers["Refresh"].removeprefix("0;url=")
    assert url.startswith("https://openapi.alipay.com/gateway.do?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert keys.verify(app_public, keys.signing_string(params, exclude=("sign",)), params["sign"])
    biz = json.loads(params["biz_content"])
    assert (biz["out_trade_no"], biz["total_amount"], biz["product_code"], biz["time_expire"]) == (
        trade.out_trade_no,
        "3000.00",
        "FAST_INSTANT_TRADE_PAY",
        "2028-02-02 11:00:00",
    )  # Beijing time, 2 h on
    assert params["timestamp"] == "2028-02-02 09:00:00"  # Beijing time, whatever the server's zone

    notification = {
        "notify_time": "2028-02-02 09:01:00",
        "notify_type": "trade_status_sync",
        "notify_id": "n1",
        "app_id": "2021000123456789",
        "seller_id": "2088000000000001",
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2028020222001400000000000001",
        "out_trade_no": trade.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "3000.00",
        "subject": trade.subject,
    }
    forged = {
        **notification,
        "sign_type": "RSA2",
        "sign": keys.sign(app_private, keys.signing_string(notification)),
    }  # the merchant's key: not Alipay's
    assert provider.post(NOTIFY, data=forged).status_code == 400
    signed = {**notification, "sign_type": "RSA2", "sign": keys.sign(alipay_private, keys.signing_string(notification))}
    response = provider.post(NOTIFY, data=signed)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.PAID
    assert db.session.get(EpayTrade, trade.id).trade_no == "2028020222001400000000000001"


def test_s3_2_3_no_pay_button_until_alipay_is_set_up(db, alpha, invoice, payer):
    from saas.core.tenants import save_plugin_settings

    save_plugin_settings(alpha, "payments_epay", {"provider": "alipay", "app_id": "2021000123456789"})  # no keys
    db.session.commit()
    page = payer.get(f"/t/alpha/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "pay-payments_epay" not in page and "instructions-payments_epay" not in page
    response = payer.post_form(f"/t/alpha/portal/invoices/{invoice.id}/pay", {"method": "payments_epay"})
    assert response.status_code == 302 and "/trades/" not in response.location
    assert db.session.scalar(select(func.count(EpayTrade.id))) == 0


def test_s3_2_3_a_refund_or_closing_at_the_provider_of_a_paid_trade_is_shown_to_a_person_and_moves_no_money(
    db, alpha, invoice, payer, provider, caplog
):
    import logging

    trade = press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, trade))
    paid = sandbox.notification(gateway_trade, "TRADE_SUCCESS")
    assert provider.post(NOTIFY, data=paid).get_data(as_text=True) == "success"
    # The vendor refunds part of it at Alipay, then the rest (Alipay closes a trade refunded in full).
    partly = resigned(gateway_trade, paid, refund_fee="1000.00", gmt_refund="2028-02-03 10:00:00")
    fully = resigned(
        gateway_trade,
        sandbox.notification(gateway_trade, "TRADE_CLOSED"),
        refund_fee="3000.00",
        gmt_refund="2028-02-04 10:00:00",
    )
    with caplog.at_level(logging.WARNING, logger="plugins.payments_epay.services"):
        for params in (partly, partly, fully, fully):  # Alipay sends each again until it reads "success"
            assert provider.post(NOTIFY, data=params).get_data(as_text=True) == "success"
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "payments_epay.trade_refunded_at_provider")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.target_id, e.data["provider_status"], e.data["refunded"], e.data["source"]) for e in events] == [
        (trade.id, "paid", "1000.00", "notification"),
        (trade.id, "closed", "3000.00", "notification"),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(trade.out_trade_no in w for w in warnings)
    # Nothing moved: the core's payment stands until a person records the refund.
    trade = db.session.get(EpayTrade, trade.id)
    assert (trade.status, db.session.get(Payment, trade.payment_id).status) == ("paid", PaymentStatus.SUCCEEDED)
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.PAID and allocations(db) == 1
