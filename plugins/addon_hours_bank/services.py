"""The hours bank (§13): prepaid engineer hours under a main agreement, drawn down by the time logged on its requests.

A bank's months are the main agreement's billing periods (saas/billing/periods.py) cut to the add-on's term, so a
month's overage is exactly what the period's usage line bills. Each month, worked out from the add-on's first day
on (the same on every re-run):

- granted: the agreement's `hours_per_month`, prorated by day for a month the add-on runs only part of (as the
  monthly fee is), to 0.01 h; the `one_off_hours` block is granted once, on the first day, and kept while the
  agreement runs, whatever the roll-over;
- carried in: unused monthly hours from before, as `rollover` says: "expire" none, "next_month" the month before's
  unused grant only (hours carried once expire at the end of the month they were carried into), "keep" every unused
  monthly hour so far;
- used: the hours logged on the agreement's requests on the month's days, drawn from what expires soonest first:
  the hours carried in, then the month's grant, then the block;
- over: what was used beyond all that; billed per hour as the agreement's usage (its unit price);
- expired: the unused hours lost at the month's end.

Time is logged on a request whatever the agreement: it draws the bank that runs on the request's agreement that day
(saas.addons.services.running_for), or nothing when none runs.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from plugins.addon_hours_bank.models import EntryKind, TimeEntry
from saas.addons.models import AddonAgreement, AddonCharge, AddonStatus, Fee
from saas.addons.services import running_for
from saas.billing.periods import overlap, periods_between
from saas.contracts.models import Contract
from saas.core import audit
from saas.core.bulk import among
from saas.core.clock import local_date, local_today
from saas.core.errors import ServiceError
from saas.core.models import Tenant, User
from saas.core.parsing import InvalidAmount, clean_text, parse_amount
from saas.extensions import db
from saas.requests.models import ServiceRequest

NAME = "addon_hours_bank"
HUNDREDTH = Decimal("0.01")
ZERO = Decimal("0.00")
#: Hours one entry may hold, and one person may log on one day in all.
MAX_HOURS = Decimal(24)
MAX_NOTE = 1000
#: Signed banks: in force, or ended (their months up to the end still count).
SIGNED = (AddonStatus.ACTIVE, AddonStatus.ENDED)
ROLLOVERS = {
    "expire": _l("expire at the month's end"),
    "next_month": _l("are carried into the next month only"),
    "keep": _l("are kept while the agreement runs"),
}
KIND_LABELS = {EntryKind.REMOTE: _l("Remote"), EntryKind.ON_SITE: _l("On-site visit")}


class TimeError(ServiceError):
    """Time cannot be logged so; `field` names the form field the reason belongs to."""

    def __init__(self, message: str, field: str = "hours"):
        super().__init__(message)
        self.field = field


def kind_label(kind: str) -> str:
    """An entry's kind, for people."""
    return str(KIND_LABELS.get(kind, kind))


