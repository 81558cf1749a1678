"""The service report of an agreement for a billing period, a calendar quarter or a calendar year (§12.1, annexes 7
and 9): what the vendor sends its client and the client downloads.

`report_for(contract, start, end)` gathers, in a fixed number of queries whatever the range's size, for the requests
received in the range (local days, clipped to the agreement's time in force):
- SLA compliance per clause (§4.1, §2.2.2, §2.3.2, §2.1.2 and the resolution targets of §4.3): applied, met,
  breached and the share met of those met or missed, for the whole range and for each billing period in it;
- the requests by category and by priority;
- the breaches by kind with their clause (§8.1), and the service credits (§8.2) of the periods starting in the range;
- the on-site visits (§2.1.2): how many, and the time spent on site;
- the ratings of the requests (§12.3): how many, their average and distribution;
- the evaluations of the periods starting in the range (§11.1, §11.2, annex 9) with the change from the one before,
  and the improvement measures (§11.3) those evaluations opened or judged, with their outcome.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from saas.billing.periods import Period, period, periods_between
from saas.billing.services import in_force
from saas.contracts.models import Contract
from saas.core.clock import local_midnight
from saas.core.parsing import InvalidDate, parse_index, parse_quarter, parse_year
from saas.credits.models import ServiceCredit
from saas.extensions import db
from saas.requests.models import Priority, RequestCategory, ServiceRequest, SiteVisit, SlaBreach
from saas.requests.services import measure_obligations_split
from saas.satisfaction.evaluation import RESPONSE_CLAUSES
from saas.satisfaction.models import Evaluation, ImprovementMeasure, RequestRating

#: The clauses of the compliance table, in the agreement's order, with the resolution targets (§4.3) last.
CLAUSES = {**RESPONSE_CLAUSES, "resolution": "§4.3"}
STEP = Decimal("0.1")


class BadRange(ValueError):
    """A report range that cannot be: its `message` says why, for people."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ReportRange:
    """The days a report covers, [start, end), and how it was asked: kind "period", "quarter" or "year"."""

    kind: str
    value: str  # the query argument: "3", "2026-Q4", "2026"
    start: date
    end: date  # exclusive

    @property
    def args(self) -> dict[str, str]:
        return {self.kind: self.value}

    @property
    def slug(self) -> str:
        """For file names and mail keys: P3, 2026-Q4, 2026."""
        return f"P{self.value}" if self.kind == "period" else self.value

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def quarter_days(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    return start, (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1))


def term_periods(contract: Contract) -> list[Period]:
    """The agreement's billing periods while it is in force."""
    start, stop = in_force(contract)
    return periods_between(contract.effective_date, start, stop)


def default_range(contract: Contract, today: date) -> ReportRange:
    """The last period that has ended by `today`, or else the first one."""
    periods = term_periods(contract)
    ended = [p for p in periods if p.end <= today]
    chosen = ended[-1] if ended else (periods[0] if periods else period(contract.effective_date, 0))
    return ReportRange("period", str(chosen.index), chosen.start, chosen.end)


def choose_range(contract: Contract, args, today: date) -> ReportRange:
    """The range the query asks for (?period=N, ?quarter=2026-Q4 or ?year=2026), clipped to the agreement's time
    in force; none asked: the last ended period. BadRange when it is malformed or outside the term."""
    start, stop = in_force(contract)
    if args.get("period") is not None:
        index = parse_index(args.get("period"))
        if index is None:
            raise BadRange(_l("A period is given by its number: 0 is the first."))
        p = period(contract.effective_date, index) if index < 10_000 else None
        if p is None or p.end <= start or p.start >= stop:
            raise BadRange(_l("The agreement has no period %(index)s in force.", index=index))
        chosen = ReportRange("period", str(index), p.start, p.end)
    elif args.get("quarter") is not None:
        try:
            year, quarter = parse_quarter(args.get("quarter"))
        except InvalidDate:
            raise BadRange(_l("A quarter is written like 2026-Q4, the quarter from 1 to 4.")) from None
        chosen = ReportRange("quarter", f"{year}-Q{quarter}", *quarter_days(year, quarter))
    elif args.get("year") is not None:
        try:
            year = parse_year(args.get("year"))
        except InvalidDate:
            raise BadRange(_l("A year is written with four digits, like 2026.")) from None
        chosen = ReportRange("year", str(year), date(year, 1, 1), date(year + 1, 1, 1))
    else:
        return default_range(contract, today)
    clipped = ReportRange(chosen.kind, chosen.value, max(chosen.start, start), min(chosen.end, stop))
    if clipped.end <= clipped.start:
        raise BadRange(_l("The agreement is not in force in that range."))
    return clipped


