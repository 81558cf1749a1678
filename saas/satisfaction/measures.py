"""The vendor's side of the evaluations: its weights and thresholds (§11.2), the lists of evaluations, and the
improvement measures (§11.3) — who does what by when, and the reminder when one is overdue."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from saas.contracts.models import Contract
from saas.core import audit
from saas.core.clock import local_date, now
from saas.core.errors import ServiceError
from saas.core.mail import both_languages, mail_people
from saas.core.models import VENDOR_ROLES, Membership, Role, Tenant, User
from saas.core.parsing import clean_text
from saas.extensions import db
from saas.satisfaction.evaluation import CRITERIA, DEFAULTS, locked_policy
from saas.satisfaction.models import Evaluation, EvaluationPolicy, ImprovementMeasure, MeasureStatus

MAX_TEXT = 2000
#: Statuses a measure's owner sets; the next evaluation sets effective or not.
OWNER_STATUSES = (MeasureStatus.OPEN, MeasureStatus.DONE)


def save_policy(tenant: Tenant, data: dict, actor: User) -> EvaluationPolicy:
    """Save the tenant's weights and thresholds; weights must add up to 100, thresholds lie within 0–100."""
    values = {}
    for name, low, high in (
        ("weight_response", 0, 100),
        ("weight_resolution", 0, 100),
        ("weight_quality", 0, 100),
        ("weight_survey", 0, 100),
        ("threshold", 0, 100),
        ("floor_response", 0, 100),
        ("floor_resolution", 0, 100),
        ("floor_quality", 0, 100),
        ("floor_survey", 0, 100),
        ("survey_days", 1, 60),
        ("measure_days", 1, 365),
    ):
        value = data.get(name, DEFAULTS[name])
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ServiceError(_("Each figure is a whole number from %(low)d to %(high)d.", low=low, high=high))
        values[name] = value
    total = sum(values[f"weight_{c}"] for c in CRITERIA)
    if total != 100:
        raise ServiceError(_("The weights add up to %(total)d; they must add up to 100.", total=total))
    policy = locked_policy(tenant.id)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_by_id = actor.id
    db.session.flush()
    audit.record("satisfaction.policy_saved", tenant_id=tenant.id, target=policy, actor=actor, **values)
    return policy


def vendor_people(tenant: Tenant) -> list[User]:
    """The vendor's people who may own a measure."""
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role.in_(VENDOR_ROLES), User.active.is_(True))
        .order_by(User.name, User.id)
    ).all()


def update_measure(
    measure: ImprovementMeasure, actor: User, *, what: str, why: str, owner_id: int | None, due_on: date, status: str
) -> None:
    """The owner's plan for a measure: what is done and why, who owns it, by when, and whether it is done."""
    if measure.status not in OWNER_STATUSES:
        raise ServiceError(_("The next evaluation has judged this measure; it no longer changes."))
    what, why = clean_text(what or "").strip(), clean_text(why or "").strip()
    if not what:
        raise ServiceError(_("Say what will be done."))
    if len(what) > MAX_TEXT or len(why) > MAX_TEXT:
        raise ServiceError(_("Each text is at most %(count)d characters.", count=MAX_TEXT))
    if status not in OWNER_STATUSES:
        raise ServiceError(_("Choose open or done."))
    if owner_id is not None and owner_id not in {u.id for u in vendor_people(measure.contract.tenant)}:
        raise ServiceError(_("Choose one of the vendor's people as the owner."))
    if due_on < local_date(measure.contract.tenant, measure.created_at):
        raise ServiceError(_("The due date cannot be before the measure was opened."))
    if due_on != measure.due_on:
        measure.reminded_at = None  # a new date: its reminder comes again if that one passes too
    measure.what, measure.why, measure.owner_id, measure.due_on = what, why, owner_id, due_on
    if status != measure.status:
        measure.status = status
        measure.done_at = now() if status == MeasureStatus.DONE else None
    db.session.flush()
    audit.record(
        "satisfaction.measure_updated",
        tenant_id=measure.tenant_id,
        target=measure,
        actor=actor,
        status=str(status),
        due_on=due_on.isoformat(),
    )


def remind_overdue(tenant: Tenant, today: date) -> int:
    """Remind the owner (or, with none, the vendor's admins) of each open measure past its due date, once."""
    measures = db.session.scalars(
        select(ImprovementMeasure)
        .where(
            ImprovementMeasure.tenant_id == tenant.id,
            ImprovementMeasure.status == MeasureStatus.OPEN,
            ImprovementMeasure.due_on < today,
            ImprovementMeasure.reminded_at.is_(None),
        )
        .order_by(ImprovementMeasure.id)
        .with_for_update(skip_locked=True)
        .limit(500)
    ).all()
    admins = None
    for measure in measures:
        if measure.owner is not None:
            people = [measure.owner]
        else:
            admins = admins if admins is not None else _admins(tenant)
            people = admins
        measure.reminded_at = now()
        mail_people(
            [(person, True) for person in people],
            key=f"measure-overdue:{measure.id}:{measure.due_on.isoformat()}",
            tenant_id=tenant.id,
            text_for=lambda _vendor, m=measure: _reminder(m),
        )
    db.session.flush()
    return len(measures)


def _admins(tenant: Tenant) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role == Role.VENDOR_ADMIN, User.active.is_(True))
        .order_by(User.id)
    ).all()


