"""The evaluation of every payment cycle (§11.1, §11.2): each agreement's monthly periods (the ones billing uses,
anchored on the effective date) are scored on the criteria of §11.1, from the period's own data and its client's
survey answers, once the period's survey has closed.

Each criterion is a sub-score from 0 to 100:
- response (technical support response time): the share of the period's deadlines to respond and to arrive on site
  (§4.1, §2.2.2, §2.3.2, §2.1.2) that were met, counting only those already met or missed;
- resolution (problem-resolution speed): the share of resolution targets met (§4.3), with the median working time to
  resolve shown beside it;
- quality (service quality): the mean of 100 × (1 − reopened requests / requests), 100 × (1 − confirmed §8.1.1
  breaches / requests) and, where requests were rated, 25 × (average rating − 1);
- survey (annex 9): 25 × (average answer − 1).
The overall score is the mean of the sub-scores present, weighted by the vendor's weights (a criterion without data
gives its weight to the others). A period without requests gets no score and says so.

The inputs and the weights are frozen on the evaluation: `scores(inputs, weights)` computes the figures from them
alone, so the evaluation is the same whenever it is read or recomputed.
"""

from bisect import bisect_right
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from saas.billing.periods import Period, periods_between
from saas.billing.services import in_force
from saas.calendars.working_time import ALWAYS, working_time_between
from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core.bulk import among, insert_new
from saas.core.clock import local_midnight, now
from saas.core.counters import locked_row
from saas.core.models import Tenant
from saas.extensions import db
from saas.requests.models import BreachKind, RequestEvent, RequestKind, RequestPause, ServiceRequest, SlaBreach
from saas.requests.sla import tenant_specs
from saas.satisfaction.models import (
    Criterion,
    Evaluation,
    EvaluationPolicy,
    ImprovementMeasure,
    MeasureStatus,
    RequestRating,
    Survey,
)

#: The weights and thresholds a tenant starts with (§11.2); the vendor changes them in its settings.
DEFAULTS = {
    "weight_response": 30,
    "weight_resolution": 30,
    "weight_quality": 20,
    "weight_survey": 20,
    "threshold": 80,
    "floor_response": 60,
    "floor_resolution": 60,
    "floor_quality": 60,
    "floor_survey": 60,
    "survey_days": 10,
    "measure_days": 30,
}
CRITERIA = (Criterion.RESPONSE, Criterion.RESOLUTION, Criterion.QUALITY, Criterion.SURVEY)
#: The deadlines the response criterion counts, by the agreement's clause.
RESPONSE_CLAUSES = {
    "service_response": "§4.1",
    "fault_response": "§2.2.2",
    "consult_response": "§2.3.2",
    "onsite_arrival": "§2.1.2",
}
#: Breaches of the agreed standard (§8.1.1) that weigh on service quality.
QUALITY_BREACHES = (BreachKind.NOT_FIXED, BreachKind.BELOW_STANDARD)
#: Agreements ended longer ago than this are not looked at any more (their last period is evaluated by then).
ENDED_LOOKBACK = timedelta(days=62)
STEP = Decimal("0.1")
HUNDRED = Decimal(100)


def policy_of(tenant_id: int) -> EvaluationPolicy:
    """The tenant's weights and thresholds: its saved row, or the defaults (not saved)."""
    policy = db.session.scalar(select(EvaluationPolicy).where(EvaluationPolicy.tenant_id == tenant_id))
    return policy or EvaluationPolicy(tenant_id=tenant_id, **DEFAULTS)


def locked_policy(tenant_id: int) -> EvaluationPolicy:
    """The tenant's policy row, made with the defaults if it has none, locked until commit: what serialises the
    tenant's first survey questions and its settings."""
    return locked_row(EvaluationPolicy, DEFAULTS, tenant_id=tenant_id)


def weights_of(policy: EvaluationPolicy) -> dict[str, int]:
    """The policy as it is frozen on an evaluation."""
    return {
        Criterion.RESPONSE: policy.weight_response,
        Criterion.RESOLUTION: policy.weight_resolution,
        Criterion.QUALITY: policy.weight_quality,
        Criterion.SURVEY: policy.weight_survey,
        "threshold": policy.threshold,
        "floors": {str(c): getattr(policy, f"floor_{c}") for c in CRITERIA},
    }


