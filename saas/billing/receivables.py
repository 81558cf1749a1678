"""What clients owe the vendor (§3.1, §8.1.4): open balances per client, aged by days past the due date."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from saas.billing.models import CreditEntry, Invoice
from saas.billing.payments import OPEN_INVOICES
from saas.core.models import Client, Tenant
from saas.extensions import db

#: The ageing buckets: (key, first day past due, last day past due or None).
BUCKETS = (("not_due", None, -1), ("d0_30", 0, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d90_plus", 91, None))


@dataclass
class AgeingRow:
    """One client's open balances by bucket, in one currency."""

    client_id: int | None
    client_name: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=dict)
    invoices: int = 0
    #: The client's unapplied credit (overpayments, credit notes), to set against what it owes.
    credit: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))


def _bucket_sums(today: date):
    """SUM(balance) per bucket as SQL expressions: a due date compared with fixed days, the same on any database."""
    columns = []
    for key, first, last in BUCKETS:
        conditions = []
        if first is not None:  # at least `first` days late: due on or before today - first
            conditions.append(Invoice.due_date <= today - timedelta(days=first))
        if last is not None:  # at most `last` days late: due on or after today - last
            conditions.append(Invoice.due_date >= today - timedelta(days=last))
        columns.append(func.coalesce(func.sum(case((db.and_(*conditions), Invoice.balance), else_=0)), 0).label(key))
    return columns


def ageing(tenant: Tenant, today: date) -> tuple[list[AgeingRow], list[AgeingRow]]:
    """(rows per client and currency, totals per currency) of open invoice balances on `today` (local)."""
    rows = db.session.execute(
        select(Invoice.client_id, Client.legal_name, Invoice.currency, func.count(Invoice.id), *_bucket_sums(today))
        .join(Client, Client.id == Invoice.client_id)
        .where(Invoice.tenant_id == tenant.id, Invoice.status.in_(OPEN_INVOICES), Invoice.balance > 0)
        .group_by(Invoice.client_id, Client.legal_name, Invoice.currency)
        .order_by(Client.legal_name, Invoice.currency)
    ).all()
    credits = {
        (client_id, currency): amount
        for client_id, currency, amount in db.session.execute(
            select(CreditEntry.client_id, CreditEntry.currency, func.sum(CreditEntry.amount))
            .where(CreditEntry.tenant_id == tenant.id)
            .group_by(CreditEntry.client_id, CreditEntry.currency)
        )
    }
    result, totals = [], {}
    for client_id, name, currency, count, *sums in rows:
        buckets = {key: Decimal(amount) for (key, _, _), amount in zip(BUCKETS, sums, strict=True)}
        row = AgeingRow(client_id, name, currency, buckets, count, Decimal(credits.get((client_id, currency)) or 0))
        result.append(row)
        total = totals.setdefault(currency, AgeingRow(None, "", currency, {key: Decimal(0) for key, _, _ in BUCKETS}))
        for key in row.buckets:
            total.buckets[key] += row.buckets[key]
        total.invoices += row.invoices
        total.credit += row.credit
    return result, list(totals.values())
