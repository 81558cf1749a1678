"""§3.2.3 the sandbox gateway: Alipay's protocol with its own keys, paying online offline (not in production)."""

import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from plugins.payments_epay import keys, services
from plugins.payments_epay.models import EpayTrade
from plugins.payments_epay.providers import MISSING, PAID, WAITING, AlipayProvider, ProviderError, provider_for
from plugins.payments_epay_sandbox import gateway as sandbox
from plugins.payments_epay_sandbox import tasks
from plugins.payments_epay_sandbox.models import SandboxTrade
from saas.billing.models import Invoice, InvoiceStatus, Payment, PaymentStatus
from tests.plugins.payments_epay.conftest import NOTIFY, cashier_url, open_at_gateway, press_pay


@pytest.fixture
def live_trade(db, alpha, invoice, live_server):
    """A trade whose notifications go to the live server, as a provider's would; opened at the sandbox gateway."""
    trade = services.start(
        alpha, invoice, f"{live_server}/t/alpha/portal/invoices/{invoice.id}?returned=1", f"{live_server}{NOTIFY}"
    )
    db.session.commit()
    return trade


def open_live(client, alpha, trade) -> SandboxTrade:
    response = client.get(services.cashier_url(alpha, trade))
    assert response.status_code == 303
    return sandbox.by_token(response.location.rsplit("/", 1)[1])


def at_cashier(client, gateway_trade, action: str):
    return client.post_form(f"/sandbox/alipay/cashier/{gateway_trade.token}", {"action": action})


def test_s3_2_3_sandbox_gateway_checks_the_merchants_signature_app_and_timestamp(db, alpha, invoice, payer, clock):
    trade = press_pay(payer, invoice)
    url = cashier_url(payer, trade)
    gateway, query = url.split("?", 1)
    params = dict(parse_qsl(query))
    biz = json.loads(params["biz_content"])
    cheaper = {**params, "biz_content": json.dumps({**biz, "total_amount": "0.01"})}
    for changed, refusal in (
        (cheaper, "isv.invalid-signature"),
        ({**params, "app_id": "9021000000000000"}, "isv.invalid-app-id"),
    ):
        response = payer.get(f"{gateway}?{urlencode(changed)}")
        assert response.status_code == 400 and refusal in response.get_data(as_text=True)
    clock.advance(minutes=11)  # Alipay refuses requests stamped more than minutes away from its clock
    response = payer.get(url)
    assert response.status_code == 400 and "isv.invalid-timestamp" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SandboxTrade.id))) == 0
    clock.advance(minutes=-11)
    first, again = open_at_gateway(payer, trade), open_at_gateway(payer, trade)  # the payer reloads: one trade
    posted = payer.post(gateway, data=dict(parse_qsl(urlsplit(cashier_url(payer, trade)).query)))  # as a form
    assert posted.status_code == 303 and posted.location.endswith(first.token)
    assert first.id == again.id and db.session.scalar(select(func.count(SandboxTrade.id))) == 1
    assert (first.total_amount, first.subject, first.status) == (Decimal("3000.00"), trade.subject, "WAIT_BUYER_PAY")
    assert len(first.trade_no) == 28 and first.trade_no.startswith("20280202")


def test_s3_2_3_sandbox_cashier_shows_merchant_subject_and_amount_marked_sandbox(db, alpha, invoice, payer):
    gateway_trade = open_at_gateway(payer, press_pay(payer, invoice))
    page = payer.get(f"/sandbox/alipay/cashier/{gateway_trade.token}").get_data(as_text=True)
    assert "Sandbox" in page and "no real money moves" in page
    assert alpha.legal_name in page and gateway_trade.subject in page and "3,000.00" in page
    assert 'data-testid="sandbox-pay"' in page and 'data-testid="sandbox-cancel"' in page
    assert payer.get("/sandbox/alipay/cashier/not-a-token").status_code == 404


def test_s3_2_3_paying_at_the_sandbox_posts_the_signed_notification_and_returns_with_a_signed_return(
    db, alpha, invoice, client, live_trade
):
    gateway_trade = open_live(client, alpha, live_trade)
    response = at_cashier(client, gateway_trade, "pay")
    assert response.status_code == 303
    db.session.expire_all()
    gateway_trade = db.session.get(SandboxTrade, gateway_trade.id)
    assert (gateway_trade.status, gateway_trade.notify_attempts) == ("TRADE_SUCCESS", 1)
    assert gateway_trade.notified_at is not None  # the merchant answered "success" over HTTP
    paid = db.session.get(Invoice, invoice.id)
    assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    trade = db.session.get(EpayTrade, live_trade.id)
    assert (trade.status, trade.trade_no) == ("paid", gateway_trade.trade_no)

    # The cashier then sends the payer back with Alipay's synchronous return, signed by the gateway.
    page = client.get(response.location)
    refresh = page.headers["Refresh"].removeprefix("1;url=")
    assert refresh.startswith(live_trade.return_url + "&")
    returned = dict(parse_qsl(urlsplit(refresh).query))
    assert (returned["method"], returned["out_trade_no"], returned["total_amount"]) == (
        "alipay.trade.page.pay.return",
        trade.out_trade_no,
        "3000.00",
    )
    assert returned.pop("returned") == "1"  # the merchant's own parameter, which the gateway keeps
    assert provider_for(alpha).read_notification(returned) is not None  # the SDK verifies the gateway's signature
    # Paying again changes nothing and posts nothing.
    at_cashier(client, gateway_trade, "pay")
    db.session.expire_all()
    assert db.session.get(SandboxTrade, gateway_trade.id).notify_attempts == 1


