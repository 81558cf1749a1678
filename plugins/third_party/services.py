"""The subcontractor registry (Part 2 §1.1) and the joint selection of subcontractors for agreements (Part 2 §4.1)."""

import re
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from plugins.third_party.models import (
    OPEN_PROPOSALS,
    Proposal,
    ProposalStatus,
    Qualification,
    Subcontractor,
    SubcontractorService,
    SubcontractorStatus,
)
from saas.contracts.models import Contract, ContractStatus
from saas.contracts.services import list_services
from saas.core import audit
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import Role, Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.tenancy import owned_by
from saas.extensions import db

NAME = "third_party"
#: Qualifications are flagged, and the vendor admins warned, this many days before they lapse (as the support
#: team's certificates are).
EXPIRY_WARNING_DAYS = 30
#: Agreements a subcontractor may be proposed for: signed and in force.
IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.EXPIRING)
MAX_REGIONS, MAX_REGION_LENGTH = 20, 60

STATUS_LABELS = {SubcontractorStatus.ACTIVE: _l("Active"), SubcontractorStatus.SUSPENDED: _l("Suspended")}
PROPOSAL_LABELS = {
    ProposalStatus.PROPOSED: _l("Awaiting the client"),
    ProposalStatus.APPROVED: _l("Approved by the client"),
    ProposalStatus.REJECTED: _l("Rejected by the client"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
}


class FieldError(ServiceError):
    """A refusal that belongs beside one field of the form."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def proposal_label(status: str) -> str:
    return str(PROPOSAL_LABELS.get(status, status))


def parse_regions(value) -> list[str]:
    """Regions typed one a line or separated by commas (either width) or 、, trimmed, each once, in order."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[\n,，、;；]+", value or "")
    regions = []
    for part in parts:
        region = " ".join(str(part).split())[:MAX_REGION_LENGTH]
        if region and region not in regions:
            regions.append(region)
    return regions[:MAX_REGIONS]


