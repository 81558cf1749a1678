"""Online payment of invoices (§3.2.3): trades started from the portal, settled only by what the provider signs.

The core owns the money: a trade records a pending core payment when it starts, and only a verified
notification (or the provider's signed answer to a query) makes it succeed or fail, once.
"""

import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.payments_epay.models import EpayTrade, TradeStatus
from plugins.payments_epay.names import BEIJING, NAME
from plugins.payments_epay.providers import (
    CLOSED,
    MISSING,
    PAID,
    WAITING,
    ProviderError,
    ProviderUnavailable,
    provider_for,
)
from saas.billing import payments
from saas.billing.models import Invoice, Payment, PaymentStatus
from saas.core import audit
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import AuditEvent, Tenant
from saas.core.money import quantize
from saas.extensions import db

log = logging.getLogger(__name__)
#: Online payment takes the currency the provider settles in.
CURRENCY = "CNY"
#: The provider takes no payment for a trade after this (sent as Alipay's time_expire).
EXPIRES_AFTER = timedelta(hours=2)
#: A trade still open this long after it started is asked about: its notification may have been lost.
QUERY_AFTER = timedelta(minutes=5)
#: How long after expiry an unpaid trade is closed here, when the provider has not said so itself.
CLOSE_AFTER_EXPIRY = timedelta(minutes=15)
#: Trades asked about per tenant and run; the next run takes the rest.
RECONCILE_BATCH = 200


def start(tenant, invoice: Invoice, return_url: str, notify_url: str) -> EpayTrade:
    """A trade for the invoice's balance, with its pending core payment (§3.2.3); the payer goes on to pay it."""
    if invoice.currency != CURRENCY:
        raise ServiceError(_("Online payment takes invoices in %(currency)s only.", currency=CURRENCY))
    provider = provider_for(tenant, create=True)
    created = now()
    trade = EpayTrade(
        tenant_id=tenant.id,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        out_trade_no=_out_trade_no(created),
        amount=quantize(invoice.balance, CURRENCY),
        currency=CURRENCY,
        subject=_subject(tenant, invoice),
        provider=provider.name,
        status=TradeStatus.CREATED,
        return_url=return_url,
        notify_url=notify_url,
        expires_at=created + EXPIRES_AFTER,
        created_at=created,
        notification={},
    )
    db.session.add(trade)
    payment, _created = payments.record(
        tenant,
        invoice.client_id,
        NAME,
        trade.out_trade_no,
        trade.amount,
        CURRENCY,
        invoice_id=invoice.id,
        data={"provider": provider.name},
        note=trade.subject,
    )
    trade.payment_id = payment.id
    db.session.flush()
    audit.record(
        "payments_epay.trade_started",
        tenant_id=tenant.id,
        target=trade,
        invoice=invoice.number,
        out_trade_no=trade.out_trade_no,
        amount=str(trade.amount),
        provider=provider.name,
    )
    return trade


def _out_trade_no(created) -> str:
    """Our trade number: the Beijing date, then 24 random hex digits (nobody can guess another's)."""
    return f"AC{created.astimezone(BEIJING):%Y%m%d}{secrets.token_hex(12)}"


def _subject(tenant, invoice: Invoice) -> str:
    """What the payer reads at the provider's cashier."""
    return _("Invoice %(number)s of %(vendor)s", number=invoice.number, vendor=tenant.legal_name)[:256]


def cashier_url(tenant, trade: EpayTrade) -> str:
    """The provider's signed cashier address for an open trade, stamped now (Alipay refuses stale requests)."""
    provider = provider_for(tenant, trade.provider)
    return provider.page_pay_url(
        out_trade_no=trade.out_trade_no,
        subject=trade.subject,
        amount=trade.amount,
        expires_at=trade.expires_at,
        return_url=trade.return_url,
        notify_url=trade.notify_url,
    )


def is_open(trade: EpayTrade) -> bool:
    """Whether the payer can still pay the trade at the provider."""
    return trade.status == TradeStatus.CREATED and now() < trade.expires_at


