"""Demo rows of the cheque plugin: the tenant's cheque settings, and one invoice's cheque story (§3.2.2).

The first client's second-newest open invoice is paid by a cheque that is recorded, deposited and cleared, then
returned by the bank (the invoice owes again, the bounce fee waits for the next invoice), and paid again by a
replacement cheque that clears. The other demo invoices are left to the other payment methods' demos.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plugins.payments_cheque import services
from saas.billing.models import Invoice
from saas.billing.payments import OPEN_INVOICES
from saas.core.clock import frozen_at, local_today, now
from saas.core.models import Client, Membership, Role, User
from saas.core.tenants import save_plugin_settings


def seed(tenant, session) -> None:
    """Set the tenant's cheque settings and play the demo cheques (when billing has made the demo invoices)."""
    city = tenant.address[:2] if tenant.address else "北京"
    save_plugin_settings(
        tenant,
        services.NAME,
        {
            "payee": tenant.legal_name,
            "deposit_bank": f"招商银行{city}分行营业部",
            "bounce_fee": "50.00",
            "instructions": "请在支票背面注明发票号，并将支票寄送或送达我司财务部（工作日 9:00–17:30）。",
        },
    )
    session.flush()
    client = session.scalar(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id).limit(1))
    if client is None:
        return
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.tenant_id == tenant.id, Invoice.client_id == client.id, Invoice.status.in_(OPEN_INVOICES))
        .order_by(Invoice.period_start, Invoice.id)
    ).all()
    # the oldest open one is the bank transfer's demo and the newest is left to pay online
    if len(invoices) < 3:
        return
    _play(tenant, client, invoices[-2], _clerk(tenant, session))


def _clerk(tenant, session) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership)
        .where(Membership.tenant_id == tenant.id, Membership.role == Role.VENDOR_BILLING)
        .order_by(User.id)
        .limit(1)
    )


def _play(tenant, client, invoice, clerk) -> None:
    """Two cheques for one invoice: the first clears and comes back, the second clears for good."""
    today, zone = local_today(tenant), ZoneInfo(tenant.timezone)
    real_now = now()
    # The demo bills its past months in one run today; the story starts when the month's own run would have
    # issued the invoice, the day its period ended (a third invoice exists, so that was a month ago or more).
    start = min(invoice.issue_date, invoice.period_end)

    def on(days: int):
        """The day `days` after the story starts (never after today), and the clock at 10:00 on it."""
        day = min(start + timedelta(days=days), today)
        return day, frozen_at(min(datetime.combine(day, time(10), zone), real_now))

    cheque = {
        "client_id": client.id,
        "invoice_id": invoice.id,
        "drawee_bank": "中国建设银行张江支行",
        "drawer_name": client.legal_name,
        "drawer_account": "31050161373600001234",
        "amount": invoice.balance,
        "currency": invoice.currency,
        "note": "",
    }
    day, clock = on(5)
    with clock:
        first = services.record(tenant, {**cheque, "number": "30201456", "cheque_date": day, "received_on": day}, clerk)
    for step, days in ((services.deposit, 6), (services.clear, 8)):
        day, clock = on(days)
        with clock:
            step(tenant, first, day, clerk)
    day, clock = on(20)
    with clock:
        services.bounce(tenant, first, day, "付款行退票：出票人签章与预留印鉴不符", clerk)
    day, clock = on(23)
    with clock:
        second = services.record(
            tenant,
            {**cheque, "number": "30201457", "cheque_date": day, "received_on": day, "note": "替换退回的支票 30201456"},
            clerk,
        )
    for step, days in ((services.deposit, 24), (services.clear, 26)):
        day, clock = on(days)
        with clock:
            step(tenant, second, day, clerk)