# Scores from frozen inputs -----------------------------------------------------------------------------------------


def _pct(part, whole) -> Decimal | None:
    return None if not whole else (HUNDRED * Decimal(part) / Decimal(whole)).quantize(STEP, ROUND_HALF_UP)


def _from_five(total, count) -> Decimal | None:
    """An average on the 1–5 scale as 0–100: 1 is 0, 5 is 100."""
    return None if not count else (25 * (Decimal(total) / Decimal(count) - 1)).quantize(STEP, ROUND_HALF_UP)


def quality_parts(inputs: dict) -> dict[str, Decimal | None]:
    """The components of the service-quality sub-score (see the module's docstring)."""
    n, quality = inputs["requests"], inputs["quality"]
    if not n:
        return {"reopen": None, "breaches": None, "ratings": None}
    return {
        "reopen": _pct(n - min(quality["reopened"], n), n),
        "breaches": _pct(n - min(quality["breaches"], n), n),
        "ratings": _from_five(quality["rating_sum"], quality["ratings"]),
    }


def scores(inputs: dict, weights: dict) -> dict:
    """Every sub-score, the overall score and whether it falls short, from an evaluation's frozen inputs alone."""
    n = inputs["requests"]
    survey = inputs.get("survey") or {}
    sub: dict[str, Decimal | None] = {
        Criterion.SURVEY: _from_five(survey.get("answer_sum", 0), survey.get("answers", 0)),
        Criterion.RESPONSE: None,
        Criterion.RESOLUTION: None,
        Criterion.QUALITY: None,
    }
    if n:
        response = inputs["response"].values()
        sub[Criterion.RESPONSE] = _pct(sum(r["met"] for r in response), sum(r["judged"] for r in response))
        sub[Criterion.RESOLUTION] = _pct(inputs["resolution"]["met"], inputs["resolution"]["judged"])
        parts = [p for p in quality_parts(inputs).values() if p is not None]
        sub[Criterion.QUALITY] = (sum(parts) / len(parts)).quantize(STEP, ROUND_HALF_UP)
    score = None
    if n:
        present = [(Decimal(weights[c]), s) for c, s in sub.items() if s is not None and weights[c] > 0]
        total = sum(w for w, _s in present)
        if total:
            score = (sum(w * s for w, s in present) / total).quantize(STEP, ROUND_HALF_UP)
    short = [c for c in CRITERIA if sub[c] is not None and sub[c] < weights["floors"][c]]
    below = score is not None and (score < weights["threshold"] or bool(short))
    return {"sub": sub, "score": score, "below": below, "short": short}


# The period's figures, for a chunk of agreements at once -----------------------------------------------------------


def due_periods(contract: Contract, today: date, survey_days: int) -> list[Period]:
    """The agreement's periods in force whose survey has closed by `today` (local): those to evaluate."""
    start, stop = in_force(contract)
    last = today - timedelta(days=survey_days)  # a period ending by then has had its survey closed
    return [p for p in periods_between(contract.effective_date, start, min(stop, last)) if p.end <= last]


def _blank() -> dict:
    return {
        "requests": 0,
        "response": {key: {"judged": 0, "met": 0} for key in RESPONSE_CLAUSES},
        "resolution": {"judged": 0, "met": 0, "median_hours": None},
        "quality": {"reopened": 0, "breaches": 0, "ratings": 0, "rating_sum": 0},
        "survey": None,
    }


def _judged(done, due, breached):
    """(judged, met) of one deadline: judged once met or missed; met when done by the due time, not breached."""
    return (
        case((or_(done.is_not(None), breached), 1), else_=0),
        case((and_(done.is_not(None), ~breached, (due.is_(None)) | (done <= due)), 1), else_=0),
    )


