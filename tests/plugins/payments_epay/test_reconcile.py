"""§3.2.3 reconciliation: a trade whose notification never came is asked about at the provider and settled once."""

import socket
from decimal import Decimal

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from plugins.payments_epay import services
from plugins.payments_epay.models import EpayTrade
from plugins.payments_epay_sandbox.models import SandboxTrade
from saas.billing.models import Invoice, InvoiceStatus, Payment, PaymentAllocation, PaymentStatus
from saas.billing.tasks import reconcile_payments
from saas.core.models import AuditEvent
from tests.plugins.payments_epay.conftest import NOTIFY
from tests.plugins.payments_epay_sandbox.test_sandbox import at_cashier, open_live


@pytest.fixture
def held_back(app, fake_redis):
    """Notifications wait on RQ with no worker running: as if the provider's notification never arrived."""
    app.extensions["redis"] = fake_redis
    yield Queue("default", connection=fake_redis)
    app.extensions.pop("redis")


@pytest.fixture
def gateway(app, live_server, monkeypatch):
    """The sandbox gateway served over HTTP where the reconciliation job (which has no request) looks for it."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    return live_server


def start(db, alpha, invoice, base: str) -> EpayTrade:
    trade = services.start(alpha, invoice, f"{base}/t/alpha/portal/invoices/{invoice.id}?returned=1", f"{base}{NOTIFY}")
    db.session.commit()
    return trade


def statuses(db, *trades) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = [db.session.get(EpayTrade, t.id) for t in trades]
    return [(t.status, db.session.get(Payment, t.payment_id).status) for t in rows]


def test_s3_2_3_reconcile_settles_a_trade_whose_notification_never_arrived(
    db, alpha, invoice, client, gateway, held_back, fake_redis, clock
):
    trade = start(db, alpha, invoice, gateway)
    gateway_trade = open_live(client, alpha, trade)
    at_cashier(client, gateway_trade, "pay")
    assert held_back.count == 1  # the notification is stuck in the gateway's queue
    assert reconcile_payments() == 0  # too young to ask about: its notification may still come
    clock.advance(minutes=6)
    assert reconcile_payments() == 1
    db.session.expire_all()
    paid = db.session.get(Invoice, invoice.id)
    assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    settled = db.session.get(EpayTrade, trade.id)
    assert (settled.status, settled.trade_no) == ("paid", gateway_trade.trade_no)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payments_epay.trade_paid"))
    assert event.data["source"] == "query"
    assert reconcile_payments() == 0  # run again: nothing more
    # The notification arrives at last: acknowledged, and nothing is credited twice.
    SimpleWorker([held_back], connection=fake_redis).work(burst=True)
    db.session.expire_all()
    assert db.session.get(SandboxTrade, gateway_trade.id).notified_at is not None
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 1


def test_s3_2_3_reconcile_closes_trades_left_unpaid_past_their_expiry_and_leaves_the_rest(
    db, alpha, invoice, client, gateway, held_back, clock
):
    opened = start(db, alpha, invoice, gateway)
    open_live(client, alpha, opened)  # the payer looked at the cashier and left
    never_opened = start(db, alpha, invoice, gateway)  # unknown to the provider
    clock.advance(minutes=30)
    young = start(db, alpha, invoice, gateway)
    clock.advance(minutes=10)
    assert reconcile_payments() == 0  # waiting at the provider, or unknown to it, and not expired: left open
    clock.advance(hours=2)  # opened and never_opened: 2 h 40 old; young: 2 h 10, within the quarter hour's grace
    assert reconcile_payments() == 2
    assert statuses(db, opened, never_opened, young) == [
        ("closed", PaymentStatus.FAILED),
        ("closed", PaymentStatus.FAILED),
        ("created", PaymentStatus.PENDING),
    ]
    clock.advance(minutes=10)
    assert reconcile_payments() == 1
    assert statuses(db, young) == [("closed", PaymentStatus.FAILED)]
    assert reconcile_payments() == 0
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.ISSUED


def test_s3_2_3_reconcile_changes_nothing_when_the_provider_cannot_be_reached(
    db, app, alpha, invoice, client, gateway, held_back, clock, monkeypatch
):
    trade = start(db, alpha, invoice, gateway)
    at_cashier(client, open_live(client, alpha, trade), "pay")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setitem(app.config, "BASE_URL", closed)
    clock.advance(hours=3)
    assert reconcile_payments() == 0
    assert statuses(db, trade) == [("created", PaymentStatus.PENDING)]  # unknown is not unpaid: asked again later
    monkeypatch.setitem(app.config, "BASE_URL", gateway)
    assert reconcile_payments() == 1
    assert statuses(db, trade) == [("paid", PaymentStatus.SUCCEEDED)]


def test_s3_2_3_reconcile_asks_the_provider_with_no_transaction_open_and_commits_each_trade(
    db, alpha, invoice, client, gateway, held_back, clock, monkeypatch
):
    from plugins.payments_epay.providers import AlipayProvider

    trades = [start(db, alpha, invoice, gateway) for _ in range(2)]
    for trade in trades:
        at_cashier(client, open_live(client, alpha, trade), "pay")  # their notifications are stuck
    clock.advance(minutes=6)
    asked, committed = [], []
    real = AlipayProvider.query

    def query(self, out_trade_no):
        asked.append(db.session().in_transaction())
        with db.engine.connect() as other:  # another transaction sees committed work only
            committed.append(other.scalar(select(func.count(EpayTrade.id)).where(EpayTrade.status == "paid")))
        return real(self, out_trade_no)

    monkeypatch.setattr(AlipayProvider, "query", query)
    assert reconcile_payments() == 2
    assert asked == [False, False]  # no transaction, so no row lock held, while the provider is asked
    assert committed == [0, 1]  # the first trade was settled and committed before the second was asked about
    assert statuses(db, *trades) == [("paid", PaymentStatus.SUCCEEDED)] * 2
