"""The demo's billing history: each month billed on its own day, the older ones paid by transfer on time."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.billing import payments
from saas.billing.late import record_breaches
from saas.billing.models import Invoice
from saas.billing.payments import mark_overdue
from saas.billing.services import BILLABLE, due_periods
from saas.billing.tasks import start_run
from saas.contracts.models import Contract
from saas.core.clock import frozen_at, local_today
from saas.core.models import Tenant
from saas.extensions import db

#: The newest invoices the demo leaves open: for the payment methods' demos, one left overdue, one for people to pay.
LEFT_OPEN = 4


def replay_billing(tenant: Tenant) -> None:
    """Bill every period that has ended, each on the day after it ended as the nightly run would have; the client
    paid all but the newest LEFT_OPEN invoices by bank transfer three days before they were due."""
    today = local_today(tenant)
    zone = ZoneInfo(tenant.timezone)
    contracts = db.session.scalars(
        select(Contract).where(Contract.tenant_id == tenant.id, Contract.status.in_(BILLABLE))
    ).all()
    days = sorted({p.end for contract in contracts for p in due_periods(contract, today)})
    for day in days:
        with frozen_at(datetime.combine(day, time(0, 30), zone)):
            start_run(tenant.id, day)
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant.id).order_by(Invoice.issue_date, Invoice.id)
    ).all()
    for invoice in invoices[:-LEFT_OPEN]:
        paid_on = invoice.due_date - timedelta(days=3)
        with frozen_at(datetime.combine(paid_on, time(10), zone)):
            payment, _created = payments.record(
                tenant,
                invoice.client_id,
                "manual",
                f"转账 {invoice.number}",
                invoice.balance,
                invoice.currency,
                invoice_id=invoice.id,
                received_on=paid_on,
                note="网银转账",
            )
            payments.succeed(payment, [invoice])
    db.session.commit()


def replay_late_payments(tenant: Tenant) -> None:
    """The nightly overdue job on the day after each invoice still unpaid fell due (§8.1.4): its breach and the
    penalty proposed for the vendor to decide (§8.2). Run once every method's demo has paid what it pays."""
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    due_days = sorted(
        set(
            db.session.scalars(
                select(Invoice.due_date).where(
                    Invoice.tenant_id == tenant.id, Invoice.status.in_(payments.OPEN_INVOICES), Invoice.due_date < today
                )
            )
        )
    )
    for due in due_days:
        found = due + timedelta(days=1)
        with frozen_at(datetime.combine(found, time(0, 10), zone)):
            mark_overdue(tenant, found)
            record_breaches(tenant, found)
    db.session.commit()