def figures(tenant: Tenant, buckets: list[tuple[Contract, Period]]) -> dict[tuple[int, int], dict]:
    """The inputs of each (agreement, period): a fixed number of queries for any number of agreements."""
    found = {(c.id, p.index): _blank() for c, p in buckets}
    if not buckets:
        return found
    # Per agreement, its periods' starts in UTC, to place each request in its period.
    edges: dict[int, list[tuple[datetime, datetime, int]]] = {}
    for contract, p in buckets:
        edges.setdefault(contract.id, []).append(
            (local_midnight(tenant, p.start), local_midnight(tenant, p.end), p.index)
        )
    for spans in edges.values():
        spans.sort()
    contract_ids = list(edges)
    begins = min(s[0][0] for s in edges.values())
    ends = max(s[-1][1] for s in edges.values())

    def bucket_of(contract_id: int, received: datetime):
        spans = edges[contract_id]
        at = bisect_right([s[0] for s in spans], received) - 1
        if at >= 0 and received < spans[at][1]:
            return contract_id, spans[at][2]
        return None

    response_key = case(
        (ServiceRequest.kind == RequestKind.FAULT, "fault_response"),
        (ServiceRequest.kind == RequestKind.CONSULTATION, "consult_response"),
        else_="service_response",
    )
    r_judged, r_met = _judged(
        ServiceRequest.first_response_at, ServiceRequest.response_due_at, ServiceRequest.response_breached
    )
    a_judged, a_met = _judged(
        ServiceRequest.first_arrival_at, ServiceRequest.arrival_due_at, ServiceRequest.arrival_breached
    )
    s_judged, s_met = _judged(
        ServiceRequest.resolved_at, ServiceRequest.resolution_due_at, ServiceRequest.resolution_breached
    )
    in_window = and_(
        among(ServiceRequest.contract_id, contract_ids),
        ServiceRequest.received_at >= begins,
        ServiceRequest.received_at < ends,
    )
    rows = db.session.execute(
        select(
            ServiceRequest.id,
            ServiceRequest.contract_id,
            ServiceRequest.received_at,
            response_key,
            r_judged,
            r_met,
            case((ServiceRequest.arrival_hours.is_not(None), a_judged), else_=0),
            a_met,
            s_judged,
            s_met,
            ServiceRequest.resolved_at,
            ServiceRequest.calendar_id,
        ).where(ServiceRequest.tenant_id == tenant.id, in_window)
    ).all()
    where = {}
    resolved = []
    for rid, cid, received, key, rj, rm, aj, am, sj, sm, resolved_at, calendar_id in rows:
        place = bucket_of(cid, received)
        if place is None:
            continue
        where[rid] = place
        f = found[place]
        f["requests"] += 1
        f["response"][key]["judged"] += rj
        f["response"][key]["met"] += rm
        f["response"]["onsite_arrival"]["judged"] += aj
        f["response"]["onsite_arrival"]["met"] += am if aj else 0
        f["resolution"]["judged"] += sj
        f["resolution"]["met"] += sm
        if resolved_at is not None and sm + sj:
            resolved.append((rid, place, received, resolved_at, calendar_id))
    if not where:
        return found
    _median_hours(tenant, found, resolved)
    request_ids = list(where)
    for (rid,) in db.session.execute(
        select(RequestEvent.request_id)
        .where(among(RequestEvent.request_id, request_ids), RequestEvent.kind == "reopened")
        .distinct()
    ).all():
        found[where[rid]]["quality"]["reopened"] += 1
    for rid, count in db.session.execute(
        select(SlaBreach.request_id, func.count(SlaBreach.id))
        .where(among(SlaBreach.request_id, request_ids), SlaBreach.kind.in_(QUALITY_BREACHES))
        .group_by(SlaBreach.request_id)
    ).all():
        found[where[rid]]["quality"]["breaches"] += count
    for rid, score in db.session.execute(
        select(RequestRating.request_id, RequestRating.score).where(among(RequestRating.request_id, request_ids))
    ).all():
        found[where[rid]]["quality"]["ratings"] += 1
        found[where[rid]]["quality"]["rating_sum"] += score
    for place, survey in survey_figures(list(found)).items():
        found[place]["survey"] = survey
    return found


