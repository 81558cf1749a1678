"""The demo's billing history: each month billed on its own day, the older ones paid by transfer on time."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.billing import late as late_penalties
from saas.billing import payments
from saas.billing.late import record_breaches
from saas.billing.models import Invoice
from saas.billing.payments import mark_overdue
from saas.billing.penalty_models import LatePenalty
from saas.billing.services import BILLABLE, due_periods
from saas.billing.tasks import start_run
from saas.contracts.models import Contract
from saas.contracts.services import local_today
from saas.core.clock import frozen_at
from saas.core.models import Tenant
from saas.extensions import db

#: The newest invoices the demo leaves open: for the payment plugins' demos, an overdue one, and people to pay.
LEFT_OPEN = 4


def replay_billing(tenant: Tenant) -> None:
    """Bill every period that has ended, each on the day after it ended as the nightly run would have; the client
    paid all but the newest LEFT_OPEN invoices by bank transfer three days before they were due."""
    today = local_today(tenant)
    zone = ZoneInfo(tenant.timezone)
    contracts = db.session.scalars(select(Contract).where(Contract.tenant_id == tenant.id,
                                                          Contract.status.in_(BILLABLE))).all()  # fmt: skip
    days = sorted({p.end for contract in contracts for p in due_periods(contract, today)})
    for day in days:
        with frozen_at(datetime.combine(day, time(0, 30), zone)):
            start_run(tenant.id, day)
    invoices = db.session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id)
                                  .order_by(Invoice.issue_date, Invoice.id)).all()  # fmt: skip
    for invoice in invoices[:-LEFT_OPEN]:
        paid_on = invoice.due_date - timedelta(days=3)
        with frozen_at(datetime.combine(paid_on, time(10), zone)):
            payment, _created = payments.record(tenant, invoice.client_id, "manual", f"转账 {invoice.number}",
                                                invoice.balance, invoice.currency, invoice_id=invoice.id,
                                                received_on=paid_on, note="网银转账")  # fmt: skip
            payments.succeed(payment, [invoice])
    _late_payments(tenant, [i for i in invoices[-LEFT_OPEN:] if i.due_date < today], zone)
    db.session.commit()


def _late_payments(tenant: Tenant, late: list[Invoice], zone: ZoneInfo) -> None:
    """The nightly overdue job on the day after each unpaid invoice fell due (§8.1.4): its breach and proposed
    penalty; the vendor confirmed the first penalty and waived the second, the rest wait for a decision."""
    from saas.core.models import Membership, Role, User

    for invoice in late:
        found = invoice.due_date + timedelta(days=1)
        with frozen_at(datetime.combine(found, time(0, 10), zone)):
            mark_overdue(tenant, found)
            record_breaches(tenant, found)
    billing = db.session.scalars(select(User).join(Membership).where(
        Membership.tenant_id == tenant.id, Membership.role == Role.VENDOR_BILLING).order_by(User.id)).first()
    proposed = db.session.scalars(select(LatePenalty).where(LatePenalty.tenant_id == tenant.id)
                                  .order_by(LatePenalty.id)).all()  # fmt: skip
    if billing is None or len(proposed) < 2:
        return
    late_penalties.confirm(proposed[0], billing, "按合同第8.2条执行 / Per §8.2 of the agreement")
    late_penalties.waive(proposed[1], billing, "首次逾期，予以免除 / First delay, waived as a courtesy")