def hours_text(value: Decimal) -> str:
    """Hours without trailing zeros: 20, 1.5, 0.25."""
    text = format(Decimal(value).quantize(HUNDREDTH), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# Terms -------------------------------------------------------------------------------------------------------------


def _hours_term(agreement: AddonAgreement, name: str, default: str) -> Decimal:
    try:
        value = parse_amount(str((agreement.terms or {}).get(name, default)), places=2, negative=False)
    except InvalidAmount:
        value = Decimal(default)
    return value.quantize(HUNDREDTH)


def hours_per_month(agreement: AddonAgreement) -> Decimal:
    """The hours the agreement grants each whole month."""
    return _hours_term(agreement, "hours_per_month", "20")


def one_off_hours(agreement: AddonAgreement) -> Decimal:
    """The block of hours granted once, on the agreement's first day."""
    return _hours_term(agreement, "one_off_hours", "0")


def rollover(agreement: AddonAgreement) -> str:
    """What becomes of unused monthly hours: "expire", "next_month" or "keep"."""
    value = (agreement.terms or {}).get("rollover", "next_month")
    return value if value in ROLLOVERS else "next_month"


# The bank's months -------------------------------------------------------------------------------------------------


@dataclass
class Month:
    """One month of a bank: [start, end) local days, what it held, what was used, and what was left or lost."""

    start: date
    end: date
    days: int
    period_days: int
    granted: Decimal = ZERO
    carried_in: Decimal = ZERO
    block_in: Decimal = ZERO
    used: Decimal = ZERO
    over: Decimal = ZERO
    left: Decimal = ZERO  # unused at the month's end (or so far), before expiry
    expired: Decimal = ZERO
    carried_out: Decimal = ZERO
    block_out: Decimal = ZERO
    #: The month is over by the day the balance was asked for.
    closed: bool = False

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def held(self) -> Decimal:
        """All the hours the month could draw on."""
        return self.granted + self.carried_in + self.block_in

    def how(self) -> str:
        """How the month's overage was worked out, in the current language."""
        parts = [_("%(hours)s h of the month", hours=hours_text(self.granted))]
        if self.carried_in:
            parts.append(_("%(hours)s h carried", hours=hours_text(self.carried_in)))
        if self.block_in:
            parts.append(_("%(hours)s h of the one-off block", hours=hours_text(self.block_in)))
        return _(
            "%(logged)s, %(bank)s: %(over)s",
            logged=_("%(hours)s h logged", hours=hours_text(self.used)),
            bank=" + ".join(parts),
            over=_("%(hours)s h over", hours=hours_text(self.over)),
        )


def _grid(agreement: AddonAgreement, until: date) -> list[Month]:
    """The bank's months that have begun by `until` (inclusive), the main agreement's periods cut to its term."""
    first, stop = agreement.starts_on, agreement.stop
    if stop <= first or until < first:
        return []
    found = []
    for p in periods_between(agreement.contract.effective_date, first, stop):
        start, end = max(p.start, first), min(p.end, stop)
        if start > until:
            break
        found.append(Month(start, end, overlap(p.start, p.end, first, stop), p.days))
    return found


def _runs(agreement: AddonAgreement, day: date) -> bool:
    """Whether a signed bank runs on `day` (as running_for asks)."""
    ended = agreement.ended_from is not None and agreement.ended_from <= day
    return agreement.starts_on <= day < agreement.ends_on and not ended


def _banks_of_contracts(contract_ids: list[int]) -> dict[int, list[AddonAgreement]]:
    rows = db.session.scalars(
        select(AddonAgreement).where(
            among(AddonAgreement.contract_id, contract_ids),
            AddonAgreement.addon_type == NAME,
            AddonAgreement.status.in_(SIGNED),
        )
    ).all()
    found: dict[int, list[AddonAgreement]] = {}
    for a in rows:
        found.setdefault(a.contract_id, []).append(a)
    return found


def _drawing(banks: list[AddonAgreement], day: date) -> AddonAgreement | None:
    """The bank an entry of `day` draws (running_for's choice: the latest started of those running)."""
    running = [a for a in banks if _runs(a, day)]
    return max(running, key=lambda a: (a.starts_on, a.id)) if running else None


def _used_by_day(agreements: list[AddonAgreement], start: date, stop: date) -> dict[int, dict[date, Decimal]]:
    """Hours logged per day in [start, stop) on the agreements' requests, by the bank they draw ({agreement id: {day:
    hours}}): two queries for any number of banks."""
    if not agreements:
        return {}
    contract_ids = sorted({a.contract_id for a in agreements})
    rows = db.session.execute(
        select(TimeEntry.contract_id, TimeEntry.worked_on, func.sum(TimeEntry.hours))
        .where(
            TimeEntry.tenant_id == agreements[0].tenant_id,
            among(TimeEntry.contract_id, contract_ids),
            TimeEntry.worked_on >= start,
            TimeEntry.worked_on < stop,
        )
        .group_by(TimeEntry.contract_id, TimeEntry.worked_on)
    ).all()
    banks = _banks_of_contracts(contract_ids)
    found: dict[int, dict[date, Decimal]] = {a.id: {} for a in agreements}
    for contract_id, day, hours in rows:
        drawing = _drawing(banks.get(contract_id, []), day)
        if drawing is not None and drawing.id in found:
            found[drawing.id][day] = Decimal(hours or 0).quantize(HUNDREDTH)
    return found


def months(agreement: AddonAgreement, until: date, per_day: dict[date, Decimal] | None = None) -> list[Month]:
    """The bank's months from its first day to the one `until` falls in (or its last), worked out in order;
    `per_day`: its hours by day when read already (balances)."""
    grid = _grid(agreement, until)
    if not grid:
        return []
    if per_day is None:
        per_day = _used_by_day([agreement], grid[0].start, grid[-1].end)[agreement.id]
    monthly, block, mode = hours_per_month(agreement), one_off_hours(agreement), rollover(agreement)
    carried = ZERO
    for index, m in enumerate(grid):
        m.granted = (monthly * m.days / m.period_days).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
        m.carried_in, m.block_in = carried, block if index == 0 else grid[index - 1].block_out
        m.used = sum((h for d, h in per_day.items() if m.start <= d < m.end), ZERO)
        rest = m.used
        from_carried = min(rest, m.carried_in)
        rest -= from_carried
        from_granted = min(rest, m.granted)
        rest -= from_granted
        from_block = min(rest, m.block_in)
        m.over = rest - from_block
        carried_left, granted_left = m.carried_in - from_carried, m.granted - from_granted
        m.block_out = m.block_in - from_block
        m.left = carried_left + granted_left + m.block_out
        if mode == "keep":
            m.carried_out = carried_left + granted_left
        elif mode == "next_month":
            m.carried_out, m.expired = granted_left, carried_left
        else:
            m.expired = carried_left + granted_left
        m.closed = m.end <= until
        carried = m.carried_out
    return grid


def balance(agreement: AddonAgreement, today: date) -> list[Month]:
    """The bank month by month up to the one `today` falls in, the newest last: per month granted, carried in, the
    one-off block left, used, over, left, expired (a month still running shows what would expire at its end)."""
    return months(agreement, min(today, agreement.stop - timedelta(days=1)))


def current(agreement: AddonAgreement, today: date) -> Month | None:
    """This month's balance (the last month, once the bank has ended), or None before it starts."""
    found = balance(agreement, today)
    return found[-1] if found else None


def balances(agreements: list[AddonAgreement], today: date) -> dict[int, list[Month]]:
    """balance() of many banks at once, by agreement id, from two queries (their main agreements loaded)."""
    if not agreements:
        return {}
    start = min(a.starts_on for a in agreements)
    stop = max(a.stop for a in agreements)
    used = _used_by_day(agreements, start, stop)
    return {a.id: months(a, min(today, a.stop - timedelta(days=1)), used[a.id]) for a in agreements}


def measure(agreement: AddonAgreement, start: date, end: date) -> tuple[Decimal, object]:
    """The usage of [start, end) for billing (AddonType.measure): the hours logged beyond what the bank held in the
    months of those days, and how that was worked out (a lazy string: each invoice language gets its own)."""
    found = [m for m in months(agreement, end - timedelta(days=1)) if overlap(m.start, m.end, start, end)]
    if not found:
        return ZERO, ""
    over = sum((m.over for m in found), ZERO)
    return over, LazyString(lambda: "; ".join(m.how() for m in found))


# Time entries ------------------------------------------------------------------------------------------------------


def parse_hours(value) -> Decimal:
    """Hours of one entry: more than 0, at most 24, to the hundredth; a ServiceError says what is wrong."""
    try:
        hours = parse_amount(value, places=2, max_digits=2, negative=False)
    except InvalidAmount as exc:
        if exc.reason == "too_many_decimals":
            raise TimeError(_("Give the hours to two decimal places at most.")) from exc
        raise TimeError(_("Give the hours as a number from 0.01 to 24.")) from exc
    if not ZERO < hours <= MAX_HOURS:
        raise TimeError(_("Give the hours as a number from 0.01 to 24."))
    return hours


def _billed_month(bank: AddonAgreement, day: date) -> date | None:
    """The first day of the bank's period holding `day` when its usage has been invoiced already, else None."""
    if bank.unit_price is None:
        return None
    periods = periods_between(bank.contract.effective_date, day, day + timedelta(days=1))
    if not periods:
        return None
    billed = db.session.scalar(
        select(AddonCharge.id).where(
            AddonCharge.agreement_id == bank.id,
            AddonCharge.fee == Fee.USAGE,
            AddonCharge.period_start == periods[0].start,
        )
    )
    return max(periods[0].start, bank.starts_on) if billed else None


def log_time(req: ServiceRequest, data: dict, actor: User | None, once: str | None = None) -> tuple[TimeEntry, bool]:
    """Log an engineer's hours on a request for one day (remote or an on-site visit); returns (entry, made).

    Hours from 0.01 to 24, at most 24 a day for one person in all; a day from the request's arrival to today; not
    for a month of a bank whose usage has been invoiced (the invoice and the balance would part). `once` (the form's
    one-time token) makes the same form sent twice, even at once, log one entry: the second gets the first back."""
    tenant = db.session.get(Tenant, req.tenant_id)
    if once:
        found = _by_once(req.tenant_id, once)
        if found is not None:
            return found, False
    hours = parse_hours(data.get("hours"))
    day = data.get("worked_on")
    if not isinstance(day, date):
        raise TimeError(_("Give the day the work was done."), "worked_on")
    today = local_today(tenant)
    if day > today or day < local_date(tenant, req.received_at):
        raise TimeError(
            _(
                "Give a day from the request's arrival (%(start)s) to today.",
                start=local_date(tenant, req.received_at).isoformat(),
            ),
            "worked_on",
        )
    kind = str(data.get("kind") or EntryKind.REMOTE)
    if kind not in EntryKind.__members__.values():
        raise TimeError(_("Choose remote work or an on-site visit."), "kind")
    if actor is not None:
        that_day = db.session.scalar(
            select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
                TimeEntry.tenant_id == req.tenant_id, TimeEntry.logged_by_id == actor.id, TimeEntry.worked_on == day
            )
        )
        if Decimal(that_day or 0) + hours > MAX_HOURS:
            raise TimeError(
                _("%(hours)s h are logged for you on that day already: a day has 24.", hours=hours_text(that_day))
            )
    bank = running_for(req.contract_id, NAME, day)
    billed = _billed_month(bank, day) if bank is not None else None
    if billed is not None:
        raise TimeError(
            _(
                "The hours bank's month from %(start)s has been invoiced: time for it can no longer be logged.",
                start=billed.isoformat(),
            ),
            "worked_on",
        )
    entry = TimeEntry(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        contract_id=req.contract_id,
        kind=kind,
        worked_on=day,
        hours=hours,
        note=clean_text(str(data.get("note") or "")).strip()[:MAX_NOTE],
        logged_by_id=actor.id if actor is not None else None,
        once=once or None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # the same form at this very moment: the first one's entry stands
        found = _by_once(req.tenant_id, once) if once else None
        if found is None:
            raise
        return found, False
    audit.record(
        "addon_hours_bank.time_logged",
        tenant_id=req.tenant_id,
        target=entry,
        actor=actor,
        request=req.number,
        hours=str(hours),
        worked_on=day.isoformat(),
        bank=bank.number if bank is not None else "",
    )
    return entry, True


def _by_once(tenant_id: int, once: str) -> TimeEntry | None:
    """The entry a form's one-time token logged, if any."""
    return db.session.scalar(select(TimeEntry).where(TimeEntry.tenant_id == tenant_id, TimeEntry.once == once))


def entries_of(req: ServiceRequest) -> list[TimeEntry]:
    """The request's time entries, newest day first, with who logged them (one query)."""
    return db.session.scalars(
        select(TimeEntry)
        .options(selectinload(TimeEntry.logged_by))
        .where(TimeEntry.tenant_id == req.tenant_id, TimeEntry.request_id == req.id)
        .order_by(TimeEntry.worked_on.desc(), TimeEntry.id.desc())
    ).all()


def drawing_of(req: ServiceRequest, entries: list[TimeEntry], today: date) -> tuple[AddonAgreement | None, dict]:
    """The bank running on the request's agreement today, and which bank each entry drew ({entry id: agreement or
    None}), from one query of the agreement's banks."""
    banks = _banks_of_contracts([req.contract_id]).get(req.contract_id, [])
    return _drawing(banks, today), {e.id: _drawing(banks, e.worked_on) for e in entries}


def entries_drawing(agreements: list[AddonAgreement], today: date) -> dict[int, list[tuple[TimeEntry, ServiceRequest]]]:
    """The entries that drew each bank up to today, newest first, each with its request, by agreement id (one query
    for the entries and one for the banks, whatever their number)."""
    found: dict[int, list] = {a.id: [] for a in agreements}
    if not agreements:
        return found
    start = min(a.starts_on for a in agreements)
    upto = max(min(today, a.stop - timedelta(days=1)) for a in agreements) + timedelta(days=1)
    contract_ids = sorted({a.contract_id for a in agreements})
    rows = db.session.execute(
        select(TimeEntry, ServiceRequest)
        .join(ServiceRequest, ServiceRequest.id == TimeEntry.request_id)
        .where(
            TimeEntry.tenant_id == agreements[0].tenant_id,
            among(TimeEntry.contract_id, contract_ids),
            TimeEntry.worked_on >= start,
            TimeEntry.worked_on < upto,
        )
        .order_by(TimeEntry.worked_on.desc(), TimeEntry.id.desc())
    ).all()
    banks = _banks_of_contracts(contract_ids)
    for entry, req in rows:
        drawing = _drawing(banks.get(entry.contract_id, []), entry.worked_on)
        if drawing is not None and drawing.id in found and entry.worked_on <= today:
            found[drawing.id].append((entry, req))
    return found


def banks(tenant: Tenant, client_id: int | None = None, signed_only: bool = True) -> list[AddonAgreement]:
    """The tenant's hours banks (of one client when given), newest first, with their main agreements and clients
    (a fixed number of queries)."""
    stmt = (
        select(AddonAgreement)
        .options(
            selectinload(AddonAgreement.contract).selectinload(Contract.client), selectinload(AddonAgreement.offer)
        )
        .where(AddonAgreement.tenant_id == tenant.id, AddonAgreement.addon_type == NAME)
        .order_by(AddonAgreement.starts_on.desc(), AddonAgreement.id.desc())
    )
    if client_id is not None:
        stmt = stmt.where(AddonAgreement.client_id == client_id)
    if signed_only:
        stmt = stmt.where(AddonAgreement.status.in_(SIGNED), AddonAgreement.signed_on.is_not(None))
    return db.session.scalars(stmt).all()