def _locked(tenant, out_trade_no: str) -> EpayTrade | None:
    """This tenant's trade, locked until commit: notifications and reconciliation take turns on it."""
    return db.session.scalar(
        select(EpayTrade)
        .where(EpayTrade.tenant_id == tenant.id, EpayTrade.out_trade_no == out_trade_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def handle_notification(tenant, params: dict):
    """A provider's notification: verified (signature, merchant, trade, amount), then settled once.

    Returns the provider's expected answer; a refusal is a 4xx, so the core writes nothing of it.
    """
    trade = _locked(tenant, str(params.get("out_trade_no", "")))
    if trade is None:
        log.warning("%s: notification for no trade of ours (%s)", tenant.slug, params.get("out_trade_no"))
        return "fail", 400
    try:
        provider = provider_for(tenant, trade.provider)
    except ProviderUnavailable:
        return "fail", 400
    note = provider.read_notification(params)
    problem = _problem(provider, trade, note)
    if problem:
        log.warning("%s: notification for %s refused: %s", tenant.slug, trade.out_trade_no, problem)
        return provider.answer(False)
    trade.notification, trade.notified_at = note.data, now()
    settle(trade, note.status, note.trade_no, source="notification", refunded=note.refunded)
    return provider.answer(True)


def _problem(provider, trade: EpayTrade, note) -> str:
    """Why a notification is not to be believed, or "" when it is."""
    if note is None:
        return "the signature does not verify"
    if note.app_id != provider.app_id:
        return f"app {note.app_id} is not ours"
    if provider.seller_id and note.seller_id != provider.seller_id:
        return f"seller {note.seller_id} is not ours"
    if note.out_trade_no != trade.out_trade_no:
        return "another trade"
    if note.amount != trade.amount:
        return f"amount {note.data.get('total_amount')} is not {trade.amount}"
    return ""


def settle(
    trade: EpayTrade, status: str, trade_no: str = "", source: str = "notification", refunded: Decimal | None = None
) -> bool:
    """Move a locked trade and its core payment to what the provider said; True when something changed.

    Paid is final: it credits once (the same news again changes nothing). A refund or a closing after it moves
    no money here either, but is written to the audit log and logged for a person (see _refunded_at_provider).
    A closing fails the payment only while it is pending. If the provider says paid after a trade was closed
    here, the money still came: it is recorded as a payment of its own rather than lost.
    """
    if trade.status == TradeStatus.PAID and (status == CLOSED or refunded):
        _refunded_at_provider(trade, status, refunded, source)
        return False
    if status == PAID and trade.status != TradeStatus.PAID:
        payment = db.session.get(Payment, trade.payment_id)
        if payment.status != PaymentStatus.PENDING:
            payment, _created = payments.record(
                db.session.get(Tenant, trade.tenant_id),
                trade.client_id,
                NAME,
                f"{trade.out_trade_no}-late",
                trade.amount,
                trade.currency,
                invoice_id=trade.invoice_id,
                data={"provider": trade.provider},
                note=trade.subject,
            )
            trade.payment_id = payment.id
        trade.status, trade.trade_no, trade.paid_at = TradeStatus.PAID, trade_no or trade.trade_no, now()
        payments.succeed(payment, [trade.invoice])
        audit.record(
            "payments_epay.trade_paid",
            tenant_id=trade.tenant_id,
            target=trade,
            source=source,
            out_trade_no=trade.out_trade_no,
            trade_no=trade.trade_no,
            amount=str(trade.amount),
        )
        return True
    if status == CLOSED and trade.status == TradeStatus.CREATED:
        trade.status, trade.trade_no, trade.closed_at = TradeStatus.CLOSED, trade_no or trade.trade_no, now()
        payments.fail(db.session.get(Payment, trade.payment_id))
        audit.record(
            "payments_epay.trade_closed",
            tenant_id=trade.tenant_id,
            target=trade,
            source=source,
            out_trade_no=trade.out_trade_no,
        )
        return True
    return False


def _refunded_at_provider(trade: EpayTrade, status: str, refunded: Decimal | None, source: str) -> None:
    """The provider says money of a paid trade went back to the payer (a refund, or the trade closed after it was
    paid). Nothing moves here: the core's payment stands until a person records the refund. But a person must see
    it: an audit event and a warning, once for each thing the provider says (its notifications repeat)."""
    facts = {"provider_status": status, "refunded": str(refunded) if refunded else ""}
    told = db.session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.action == "payments_epay.trade_refunded_at_provider",
            AuditEvent.target_type == EpayTrade.__name__,
            AuditEvent.target_id == trade.id,
        )
    ).all()
    if any({key: data.get(key) for key in facts} == facts for data in told):
        return
    log.warning(
        "tenant %s: trade %s was paid, and the provider now says %s (refunded %s): a person must look at it",
        trade.tenant_id,
        trade.out_trade_no,
        status,
        refunded or "?",
    )
    audit.record(
        "payments_epay.trade_refunded_at_provider",
        tenant_id=trade.tenant_id,
        target=trade,
        source=source,
        out_trade_no=trade.out_trade_no,
        trade_no=trade.trade_no,
        amount=str(trade.amount),
        **facts,
    )


