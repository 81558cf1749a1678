"""What an add-on agreement owes (§13.2), put on the main agreement's regular invoice through saas_billing_lines:

- a one-off fee once, on the first invoice after the add-on began;
- a monthly fee per period of the main agreement (the periods billing uses), prorated by day when the add-on starts
  or ends inside the period;
- a yearly fee per year from the add-on's first day, billed once that year is over (on its anniversary), prorated
  by day when the add-on ends early;
- usage per period of the main agreement: the quantity the add-on's plugin measures × the unit price, with how it
  was measured on the line.

Nothing is billed for a day after the add-on's end. Working the lines out writes nothing (the dry run asks too);
each charge is written once, with its invoice, when the invoice takes it (`mark_billed`).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.addons.models import AddonAgreement, AddonCharge, AddonStatus, Fee
from saas.billing.periods import overlap, periods_between
from saas.core.bulk import among, insert_new
from saas.core.clock import add_months, now
from saas.core.mail import both_languages
from saas.core.models import Tenant
from saas.core.money import quantize
from saas.core.plugins import BillingLine
from saas.extensions import db

#: The key prefix of the add-on lines handed to the billing run: "addons.monthly:12:2026-02-29".
LINE_KEY = "addons."
#: Agreements that may owe something: in force, or ended with stretches not billed yet.
BILLABLE = (AddonStatus.ACTIVE, AddonStatus.ENDED)


@dataclass(frozen=True)
class Charge:
    """One fee of one agreement for one stretch, worked out but not written."""

    agreement: AddonAgreement
    fee: str
    start: date
    end: date  # exclusive: the stretch the fee is for (a period of the main agreement, a year, the first day)
    days: int  # the days of it the add-on ran
    period_days: int
    quantity: Decimal
    amount: Decimal
    how: object  # a text, or a lazy string the plugin renders in each language

    @property
    def key(self) -> str:
        return f"{LINE_KEY}{self.fee}:{self.agreement.id}:{self.start.isoformat()}"


def _stretches(agreement: AddonAgreement, fee: str, until: date) -> list[tuple[date, date, int, int]]:
    """(start, end, days run, days of the stretch) of each stretch of a fee that is over by `until`."""
    first, stop = agreement.starts_on, agreement.stop
    if stop <= first:
        return []
    if fee == Fee.ONE_OFF:
        return [(first, first, 1, 1)] if first <= until else []
    if fee in (Fee.MONTHLY, Fee.USAGE):
        anchor = agreement.contract.effective_date
        return [
            (p.start, p.end, overlap(p.start, p.end, first, stop), p.days)
            for p in periods_between(anchor, first, min(stop, until))
            if p.end <= until
        ]
    found, year = [], 0
    while True:  # yearly: from the add-on's first day, each year billed once it is over or the add-on has ended
        begins, ends = add_months(first, 12 * year), add_months(first, 12 * (year + 1))
        if begins >= stop or min(ends, stop) > until:
            return found
        found.append((begins, ends, overlap(begins, ends, first, stop), (ends - begins).days))
        year += 1


def _fee_of(agreement: AddonAgreement, fee: str) -> Decimal | None:
    return {
        Fee.ONE_OFF: agreement.one_off_fee,
        Fee.MONTHLY: agreement.monthly_fee,
        Fee.YEARLY: agreement.yearly_fee,
        Fee.USAGE: agreement.unit_price,
    }[fee]


def charges(agreement: AddonAgreement, until: date, types: dict, skip=frozenset(), only=None) -> list[Charge]:
    """The agreement's charges over by `until`, leaving out the (fee, start) in `skip` (billed already), or only
    those in `only`: nothing is measured for a stretch left out."""
    found = []
    for fee in Fee:
        price = _fee_of(agreement, fee)
        if price is None:
            continue
        for start, end, days, period_days in _stretches(agreement, fee, until):
            if days <= 0 or (fee, start) in skip or (only is not None and (fee, start) not in only):
                continue
            if fee == Fee.USAGE:
                kind = types.get(agreement.addon_type)
                if kind is None or kind.measure is None:
                    continue  # its plugin is not installed any more: nothing can be measured
                quantity, how = kind.measure(agreement, max(start, agreement.starts_on), min(end, agreement.stop))
                quantity = Decimal(quantity)
                amount = quantize(quantity * price, agreement.currency)
            elif fee == Fee.ONE_OFF:
                quantity, amount, how = Decimal(1), quantize(price, agreement.currency), ""
            else:
                quantity = Decimal(1)
                amount = quantize(price * days / period_days, agreement.currency)
                how = "" if days == period_days else f"{days}/{period_days}"
            found.append(Charge(agreement, fee, start, end, days, period_days, quantity, amount, how))
    return found


def _agreements(tenant: Tenant, contract_ids: list[int]) -> list[AddonAgreement]:
    return db.session.scalars(
        select(AddonAgreement)
        .options(selectinload(AddonAgreement.contract), selectinload(AddonAgreement.offer))
        .where(
            AddonAgreement.tenant_id == tenant.id,
            among(AddonAgreement.contract_id, contract_ids),
            AddonAgreement.status.in_(BILLABLE),
        )
        .order_by(AddonAgreement.id)
    ).all()


def _billed(agreement_ids: list[int]) -> dict[int, set[tuple[str, date]]]:
    found: dict[int, set[tuple[str, date]]] = {}
    if agreement_ids:
        for agreement_id, fee, start in db.session.execute(
            select(AddonCharge.agreement_id, AddonCharge.fee, AddonCharge.period_start).where(
                among(AddonCharge.agreement_id, agreement_ids)
            )
        ):
            found.setdefault(agreement_id, set()).add((fee, start))
    return found


def due(tenant: Tenant, contract_ids: list[int], today: date, types: dict) -> list[Charge]:
    """The charges of these contracts' add-ons over by `today` and not billed yet (a fixed number of queries, but
    the usage each plugin measures)."""
    agreements = _agreements(tenant, contract_ids)
    billed = _billed([a.id for a in agreements])
    return [c for a in agreements for c in charges(a, today, types, skip=billed.get(a.id, set()))]


def stored_how(how) -> str:
    """A plugin's `how` as a record keeps it: a plain text as it is, a lazy one written in both languages."""
    return how if isinstance(how, str) else both_languages(lambda: str(how), " / ")