def list_subcontractors(
    tenant: Tenant,
    *,
    status: str = "",
    service_id: int | None = None,
    q: str = "",
    after: int | None = None,
    limit: int = 25,
):
    """One page of the tenant's subcontractors, newest first (keyset on id); returns (rows, next_after)."""
    stmt = (
        select(Subcontractor)
        .options(selectinload(Subcontractor.service_links).selectinload(SubcontractorService.service))
        .where(Subcontractor.tenant_id == tenant.id)
    )
    if status in SubcontractorStatus.__members__.values():
        stmt = stmt.where(Subcontractor.status == status)
    if service_id:
        stmt = stmt.where(
            exists().where(
                SubcontractorService.subcontractor_id == Subcontractor.id, SubcontractorService.service_id == service_id
            )
        )
    q = " ".join((q or "").split())[:100]
    if q:
        # The words typed are searched as they are: % and _ match themselves, not any text.
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Subcontractor.legal_name.ilike(pattern, escape="\\"),
                Subcontractor.uscc.ilike(pattern, escape="\\"),
                Subcontractor.contact_name.ilike(pattern, escape="\\"),
            )
        )
    if after:
        stmt = stmt.where(Subcontractor.id < after)
    rows = db.session.scalars(stmt.order_by(Subcontractor.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def active_subcontractors(tenant: Tenant) -> list[Subcontractor]:
    """The tenant's active subcontractors by name: those that may be proposed."""
    return db.session.scalars(
        select(Subcontractor)
        .where(Subcontractor.tenant_id == tenant.id, Subcontractor.status == SubcontractorStatus.ACTIVE)
        .order_by(Subcontractor.legal_name, Subcontractor.id)
    ).all()


def save_subcontractor(tenant: Tenant, data: dict, actor: User | None, subcontractor: Subcontractor | None = None):
    """Create or edit a subcontractor: its company, contact, the services it can take and its regions."""
    catalogue = {s.id: s for s in list_services(tenant)}
    service_ids = sorted({int(i) for i in data.get("service_ids") or []})
    if any(i not in catalogue for i in service_ids):
        raise FieldError(_("Choose services of your own catalogue."), "service_ids")
    uscc = data["uscc"]
    clash = db.session.scalar(
        select(Subcontractor.id).where(
            Subcontractor.tenant_id == tenant.id,
            Subcontractor.uscc == uscc,
            Subcontractor.id != (subcontractor.id if subcontractor is not None else 0),
        )
    )
    if clash:
        raise FieldError(_("A subcontractor with this unified social credit code is on file already."), "uscc")
    created = subcontractor is None
    if created:
        subcontractor = Subcontractor(tenant_id=tenant.id, status=SubcontractorStatus.ACTIVE)
    for name in ("legal_name", "uscc", "address", "contact_name", "contact_phone", "contact_email"):
        setattr(subcontractor, name, (data.get(name) or "").strip())
    subcontractor.regions = parse_regions(data.get("regions"))
    wanted = set(service_ids)
    subcontractor.service_links = [link for link in subcontractor.service_links if link.service_id in wanted] + [
        SubcontractorService(tenant_id=tenant.id, service_id=i)
        for i in service_ids
        if i not in {link.service_id for link in subcontractor.service_links}
    ]
    try:
        with db.session.begin_nested():  # two people adding the same company at once: the second is told
            db.session.add(subcontractor)
            db.session.flush()
    except IntegrityError:
        raise FieldError(
            _("A subcontractor with this unified social credit code is on file already."), "uscc"
        ) from None
    audit.record(
        "third_party.subcontractor_added" if created else "third_party.subcontractor_saved",
        tenant_id=tenant.id,
        target=subcontractor,
        actor=actor,
        name=subcontractor.legal_name,
    )
    return subcontractor


def suspend(subcontractor: Subcontractor, reason: str, actor: User | None) -> bool:
    """Suspend a subcontractor, saying why: it can no longer be proposed, nor work on any agreement. False if it was."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldError(_("Say why the subcontractor is suspended."), "reason")
    if subcontractor.status == SubcontractorStatus.SUSPENDED:
        return False
    subcontractor.status, subcontractor.suspended_reason, subcontractor.suspended_at = (
        SubcontractorStatus.SUSPENDED,
        reason,
        now(),
    )
    audit.record(
        "third_party.subcontractor_suspended",
        tenant_id=subcontractor.tenant_id,
        target=subcontractor,
        actor=actor,
        name=subcontractor.legal_name,
        reason=reason,
    )
    return True


def reactivate(subcontractor: Subcontractor, actor: User | None) -> bool:
    """Lift a suspension; the agreements the client had approved it for count again. False if it was active."""
    if subcontractor.status == SubcontractorStatus.ACTIVE:
        return False
    subcontractor.status, subcontractor.suspended_reason, subcontractor.suspended_at = (
        SubcontractorStatus.ACTIVE,
        "",
        None,
    )
    audit.record(
        "third_party.subcontractor_reactivated",
        tenant_id=subcontractor.tenant_id,
        target=subcontractor,
        actor=actor,
        name=subcontractor.legal_name,
    )
    return True


def add_qualification(subcontractor: Subcontractor, data: dict, actor: User | None) -> Qualification:
    """Record a qualification or certificate the subcontractor holds; no expiry date means it does not lapse."""
    name = " ".join((data.get("name") or "").split())
    if not name:
        raise FieldError(_("Give the qualification's name."), "name")
    qualification = Qualification(
        tenant_id=subcontractor.tenant_id,
        subcontractor=subcontractor,
        name=name,
        number=(data.get("number") or "").strip(),
        issuer=(data.get("issuer") or "").strip(),
        expires_on=data.get("expires_on"),
    )
    db.session.add(qualification)
    db.session.flush()
    audit.record(
        "third_party.qualification_added",
        tenant_id=subcontractor.tenant_id,
        target=qualification,
        actor=actor,
        subcontractor=subcontractor.legal_name,
        name=name,
    )
    return qualification


def remove_qualification(qualification: Qualification, actor: User | None) -> None:
    """Take a qualification off the subcontractor's file."""
    audit.record(
        "third_party.qualification_removed",
        tenant_id=qualification.tenant_id,
        target=qualification,
        actor=actor,
        name=qualification.name,
    )
    qualification.subcontractor.qualifications.remove(qualification)
    db.session.flush()


def qualification_state(qualification: Qualification, today: date) -> str:
    """ "expired", "expiring" (within the warning days), "valid", or "" (does not expire)."""
    if qualification.expires_on is None:
        return ""
    if qualification.expires_on <= today:
        return "expired"
    if qualification.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return "valid"


def proposable_contracts(tenant: Tenant) -> list[Contract]:
    """The tenant's signed agreements in force, by number: those a subcontractor may be proposed for."""
    return db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.client))
        .where(Contract.tenant_id == tenant.id, Contract.status.in_(IN_FORCE))
        .order_by(Contract.number, Contract.id)
    ).all()