def choices(contract: Contract, today: date) -> dict[str, list[str]]:
    """What the range chooser offers: the periods, quarters and years of the term that have begun by `today`."""
    periods = [p for p in term_periods(contract) if p.start <= today]
    start, stop = in_force(contract)
    last = min(stop - timedelta(days=1), today)
    quarters, years = [], []
    if last >= start:
        for year in range(start.year, last.year + 1):
            years.append(str(year))
            for quarter in range(1, 5):
                q_start, q_end = quarter_days(year, quarter)
                if q_end > start and q_start <= last:
                    quarters.append(f"{year}-Q{quarter}")
    return {
        "period": [(str(p.index), p) for p in reversed(periods)],
        "quarter": list(reversed(quarters)),
        "year": list(reversed(years)),
    }


# The figures -----------------------------------------------------------------------------------------------------


def _pct(met: int, missed: int) -> Decimal | None:
    whole = met + missed
    return None if not whole else (Decimal(100) * met / whole).quantize(STEP, ROUND_HALF_UP)


def _clause_rows(counts: dict[str, dict[str, int]]) -> list[dict]:
    rows = []
    for key, clause in CLAUSES.items():
        c = counts.get(key, {"applied": 0, "met": 0, "breached": 0})
        rows.append({"key": key, "clause": clause, **c, "pct": _pct(c["met"], c["breached"])})
    return rows


def category_name(row: dict) -> str:
    return row["name_zh"] if str(get_locale()).startswith("zh") else row["name_en"]