def _median_hours(tenant: Tenant, found: dict, resolved: list) -> None:
    """The median working time to resolve per period, in hours on each request's own calendar, less its pauses."""
    if not resolved:
        return
    specs = tenant_specs(tenant.id)
    ids = [r[0] for r in resolved]
    pauses: dict[int, list] = {}
    for rid, started, ended in db.session.execute(
        select(RequestPause.request_id, RequestPause.started_at, RequestPause.ended_at).where(
            among(RequestPause.request_id, ids)
        )
    ).all():
        pauses.setdefault(rid, []).append((started, ended))
    spent: dict[tuple[int, int], list[float]] = {}
    for rid, place, received, resolved_at, calendar_id in resolved:
        worked = working_time_between(specs.get(calendar_id, ALWAYS), received, resolved_at, pauses.get(rid, ()))
        spent.setdefault(place, []).append(worked.total_seconds() / 3600)
    for place, hours in spent.items():
        found[place]["resolution"]["median_hours"] = str(Decimal(str(median(hours))).quantize(STEP, ROUND_HALF_UP))


def survey_figures(places: list[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """Per (agreement, period) with a survey, the figures frozen on its evaluation: invited, answered, the
    answers' count and sum, and the average per criterion."""
    from saas.satisfaction.surveys import figures_by_period

    return {
        place: {
            "invited": row["invited"],
            "responses": row["responses"],
            "answers": row["answers"],
            "answer_sum": row["answer_sum"],
            "by_criterion": {c: str(avg) for c, avg in sorted(row["by_criterion"].items())},
        }
        for place, row in figures_by_period(places).items()
    }


# The chunk of the job ------------------------------------------------------------------------------------------------


def contracts_to_evaluate(tenant: Tenant, today: date) -> list[int]:
    """The tenant's signed agreements that may have a period to evaluate: in force, or ended lately."""
    since = today - ENDED_LOOKBACK - timedelta(days=policy_of(tenant.id).survey_days)
    return list(
        db.session.scalars(
            select(Contract.id)
            .where(
                Contract.tenant_id == tenant.id,
                Contract.status.in_(SIGNED_STATUSES),
                Contract.effective_date < today,
                Contract.ends_on >= since,
                (Contract.terminated_on.is_(None)) | (Contract.terminated_on >= since),
            )
            .order_by(Contract.id)
        )
    )


def evaluate(tenant: Tenant, contract_ids: list[int], today: date) -> int:
    """Evaluate every due period of these agreements not evaluated yet, check the measures earlier ones opened, and
    open the measures the new ones call for; a re-run (or a run racing this one) evaluates nothing twice. Returns
    how many evaluations were made."""
    policy = policy_of(tenant.id)
    weights = weights_of(policy)
    contracts = db.session.scalars(
        select(Contract).where(Contract.tenant_id == tenant.id, among(Contract.id, contract_ids))
    ).all()
    done = set(
        db.session.execute(
            select(Evaluation.contract_id, Evaluation.period_index).where(among(Evaluation.contract_id, contract_ids))
        ).all()
    )
    buckets = [
        (c, p) for c in contracts for p in due_periods(c, today, policy.survey_days) if (c.id, p.index) not in done
    ]
    # A survey opened when the vendor allowed more days than it does now still runs to its own close.
    still_open = set(
        db.session.execute(
            select(Survey.contract_id, Survey.period_index).where(
                among(Survey.contract_id, [c.id for c, _p in buckets]), Survey.closes_at > now()
            )
        ).all()
    )
    buckets = [(c, p) for c, p in buckets if (c.id, p.index) not in still_open]
    if not buckets:
        return 0
    inputs = figures(tenant, buckets)
    at = now()
    rows = []
    for contract, p in buckets:
        figures_of = inputs[(contract.id, p.index)]
        result = scores(figures_of, weights)
        sub = result["sub"]
        rows.append(
            {
                "tenant_id": tenant.id,
                "client_id": contract.client_id,
                "contract_id": contract.id,
                "period_index": p.index,
                "period_start": p.start,
                "period_end": p.end,
                "requests": figures_of["requests"],
                "score": result["score"],
                "response_score": sub[Criterion.RESPONSE],
                "resolution_score": sub[Criterion.RESOLUTION],
                "quality_score": sub[Criterion.QUALITY],
                "survey_score": sub[Criterion.SURVEY],
                "below_threshold": result["below"],
                "inputs": figures_of,
                "weights": {str(k): v for k, v in weights.items()},
                "computed_at": at,
            }
        )
    made = insert_new(Evaluation, rows, unique=("contract_id", "period_index"), returning=("id",))
    if made:
        follow_up(tenant, [r[0] for r in made], policy)
    return len(made)


def sub_score(evaluation: Evaluation, criterion: str) -> Decimal | None:
    """One criterion's sub-score of an evaluation."""
    return getattr(evaluation, f"{criterion}_score")


def follow_up(tenant: Tenant, evaluation_ids: list[int], policy: EvaluationPolicy) -> None:
    """§11.3 on newly made evaluations, in period order: judge the measures earlier periods opened on the same
    agreement, then open the measures each one falling short calls for."""
    evaluations = db.session.scalars(
        select(Evaluation).where(among(Evaluation.id, evaluation_ids)).order_by(Evaluation.period_index)
    ).all()
    contract_ids = sorted({e.contract_id for e in evaluations})
    pending: dict[int, list[ImprovementMeasure]] = {}
    for measure in db.session.scalars(
        select(ImprovementMeasure)
        .options(selectinload(ImprovementMeasure.evaluation))  # each is judged against the period that opened it
        .where(
            among(ImprovementMeasure.contract_id, contract_ids),
            ImprovementMeasure.checked_by_id.is_(None),
            ImprovementMeasure.status.in_((MeasureStatus.OPEN, MeasureStatus.DONE)),
        )
        .order_by(ImprovementMeasure.id)
    ):
        pending.setdefault(measure.contract_id, []).append(measure)
    for evaluation in evaluations:
        for measure in list(pending.get(evaluation.contract_id, [])):
            if measure.evaluation.period_index >= evaluation.period_index:
                continue
            score = sub_score(evaluation, measure.criterion)
            if score is None:  # no data on that criterion this period: the next one judges it
                continue
            opened_at = sub_score(measure.evaluation, measure.criterion)
            floor = evaluation.weights["floors"][measure.criterion]
            recovered = score >= floor and (opened_at is None or score > opened_at)
            measure.status = MeasureStatus.EFFECTIVE if recovered else MeasureStatus.NOT_EFFECTIVE
            measure.checked_by_id, measure.checked_score = evaluation.id, score
            pending[evaluation.contract_id].remove(measure)
        for criterion in shortfalls(evaluation):
            measure = _open_measure(tenant, evaluation, criterion, policy)
            if measure is not None:
                pending.setdefault(evaluation.contract_id, []).append(measure)
    db.session.flush()


def shortfalls(evaluation: Evaluation) -> list[str]:
    """The criteria a falling-short evaluation opens measures on: each below the floor, or else the weakest one."""
    result = scores(evaluation.inputs, evaluation.weights)
    if not result["below"]:
        return []
    present = {c: s for c, s in result["sub"].items() if s is not None}
    return result["short"] or [min(present, key=lambda c: (present[c], CRITERIA.index(c)))]


def _open_measure(tenant, evaluation: Evaluation, criterion: str, policy: EvaluationPolicy):
    made = insert_new(
        ImprovementMeasure,
        [
            {
                "tenant_id": tenant.id,
                "client_id": evaluation.client_id,
                "contract_id": evaluation.contract_id,
                "evaluation_id": evaluation.id,
                "criterion": str(criterion),
                "what": "",
                "why": "",
                "owner_id": None,
                "due_on": evaluation.period_end + timedelta(days=policy.survey_days + policy.measure_days),
                "status": MeasureStatus.OPEN,
                "created_at": now(),
            }
        ],
        unique=("evaluation_id", "criterion"),
        returning=("id",),
    )
    return db.session.get(ImprovementMeasure, made[0][0]) if made else None