DUPLICATE = _l("This subcontractor is already proposed for, or approved on, this agreement.")


def propose(subcontractor: Subcontractor, contract: Contract | None, scope: str, actor: User | None) -> Proposal:
    """Propose an active subcontractor for one of a client's agreements in force (Part 2 §4.1), one that can take at
    least one of the agreement's services; its admins are told."""
    if contract is None or not owned_by(contract, subcontractor.tenant_id) or contract.status not in IN_FORCE:
        raise FieldError(_("Choose one of your agreements in force."), "contract_id")
    if subcontractor.status != SubcontractorStatus.ACTIVE:
        raise ServiceError(_("A suspended subcontractor cannot be proposed: reactivate it first."))
    scope = (scope or "").strip()
    if not scope:
        raise FieldError(_("Say what the subcontractor would do under the agreement."), "scope")
    on_contract = {line.service_id for line in contract.lines if line.service_id}
    if not on_contract & {s.id for s in subcontractor.services}:
        # Nothing on the agreement's fee schedule it could take: no annex 6 agreement could follow the approval.
        raise FieldError(
            _(
                "%(name)s cannot take any service of agreement %(number)s (its services on file against the "
                "agreement's fee schedule).",
                name=subcontractor.legal_name,
                number=contract.number,
            ),
            "contract_id",
        )
    if _open_proposal(contract.id, subcontractor.id) is not None:
        raise ServiceError(str(DUPLICATE))
    proposal = Proposal(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id,
        scope=scope,
        status=ProposalStatus.PROPOSED,
        proposed_by_id=actor.id if actor is not None else None,
        proposed_at=now(),
    )
    try:
        # Two identical submissions at once: the open-proposal index lets one through; the other is told.
        with db.session.begin_nested():
            db.session.add(proposal)
            db.session.flush()
    except IntegrityError:
        raise ServiceError(str(DUPLICATE)) from None
    audit.record(
        "third_party.proposed",
        tenant_id=contract.tenant_id,
        target=proposal,
        actor=actor,
        contract=contract.number,
        subcontractor=subcontractor.legal_name,
    )
    from plugins.third_party.tasks import mail_proposed

    send_after_commit(mail_proposed, [proposal.id], key="third-party-proposed")
    return proposal


def _open_proposal(contract_id: int, subcontractor_id: int) -> Proposal | None:
    return db.session.scalar(
        select(Proposal).where(
            Proposal.contract_id == contract_id,
            Proposal.subcontractor_id == subcontractor_id,
            Proposal.status.in_(OPEN_PROPOSALS),
        )
    )


def withdraw(proposal: Proposal, actor: User | None) -> bool:
    """The vendor takes a proposal back, before or after the client approved it. False if it no longer stands."""
    if proposal.status not in OPEN_PROPOSALS:
        return False
    proposal.status, proposal.withdrawn_at = ProposalStatus.WITHDRAWN, now()
    audit.record(
        "third_party.withdrawn",
        tenant_id=proposal.tenant_id,
        target=proposal,
        actor=actor,
        contract=proposal.contract.number,
        subcontractor=proposal.subcontractor.legal_name,
    )
    return True


def may_decide(proposal: Proposal, user: User | None) -> bool:
    """Whether `user` is an admin of the proposal's client: the only one who approves or rejects it (Part 2 §4.1)."""
    membership = user.membership_in(proposal.tenant_id) if user is not None else None
    return (
        membership is not None and membership.role == Role.CLIENT_ADMIN and membership.client_id == proposal.client_id
    )