def reconcile(tenant) -> int:
    """Ask the provider about trades still open after a few minutes: paid ones are settled as a notification
    would, closed or long-expired ones closed. Safe to run again; returns how many trades it settled.

    It commits: no transaction is open while a provider is asked (row locks, this run's or the caller's, never
    wait on the network), and each trade is settled in a short transaction of its own.
    """
    slug = tenant.slug
    due = db.session.execute(
        select(EpayTrade.out_trade_no, EpayTrade.provider)
        .where(
            EpayTrade.tenant_id == tenant.id,
            EpayTrade.status == TradeStatus.CREATED,
            EpayTrade.created_at <= now() - QUERY_AFTER,
        )
        .order_by(EpayTrade.id)
        .limit(RECONCILE_BATCH)
    ).all()
    providers = {}
    for name in dict.fromkeys(row.provider for row in due):
        try:
            providers[name] = provider_for(tenant, name)
        except ProviderUnavailable as exc:
            log.warning("%s: trades of %s not reconciled: %s", slug, name, exc)
    db.session.commit()
    settled = 0
    for out_trade_no, name in due:
        if name not in providers:
            continue
        try:
            answer = providers[name].query(out_trade_no)
        except ProviderError as exc:
            log.warning("%s: trade %s not reconciled: %s", slug, out_trade_no, exc)
            continue
        settled += _reconcile_one(tenant, out_trade_no, answer)
        db.session.commit()
    return settled


def _reconcile_one(tenant, out_trade_no: str, answer) -> int:
    """Settle one trade from the provider's answer, in a savepoint so one bad trade does not stop the run."""
    try:
        with db.session.begin_nested():
            trade = _locked(tenant, out_trade_no)
            if trade is None or trade.status != TradeStatus.CREATED:
                if trade is not None and trade.status == TradeStatus.PAID and answer.status == CLOSED:
                    settle(trade, CLOSED, answer.trade_no, source="query")  # refunded since: noted, nothing moves
                return 0  # a notification settled it meanwhile
            if answer.status == PAID:
                if answer.amount != trade.amount:
                    log.error(
                        "%s: trade %s paid %s at the provider, not %s: left for a person",
                        tenant.slug,
                        out_trade_no,
                        answer.amount,
                        trade.amount,
                    )
                    return 0
                return int(settle(trade, PAID, answer.trade_no, source="query"))
            expired = now() >= trade.expires_at + CLOSE_AFTER_EXPIRY
            if answer.status == CLOSED or (answer.status in (WAITING, MISSING) and expired):
                return int(settle(trade, CLOSED, answer.trade_no, source="query"))
            return 0
    except ServiceError as exc:
        log.error("%s: trade %s not settled: %s", tenant.slug, out_trade_no, exc)
        return 0


def list_trades(tenant, *, status: str = "", before: int | None = None, limit: int = 25):
    """One page of the tenant's trades, newest first (keyset on id); returns (rows, next_before)."""
    from sqlalchemy.orm import selectinload

    stmt = select(EpayTrade).options(selectinload(EpayTrade.invoice).selectinload(Invoice.client))
    stmt = stmt.where(EpayTrade.tenant_id == tenant.id)
    if status:
        stmt = stmt.where(EpayTrade.status == status)
    if before:
        stmt = stmt.where(EpayTrade.id < before)
    rows = db.session.scalars(stmt.order_by(EpayTrade.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