def test_s3_2_3_cancelling_at_the_sandbox_closes_the_trade_and_its_payment(db, alpha, invoice, client, live_trade):
    gateway_trade = open_live(client, alpha, live_trade)
    response = at_cashier(client, gateway_trade, "cancel")
    db.session.expire_all()
    assert db.session.get(SandboxTrade, gateway_trade.id).status == "TRADE_CLOSED"
    trade = db.session.get(EpayTrade, live_trade.id)
    assert trade.status == "closed" and trade.notification["trade_status"] == "TRADE_CLOSED"
    assert db.session.get(Payment, trade.payment_id).status == PaymentStatus.FAILED
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED
    page = client.get(response.location)
    assert page.headers["Refresh"] == f"1;url={live_trade.return_url}"  # back, with nothing claimed
    assert at_cashier(client, gateway_trade, "pay").status_code == 303
    assert db.session.get(SandboxTrade, gateway_trade.id).status == "TRADE_CLOSED"  # closed stays closed


def test_s3_2_3_the_notification_job_is_queued_once_and_retried_until_the_merchant_says_success(
    app, db, alpha, invoice, client, live_trade, fake_redis, enable_plugin
):
    app.extensions["redis"] = fake_redis
    try:
        gateway_trade = open_live(client, alpha, live_trade)
        at_cashier(client, gateway_trade, "pay")
        queue = Queue("default", connection=fake_redis)
        [job] = queue.jobs
        assert job.id == f"payments_epay-notify-{gateway_trade.id}-TRADE_SUCCESS"
        assert job.args == (gateway_trade.id, "TRADE_SUCCESS") and job.retries_left == tasks.RETRIES
        db.session.expire_all()
        tasks.notify(db.session.get(SandboxTrade, gateway_trade.id))
        assert queue.count == 1  # the same notification is not queued twice

        enable_plugin(alpha, "payments_epay", enabled=False)  # the merchant's address answers 404 for now
        with pytest.raises(sandbox.NotAcknowledged):
            tasks.deliver_notification(gateway_trade.id, "TRADE_SUCCESS")
        db.session.expire_all()
        assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED

        enable_plugin(alpha, "payments_epay")
        SimpleWorker([queue], connection=fake_redis).work(burst=True)
        db.session.expire_all()
        delivered = db.session.get(SandboxTrade, gateway_trade.id)
        assert delivered.notify_attempts == 2 and delivered.notified_at is not None
        assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.PAID
        tasks.deliver_notification(gateway_trade.id, "TRADE_SUCCESS")  # run again: acknowledged, nothing sent
        assert db.session.get(SandboxTrade, gateway_trade.id).notify_attempts == 2
    finally:
        app.extensions.pop("redis")


def test_s3_2_3_sandbox_answers_trade_queries_in_alipays_signed_shape(
    db, app, alpha, invoice, client, live_trade, live_server, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_URL", live_server)  # where a job (no request) finds the gateway
    provider = provider_for(alpha)
    assert provider.gateway == f"{live_server}/sandbox/alipay/gateway.do"
    assert provider.query(live_trade.out_trade_no).status == MISSING  # the payer has not opened it yet
    gateway_trade = open_live(client, alpha, live_trade)
    assert provider.query(live_trade.out_trade_no).status == WAITING
    sandbox.pay(gateway_trade)
    db.session.commit()
    answer = provider.query(live_trade.out_trade_no)
    assert (answer.status, answer.trade_no, answer.amount) == (PAID, gateway_trade.trade_no, Decimal("3000.00"))
    assert answer.data["trade_status"] == "TRADE_SUCCESS"
    # An answer signed by another key is not believed; a request signed by another key is refused.
    other_private, other_public = keys.generate()
    app_ = sandbox.app_for(alpha)
    for wrong in (
        AlipayProvider(
            "sandbox", app_.app_id, app_.seller_id, app_.merchant_private_key, other_public, gateway=provider.gateway
        ),
        AlipayProvider(
            "sandbox", app_.app_id, app_.seller_id, other_private, app_.gateway_public_key, gateway=provider.gateway
        ),
    ):
        with pytest.raises(ProviderError):
            wrong.query(live_trade.out_trade_no)


def test_s3_2_3_an_expired_trade_cannot_be_paid_at_the_sandbox(db, alpha, invoice, payer, clock):
    gateway_trade = open_at_gateway(payer, press_pay(payer, invoice))
    clock.advance(hours=2)
    page = payer.get(f"/sandbox/alipay/cashier/{gateway_trade.token}").get_data(as_text=True)
    assert "This payment has expired" in page and 'data-testid="sandbox-pay"' not in page
    at_cashier(payer, gateway_trade, "pay")
    db.session.expire_all()
    assert db.session.get(SandboxTrade, gateway_trade.id).status == "WAIT_BUYER_PAY"  # as Alipay: never paid
    assert sandbox.status_of(db.session.get(SandboxTrade, gateway_trade.id)) == "TRADE_CLOSED"


def test_s3_2_3_sandbox_routes_answer_404_in_production(db, alpha, invoice, payer, provider, app, monkeypatch):
    trade = press_pay(payer, invoice)
    url = cashier_url(payer, trade)
    gateway_trade = open_at_gateway(payer, trade)
    notification = sandbox.notification(gateway_trade)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert payer.get(url).status_code == 404
    assert payer.get(f"/sandbox/alipay/cashier/{gateway_trade.token}").status_code == 404
    assert at_cashier(payer, gateway_trade, "pay").status_code == 404
    # Nor does the sandbox pay anything there: no Pay button, and its notifications are refused.
    page = payer.get(f"/t/alpha/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "pay-payments_epay" not in page
    assert payer.get(f"/t/alpha/p/payments_epay/trades/{trade.id}/go").status_code == 302
    assert provider.post(NOTIFY, data=notification).status_code == 400
    db.session.expire_all()
    assert db.session.get(EpayTrade, trade.id).status == "created"