def report_for(contract: Contract, start: date, end: date) -> dict:
    """The report's figures for the requests received in [start, end) (local days), clipped to the agreement's
    time in force; see the module's docstring. A fixed number of queries."""
    tenant = contract.tenant
    force_start, force_stop = in_force(contract)
    start, end = max(start, force_start), min(end, force_stop)
    end = max(end, start)
    begins, ends = local_midnight(tenant, start), local_midnight(tenant, end)
    # The billing periods overlapping the range, each clipped to it (a quarter cuts periods anchored on the 31st).
    periods = [
        Period(p.index, max(p.start, start), min(p.end, end))
        for p in periods_between(contract.effective_date, start, end)
    ]
    edges = [local_midnight(tenant, p.start) for p in periods] + [ends] if periods else [begins, ends]
    split = measure_obligations_split(contract, edges)
    totals: dict[str, dict[str, int]] = {}
    for part in split:
        for key, c in part.items():
            entry = totals.setdefault(key, {"applied": 0, "met": 0, "breached": 0})
            for name in entry:
                entry[name] += c[name]
    in_range = (
        ServiceRequest.contract_id == contract.id,
        ServiceRequest.received_at >= begins,
        ServiceRequest.received_at < ends,
    )

    # Requests by category and priority: one query.
    by_category: dict[int, dict] = {}
    by_priority = {str(p): 0 for p in Priority}
    for category_id, code, name_zh, name_en, priority, n in db.session.execute(
        select(
            RequestCategory.id,
            RequestCategory.code,
            RequestCategory.name_zh,
            RequestCategory.name_en,
            ServiceRequest.priority,
            func.count(ServiceRequest.id),
        )
        .join(RequestCategory, RequestCategory.id == ServiceRequest.category_id)
        .where(*in_range)
        .group_by(RequestCategory.id, RequestCategory.code, RequestCategory.name_zh, RequestCategory.name_en)
        .group_by(ServiceRequest.priority)
    ).all():
        row = by_category.setdefault(category_id, {"code": code, "name_zh": name_zh, "name_en": name_en, "count": 0})
        row["count"] += n
        by_priority[priority] = by_priority.get(priority, 0) + n
    categories = sorted(by_category.values(), key=lambda r: (-r["count"], r["code"]))

    # Breaches by kind and clause, of the requests received in the range: one query.
    breaches = [
        {"kind": kind, "clause": clause, "count": n}
        for kind, clause, n in db.session.execute(
            select(SlaBreach.kind, SlaBreach.clause, func.count(SlaBreach.id))
            .join(ServiceRequest, ServiceRequest.id == SlaBreach.request_id)
            .where(*in_range)
            .group_by(SlaBreach.kind, SlaBreach.clause)
            .order_by(SlaBreach.clause, SlaBreach.kind)
        ).all()
    ]

    # Service credits of the periods starting in the range: one query.
    credits = db.session.scalars(
        select(ServiceCredit)
        .where(
            ServiceCredit.contract_id == contract.id,
            ServiceCredit.period_start >= start,
            ServiceCredit.period_start < end,
        )
        .order_by(ServiceCredit.period_start, ServiceCredit.id)
    ).all()
    credit_totals: dict[str, Decimal] = {}
    for credit in credits:
        credit_totals[credit.status] = credit_totals.get(credit.status, Decimal(0)) + credit.amount

    # On-site visits arriving in the range: one query.
    visit_rows = db.session.execute(
        select(SiteVisit.request_id, SiteVisit.arrived_at, SiteVisit.departed_at)
        .join(ServiceRequest, ServiceRequest.id == SiteVisit.request_id)
        .where(ServiceRequest.contract_id == contract.id, SiteVisit.arrived_at >= begins, SiteVisit.arrived_at < ends)
    ).all()
    on_site = sum(((d - a).total_seconds() for _r, a, d in visit_rows if d is not None), 0.0)
    visits = {
        "count": len(visit_rows),
        "requests": len({r for r, _a, _d in visit_rows}),
        "open": sum(1 for *_x, d in visit_rows if d is None),
        "hours": (Decimal(int(on_site)) / 3600).quantize(STEP, ROUND_HALF_UP),
    }

    # Ratings of the requests received in the range: one query.
    distribution = dict.fromkeys(range(1, 6), 0)
    for score, n in db.session.execute(
        select(RequestRating.score, func.count(RequestRating.id))
        .join(ServiceRequest, ServiceRequest.id == RequestRating.request_id)
        .where(*in_range)
        .group_by(RequestRating.score)
    ).all():
        distribution[score] = n
    rated = sum(distribution.values())
    ratings = {
        "count": rated,
        "average": (
            (Decimal(sum(s * n for s, n in distribution.items())) / rated).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if rated
            else None
        ),
        "distribution": distribution,
    }

    # The evaluations of the periods starting in the range, and the one before the first (the trend): one query.
    starting = [p.index for p in periods_between(contract.effective_date, start, end) if p.start >= start]
    found = (
        db.session.scalars(
            select(Evaluation)
            .where(
                Evaluation.contract_id == contract.id,
                Evaluation.period_index.between(starting[0] - 1, starting[-1]),
            )
            .order_by(Evaluation.period_index)
        ).all()
        if starting
        else []
    )
    evaluations = []
    before = None
    for evaluation in found:
        if evaluation.period_index in starting:
            trend = None
            if before is not None and before.score is not None and evaluation.score is not None:
                trend = evaluation.score - before.score
            evaluations.append({"evaluation": evaluation, "previous": before, "trend": trend})
        before = evaluation

    # The improvement measures those evaluations opened or judged: one query.
    ids = [e["evaluation"].id for e in evaluations]
    measures = (
        db.session.scalars(
            select(ImprovementMeasure)
            .options(
                selectinload(ImprovementMeasure.evaluation),
                selectinload(ImprovementMeasure.checked_by),
                selectinload(ImprovementMeasure.owner),
            )
            .where(
                ImprovementMeasure.contract_id == contract.id,
                or_(ImprovementMeasure.evaluation_id.in_(ids), ImprovementMeasure.checked_by_id.in_(ids)),
            )
            .order_by(ImprovementMeasure.id)
        ).all()
        if ids
        else []
    )

    return {
        "contract": contract,
        "start": start,
        "end": end,
        "last_day": end - timedelta(days=1),
        "requests": sum(r["count"] for r in categories),
        "clauses": _clause_rows(totals),
        "periods": [
            {"period": p, "clauses": {row["key"]: row for row in _clause_rows(part)}}
            for p, part in zip(periods, split, strict=False)
        ]
        if periods
        else [],
        "categories": categories,
        "priorities": by_priority,
        "breaches": breaches,
        "credits": credits,
        "credit_totals": credit_totals,
        "currency": credits[0].currency if credits else None,
        "visits": visits,
        "ratings": ratings,
        "evaluations": evaluations,
        "measures": measures,
    }