def _reminder(measure: ImprovementMeasure) -> tuple[str, str]:
    from saas.core.links import external_url
    from saas.satisfaction.labels import CRITERION_LABELS

    contract = measure.contract
    link = external_url("evaluations.measure", tenant=contract.tenant.slug, measure_id=measure.id)
    subject = both_languages(
        lambda: _("Improvement measure overdue on agreement %(number)s", number=contract.number), " / "
    )
    body = both_languages(
        lambda: _(
            "The improvement measure on “%(criterion)s” for agreement %(number)s (%(client)s) was due on %(due)s "
            "and is still open (§11.3): %(link)s",
            criterion=CRITERION_LABELS[measure.criterion],
            number=contract.number,
            client=contract.client.legal_name,
            due=measure.due_on.isoformat(),
            link=link,
        )
    )
    return subject, body


# Lists -----------------------------------------------------------------------------------------------------------


def overview(tenant: Tenant, *, client_id: int | None = None, after: tuple[int, int] | None = None, limit: int = 25):
    """Each agreement's latest evaluation, those below the threshold first, then by agreement (keyset on rank and
    agreement); returns (rows, next cursor)."""
    latest = (
        select(Evaluation.contract_id, func.max(Evaluation.period_index).label("last"))
        .where(Evaluation.tenant_id == tenant.id)
        .group_by(Evaluation.contract_id)
        .subquery()
    )
    rank = case((Evaluation.below_threshold.is_(True), 0), else_=1)
    stmt = (
        select(Evaluation, rank.label("rank"))
        .join(latest, and_(latest.c.contract_id == Evaluation.contract_id, latest.c.last == Evaluation.period_index))
        .options(selectinload(Evaluation.contract).selectinload(Contract.client))
        .where(Evaluation.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(Evaluation.client_id == client_id)
    if after is not None:
        stmt = stmt.where(or_(rank > after[0], and_(rank == after[0], Evaluation.contract_id > after[1])))
    rows = db.session.execute(stmt.order_by(rank, Evaluation.contract_id).limit(limit + 1)).all()
    page = rows[:limit]
    cursor = f"{page[-1][1]}-{page[-1][0].contract_id}" if len(rows) > limit else None
    return [r[0] for r in page], cursor


def previous_scores(evaluations: list[Evaluation]) -> dict[int, Evaluation]:
    """The evaluation before each given one on its agreement (for the trend), in one query."""
    if not evaluations:
        return {}
    wanted = {(e.contract_id, e.period_index - 1): e.id for e in evaluations}
    rows = db.session.scalars(
        select(Evaluation).where(
            Evaluation.contract_id.in_({c for c, _i in wanted}),
            Evaluation.period_index.in_({i for _c, i in wanted}),
        )
    ).all()
    return {wanted[(r.contract_id, r.period_index)]: r for r in rows if (r.contract_id, r.period_index) in wanted}


def history(contract: Contract) -> list[Evaluation]:
    """The agreement's evaluations, oldest first."""
    return db.session.scalars(
        select(Evaluation).where(Evaluation.contract_id == contract.id).order_by(Evaluation.period_index)
    ).all()


def measures_of(contract: Contract) -> list[ImprovementMeasure]:
    """The agreement's measures, newest first."""
    return db.session.scalars(
        select(ImprovementMeasure)
        .options(
            selectinload(ImprovementMeasure.evaluation),
            selectinload(ImprovementMeasure.checked_by),
            selectinload(ImprovementMeasure.owner),
        )
        .where(ImprovementMeasure.contract_id == contract.id)
        .order_by(ImprovementMeasure.id.desc())
    ).all()


def measures_board(tenant: Tenant, *, status: str = "", after: int | None = None, limit: int = 50):
    """The tenant's measures, newest first (keyset on id), optionally of one status; returns (rows, next_after)."""
    stmt = (
        select(ImprovementMeasure)
        .options(
            selectinload(ImprovementMeasure.contract).selectinload(Contract.client),
            selectinload(ImprovementMeasure.evaluation),
            selectinload(ImprovementMeasure.owner),
        )
        .where(ImprovementMeasure.tenant_id == tenant.id)
    )
    if status in MeasureStatus.__members__.values():
        stmt = stmt.where(ImprovementMeasure.status == status)
    if after:
        stmt = stmt.where(ImprovementMeasure.id < after)
    rows = db.session.scalars(stmt.order_by(ImprovementMeasure.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def counts(contract: Contract) -> dict[str, int]:
    """For the compliance view: evaluations scored and below the threshold; measures judged and effective."""
    scored, below = db.session.execute(
        select(
            func.count(Evaluation.id).filter(Evaluation.score.is_not(None)),
            func.count(Evaluation.id).filter(Evaluation.below_threshold.is_(True)),
        ).where(Evaluation.contract_id == contract.id)
    ).one()
    judged, effective = db.session.execute(
        select(
            func.count(ImprovementMeasure.id).filter(ImprovementMeasure.checked_by_id.is_not(None)),
            func.count(ImprovementMeasure.id).filter(ImprovementMeasure.status == MeasureStatus.EFFECTIVE),
        ).where(ImprovementMeasure.contract_id == contract.id)
    ).one()
    return {"scored": scored, "below": below, "judged": judged, "effective": effective}
