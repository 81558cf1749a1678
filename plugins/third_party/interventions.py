"""A third party's intervention in an agreement (Part 2 §1.2, Part 2 §5), recorded by either party, and how the
parties deal with it (Part 2 §2): the written notice with evidence to the other party (Part 2 §2.1), their dated
negotiation (Part 2 §2.2), the measures taken and their outcome (Part 2 §2.3). Every step is kept, never changed."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from plugins.third_party.liability import claimable_subcontractors as worked_on
from plugins.third_party.liability_models import (
    Cause,
    Intervention,
    InterventionStatus,
    InterventionStep,
    StepKind,
)
from plugins.third_party.models import Subcontractor
from plugins.third_party.services import IN_FORCE, FieldError
from saas.billing.payments import lock
from saas.contracts.models import Contract
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Membership, Role, User
from saas.core.money import quantize
from saas.core.tenancy import owned_by
from saas.extensions import db
from saas.notices import services as notices
from saas.notices.models import NoticeKind, Party

CAUSE_LABELS = {
    Cause.TECHNICAL: _l("Technical problem"),
    Cause.LEGAL: _l("Legal provision"),
    Cause.POLICY: _l("Policy change"),
    Cause.SERVICE_QUALITY: _l("The third party's service quality"),
}
STATUS_LABELS = {
    InterventionStatus.OPEN: _l("Recorded"),
    InterventionStatus.NOTIFIED: _l("Notified"),
    InterventionStatus.NEGOTIATING: _l("Under negotiation"),
    InterventionStatus.RESOLVED: _l("Resolved"),
}
STEP_LABELS = {
    StepKind.RECORDED: _l("Recorded"),
    StepKind.NOTIFIED: _l("Written notice sent (Part 2 §2.1)"),
    StepKind.NEGOTIATION: _l("Negotiation (Part 2 §2.2)"),
    StepKind.MEASURE: _l("Measure taken (Part 2 §2.3)"),
    StepKind.RESOLVED: _l("Resolved (Part 2 §2.3)"),
}
#: Who records interventions and acts on them: vendor staff who run the agreement, and the client's admins.
ACTING_ROLES = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_ENGINEER, Role.CLIENT_ADMIN})
#: The clause a notice of intervention rests on, as the notices domain writes clauses.
NOTICE_CLAUSE = "P2-2.1"


class InterventionError(ServiceError):
    """An intervention that cannot be recorded or moved this way; the message says why."""


def party_for(membership: Membership | None, contract: Contract) -> str | None:
    """The party `membership` acts for on this agreement: B for the vendor's staff, A for the client's own admin."""
    if membership is None or membership.role_enum not in ACTING_ROLES:
        return None
    if membership.role_enum.is_client:
        return Party.A if membership.client_id == contract.client_id else None
    return Party.B


def label(mapping, code: str) -> str:
    return str(mapping.get(code, code))


def _text(data: dict, key: str) -> str:
    return (data.get(key) or "").strip()


def _step(intervention: Intervention, kind: str, party: str, actor: User | None, text: str, on: date) -> None:
    db.session.add(
        InterventionStep(
            tenant_id=intervention.tenant_id,
            client_id=intervention.client_id,
            intervention_id=intervention.id,
            kind=kind,
            party=party,
            actor_id=actor.id if actor is not None else None,
            happened_on=on,
            text=text,
            created_at=now(),
        )
    )
    db.session.flush()
    db.session.expire(intervention, ["steps"])


def record(contract: Contract, party: str, actor: User, data: dict) -> Intervention:
    """Record a third party's intervention on an agreement in force: who, what, when, why (Part 2 §5.1) and its
    effect on time, cost and service (Part 2 §5.2). In the caller's transaction."""
    if contract is None or contract.status not in IN_FORCE:
        raise InterventionError(_("Interventions are recorded on an agreement in force."))
    if party not in (Party.A, Party.B):
        raise InterventionError(_("Only the parties of the agreement record an intervention."))
    tenant = contract.tenant
    subcontractor = None
    if data.get("subcontractor_id"):
        subcontractor = db.session.get(Subcontractor, data["subcontractor_id"])
        if not owned_by(subcontractor, tenant) or subcontractor.id not in {s.id for s in worked_on(contract)}:
            # only those approved for this agreement: the client never learns of the vendor's other subcontractors
            raise FieldError(_("Choose a subcontractor that works or worked on this agreement."), "subcontractor_id")
    name = " ".join(_text(data, "third_party_name").split())[:200]
    if subcontractor is None and not name:
        raise FieldError(
            _("Name the third party: a subcontractor of the vendor, or an outside one."), "third_party_name"
        )
    cause = data.get("cause") or ""
    if cause not in Cause.__members__.values():
        raise FieldError(_("Choose the cause of the intervention (Part 2 §5.1)."), "cause")
    description = _text(data, "description")
    if not description:
        raise FieldError(_("Say what happened."), "description")
    occurred_on = data.get("occurred_on")
    today = local_today(tenant)
    if occurred_on is None or occurred_on > today:
        raise FieldError(_("Give the day it happened: today or earlier."), "occurred_on")
    amount = data.get("effect_cost_amount")
    if amount is not None and (amount < 0 or quantize(amount, contract.currency) != amount):
        raise FieldError(
            _("Give the added cost as zero or more, in the currency's smallest unit at most."), "effect_cost_amount"
        )
    intervention = Intervention(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id if subcontractor is not None else None,
        third_party_name="" if subcontractor is not None else name,
        recorded_by_party=party,
        recorded_by_id=actor.id,
        occurred_on=occurred_on,
        description=description,
        cause=cause,
        effect_time=_text(data, "effect_time"),
        effect_cost=_text(data, "effect_cost"),
        effect_cost_amount=Decimal(amount) if amount is not None else None,
        currency=contract.currency,
        effect_service=_text(data, "effect_service"),
        status=InterventionStatus.OPEN,
        created_at=now(),
    )
    db.session.add(intervention)
    db.session.flush()
    _step(intervention, StepKind.RECORDED, party, actor, description, today)
    audit.record(
        "third_party.intervention_recorded",
        tenant_id=tenant.id,
        target=intervention,
        actor=actor,
        contract=contract.number,
        third_party=intervention.party_name,
        cause=cause,
    )
    return intervention