def describe(charge: Charge) -> str:
    """The invoice line's text in both languages, as the other domains' lines: the add-on, its agreement, the fee
    and its stretch (with the days run when prorated, and how usage was measured)."""
    a = charge.agreement
    last = date.fromordinal(charge.end.toordinal() - 1) if charge.end > charge.start else charge.start
    span = {"start": charge.start.isoformat(), "end": last.isoformat()}

    def text() -> str:
        zh = str(get_locale() or "").startswith("zh")
        name = a.offer.name_zh if zh else a.offer.name_en
        if charge.fee == Fee.ONE_OFF:
            what = _("one-off fee")
        elif charge.fee == Fee.MONTHLY:
            what = _("monthly fee, %(start)s to %(end)s", **span)
        elif charge.fee == Fee.YEARLY:
            what = _("yearly fee, %(start)s to %(end)s", **span)
        else:
            what = _("usage, %(start)s to %(end)s", **span)
        if charge.fee in (Fee.MONTHLY, Fee.YEARLY) and charge.days != charge.period_days:
            what += _(" (%(days)d of %(period)d days)", days=charge.days, period=charge.period_days)
        if charge.fee == Fee.USAGE and charge.how:
            what += f" ({charge.how})"
        return f"{name} · {a.number}: {what}"

    return both_languages(text, " / ")


def billing_lines(tenant: Tenant, contract_ids: list[int], today: date, types: dict) -> list[BillingLine]:
    """The add-on lines of these contracts' next invoices (§13.2)."""
    return [
        BillingLine(
            c.agreement.contract_id,
            c.key,
            "add_on",
            describe(c),
            c.amount,
            quantity=c.quantity if c.fee == Fee.USAGE else None,
            source={
                "addon_agreement_id": c.agreement.id,
                "fee": str(c.fee),
                "period_start": c.start.isoformat(),
                "days": c.days,
                "period_days": c.period_days,
                "how": stored_how(c.how),
            },
        )
        for c in due(tenant, contract_ids, today, types)
    ]


def mark_billed(tenant: Tenant, billed: dict[str, int], types: dict) -> int:
    """Write each charge that went on an invoice, with that invoice's id, in the run's transaction; returns how many."""
    wanted: dict[int, dict[tuple[str, date], int]] = {}
    for key, invoice_id in billed.items():
        if not key.startswith(LINE_KEY):
            continue
        fee, agreement_id, start = key.removeprefix(LINE_KEY).split(":")
        wanted.setdefault(int(agreement_id), {})[(fee, date.fromisoformat(start))] = invoice_id
    if not wanted:
        return 0
    agreements = db.session.scalars(
        select(AddonAgreement)
        .options(selectinload(AddonAgreement.contract))  # its periods are the main agreement's
        .where(AddonAgreement.tenant_id == tenant.id, among(AddonAgreement.id, list(wanted)))
    ).all()
    rows, at = [], now()
    for a in agreements:
        for c in charges(a, date.max, types, only=set(wanted[a.id])):
            invoice_id = wanted[a.id][(str(c.fee), c.start)]
            rows.append(
                {
                    "tenant_id": a.tenant_id,
                    "client_id": a.client_id,
                    "agreement_id": a.id,
                    "contract_id": a.contract_id,
                    "fee": str(c.fee),
                    "period_start": c.start,
                    "period_end": c.end,
                    "days": c.days,
                    "period_days": c.period_days,
                    "quantity": c.quantity,
                    "amount": c.amount,
                    "how": stored_how(c.how),
                    "invoice_id": invoice_id,
                    "created_at": at,
                }
            )
    return len(insert_new(AddonCharge, rows, unique=("agreement_id", "fee", "period_start"), returning=("id",)))


def usage_so_far(agreement: AddonAgreement, today: date, types: dict) -> tuple[date, date, Decimal, str] | None:
    """The current period's usage measured up to today (start, end, quantity, how), for a usage-priced add-on in
    force today; None otherwise. A read only: it bills nothing."""
    kind = types.get(agreement.addon_type)
    if agreement.unit_price is None or kind is None or kind.measure is None:
        return None
    if not agreement.starts_on <= today < agreement.stop:
        return None
    current = periods_between(agreement.contract.effective_date, today, today + timedelta(days=1))
    if not current:
        return None
    start, end = max(current[0].start, agreement.starts_on), min(current[0].end, agreement.stop)
    quantity, how = kind.measure(agreement, start, min(end, today + timedelta(days=1)))
    return start, end, Decimal(quantity), how