def decide(proposal: Proposal, approve: bool, reason: str, actor: User) -> bool:
    """The client's admin approves or rejects a proposal (a rejection says why); the vendor admins are told.

    False when it was decided already (a second click, or a colleague first)."""
    if not may_decide(proposal, actor):
        raise ServiceError(_("Only an admin of the client decides on a subcontractor for its agreement."))
    if proposal.status == ProposalStatus.WITHDRAWN:
        raise ServiceError(_("The vendor has withdrawn this proposal."))
    if proposal.status != ProposalStatus.PROPOSED:
        return False
    reason = (reason or "").strip()
    if not approve and not reason:
        raise FieldError(_("Say why you reject this subcontractor."), "reason")
    if approve and proposal.subcontractor.status != SubcontractorStatus.ACTIVE:
        raise ServiceError(_("The vendor has suspended this subcontractor: it cannot be approved now."))
    proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    proposal.decided_by_id, proposal.decided_at, proposal.decision_reason = actor.id, now(), reason
    audit.record(
        "third_party.approved" if approve else "third_party.rejected",
        tenant_id=proposal.tenant_id,
        target=proposal,
        actor=actor,
        contract=proposal.contract.number,
        subcontractor=proposal.subcontractor.legal_name,
    )
    from plugins.third_party.tasks import mail_decided

    send_after_commit(mail_decided, [proposal.id], key="third-party-decided")
    return True


def may_work_on(contract: Contract, subcontractor: Subcontractor) -> bool:
    """Whether the subcontractor may work on the agreement: the client approved it there and it is not suspended."""
    if contract is None or subcontractor is None or contract.tenant_id != subcontractor.tenant_id:
        return False
    if subcontractor.status != SubcontractorStatus.ACTIVE:
        return False
    return bool(
        db.session.scalar(
            select(Proposal.id).where(
                Proposal.tenant_id == contract.tenant_id,
                Proposal.contract_id == contract.id,
                Proposal.subcontractor_id == subcontractor.id,
                Proposal.status == ProposalStatus.APPROVED,
            )
        )
    )


def approved_on(contract: Contract) -> list[Proposal]:
    """The approved proposals of an agreement, oldest first: who was jointly selected to work on it."""
    return db.session.scalars(
        select(Proposal)
        .options(selectinload(Proposal.subcontractor))
        .where(
            Proposal.tenant_id == contract.tenant_id,
            Proposal.contract_id == contract.id,
            Proposal.status == ProposalStatus.APPROVED,
        )
        .order_by(Proposal.id)
    ).all()


def proposals_of(subcontractor: Subcontractor) -> list[Proposal]:
    """Every proposal of the subcontractor, newest first."""
    return db.session.scalars(
        select(Proposal)
        .options(selectinload(Proposal.contract).selectinload(Contract.client))
        .where(Proposal.tenant_id == subcontractor.tenant_id, Proposal.subcontractor_id == subcontractor.id)
        .order_by(Proposal.id.desc())
    ).all()


def list_proposals(tenant: Tenant, *, client_id: int | None, status: str = "", after: int | None = None, limit=25):
    """One page of the proposals (of one client, for its portal), newest first; returns (rows, next_after)."""
    stmt = (
        select(Proposal)
        .options(selectinload(Proposal.subcontractor), selectinload(Proposal.contract))
        .where(Proposal.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(Proposal.client_id == client_id)
    if status in ProposalStatus.__members__.values():
        stmt = stmt.where(Proposal.status == status)
    if after:
        stmt = stmt.where(Proposal.id < after)
    rows = db.session.scalars(stmt.order_by(Proposal.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def awaiting(tenant: Tenant, client_id: int | None = None) -> int:
    """How many proposals wait for a client's decision."""
    from sqlalchemy import func

    stmt = select(func.count(Proposal.id)).where(
        Proposal.tenant_id == tenant.id, Proposal.status == ProposalStatus.PROPOSED
    )
    if client_id is not None:
        stmt = stmt.where(Proposal.client_id == client_id)
    return db.session.scalar(stmt) or 0


def awaiting_on(contract: Contract) -> int:
    """How many proposals for this agreement wait for the client's decision."""
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count(Proposal.id)).where(
                Proposal.tenant_id == contract.tenant_id,
                Proposal.contract_id == contract.id,
                Proposal.status == ProposalStatus.PROPOSED,
            )
        )
        or 0
    )