def _locked(intervention: Intervention) -> Intervention:
    """The intervention locked until commit and read again: two people acting on it at once take turns."""
    intervention = lock(Intervention, intervention.id)
    if intervention.status == InterventionStatus.RESOLVED:
        raise InterventionError(_("This intervention is resolved: its record is closed."))
    return intervention


def notify(
    intervention: Intervention, party: str, actor: User, data: dict, files: list[tuple[str, str, bytes]] = ()
) -> Intervention:
    """Send the other party the written notice of the intervention with its evidence (Part 2 §2.1), through the
    notices, once; the notice is linked to the intervention."""
    intervention = _locked(intervention)
    if party not in (Party.A, Party.B):
        raise InterventionError(_("Only the parties of the agreement send notices."))
    if intervention.notice_id is not None:
        raise InterventionError(_("The written notice of this intervention was sent already."))
    if not files:
        raise FieldError(_("Attach the evidence of the intervention (Part 2 §2.1)."), "evidence")
    notice = notices.send_notice(
        intervention.contract,
        party,
        actor,
        {
            "kind": NoticeKind.OTHER,
            "clause": NOTICE_CLAUSE,
            "subject": _text(data, "subject"),
            "body_zh": _text(data, "body_zh"),
            "body_en": _text(data, "body_en"),
            "deadline": data.get("deadline"),
        },
        files,
    )
    intervention.notice_id = notice.id
    intervention.status = InterventionStatus.NOTIFIED
    _step(intervention, StepKind.NOTIFIED, party, actor, notice.number, local_today(intervention.contract.tenant))
    audit.record(
        "third_party.intervention_notified",
        tenant_id=intervention.tenant_id,
        target=intervention,
        actor=actor,
        notice=notice.number,
    )
    return intervention


def negotiate(intervention: Intervention, party: str, actor: User, on: date | None, text: str) -> Intervention:
    """Add a dated entry to the parties' negotiation (Part 2 §2.2): after the written notice, before resolution."""
    intervention = _locked(intervention)
    if intervention.notice_id is None:
        raise InterventionError(_("Send the written notice first (Part 2 §2.1): the negotiation follows it."))
    text = (text or "").strip()
    if not text:
        raise FieldError(_("Write what was discussed or agreed."), "text")
    today = local_today(intervention.contract.tenant)
    if on is None or on > today:
        raise FieldError(_("Give the day of the negotiation: today or earlier."), "happened_on")
    intervention.status = InterventionStatus.NEGOTIATING
    _step(intervention, StepKind.NEGOTIATION, party, actor, text, on)
    audit.record(
        "third_party.intervention_negotiated", tenant_id=intervention.tenant_id, target=intervention, actor=actor
    )
    return intervention


def take_measure(intervention: Intervention, party: str, actor: User, on: date | None, text: str) -> Intervention:
    """Record a measure taken to deal with the intervention (Part 2 §2.3), dated."""
    intervention = _locked(intervention)
    text = (text or "").strip()
    if not text:
        raise FieldError(_("Say what was done."), "text")
    today = local_today(intervention.contract.tenant)
    if on is None or on > today:
        raise FieldError(_("Give the day the measure was taken: today or earlier."), "happened_on")
    intervention.measures = f"{intervention.measures}\n{on.isoformat()} {text}".strip()
    _step(intervention, StepKind.MEASURE, party, actor, text, on)
    audit.record("third_party.intervention_measure", tenant_id=intervention.tenant_id, target=intervention, actor=actor)
    return intervention


def resolve(intervention: Intervention, party: str, actor: User, outcome: str) -> Intervention:
    """Close the intervention with the outcome of the measures taken (Part 2 §2.3): the notice sent and at least
    one measure recorded first."""
    intervention = _locked(intervention)
    if intervention.notice_id is None:
        raise InterventionError(_("Send the written notice first (Part 2 §2.1)."))
    if not any(step.kind == StepKind.MEASURE for step in intervention.steps):
        raise InterventionError(_("Record the measures taken before resolving (Part 2 §2.3)."))
    outcome = (outcome or "").strip()
    if not outcome:
        raise FieldError(_("Say how it ended."), "outcome")
    intervention.outcome, intervention.status = outcome, InterventionStatus.RESOLVED
    _step(intervention, StepKind.RESOLVED, party, actor, outcome, local_today(intervention.contract.tenant))
    audit.record(
        "third_party.intervention_resolved", tenant_id=intervention.tenant_id, target=intervention, actor=actor
    )
    return intervention


def of_contract(contract: Contract) -> list[Intervention]:
    """The agreement's interventions, newest first."""
    return db.session.scalars(
        select(Intervention)
        .options(selectinload(Intervention.subcontractor), selectinload(Intervention.notice))
        .where(Intervention.tenant_id == contract.tenant_id, Intervention.contract_id == contract.id)
        .order_by(Intervention.id.desc())
    ).all()
