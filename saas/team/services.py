"""The support team (§5.1–§5.3, Annex 2): members, certificates, assignment rules and who takes a new request."""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from saas.contracts.models import Contract, ContractStatus
from saas.core import audit
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.models import VENDOR_ROLES, Membership, Tenant, User
from saas.extensions import db
from saas.requests.models import RequestCategory, ServiceRequest
from saas.team.models import AssignmentRule, Availability, ContractEngineer, TeamCertificate, TeamMember, TeamRole

#: §5.2: certificates are flagged, and their holders warned, this many days before they expire.
EXPIRY_WARNING_DAYS = 30
#: Contracts whose team list may still change: not yet ended.
OPEN_CONTRACT_STATUSES = (
    ContractStatus.DRAFT,
    ContractStatus.AWAITING_SIGNATURES,
    ContractStatus.ACTIVE,
    ContractStatus.EXPIRING,
)


def _refuse(message: str, field: str) -> ServiceError:
    """A ServiceError that names the form field it is about, so the screen shows it there."""
    error = ServiceError(message)
    error.field = field
    return error


def vendor_users(tenant: Tenant) -> list[User]:
    """The tenant's vendor staff who can sign in: the people a team member may be linked to."""
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role.in_([str(r) for r in VENDOR_ROLES]))
        .order_by(User.name, User.id)
    ).all()


def members(tenant: Tenant, active_only: bool = False) -> list[TeamMember]:
    """The tenant's team, by name."""
    stmt = select(TeamMember).options(selectinload(TeamMember.user)).where(TeamMember.tenant_id == tenant.id)
    if active_only:
        stmt = stmt.where(TeamMember.active.is_(True))
    return db.session.scalars(stmt.order_by(TeamMember.name, TeamMember.id)).all()


def save_member(tenant: Tenant, data: dict, member: TeamMember | None = None) -> TeamMember:
    """Add or edit a team member (§5.1); a linked account must be vendor staff of this tenant, on the team once."""
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Give the member's name."))
    if data.get("team_role") not in TeamRole.__members__.values():
        raise _refuse(_("Choose a team role."), "team_role")
    availability = data.get("availability") or Availability.AVAILABLE
    if availability not in Availability.__members__.values():
        raise _refuse(_("Choose an availability."), "availability")
    user_id = int(data.get("user_id") or 0) or None
    if user_id is not None:
        staff = db.session.scalar(
            select(Membership.id).where(
                Membership.tenant_id == tenant.id,
                Membership.user_id == user_id,
                Membership.role.in_([str(r) for r in VENDOR_ROLES]),
            )
        )
        if staff is None:
            raise _refuse(_("Link one of your own staff, or nobody."), "user_id")
        taken = select(TeamMember.id).where(TeamMember.tenant_id == tenant.id, TeamMember.user_id == user_id)
        if member is not None:
            taken = taken.where(TeamMember.id != member.id)
        if db.session.scalar(taken) is not None:
            raise _refuse(_("This person is already on the team."), "user_id")
    created = member is None
    member = member or TeamMember(tenant_id=tenant.id)
    member.name, member.team_role, member.availability, member.user_id = (
        name[:120],
        data["team_role"],
        availability,
        user_id,
    )
    member.skills = (data.get("skills") or "").strip()
    member.phone = (data.get("phone") or "").strip()[:40]
    member.active = bool(data.get("active", True))
    db.session.add(member)
    db.session.flush()
    audit.record("team.member_saved", tenant_id=tenant.id, target=member, name=member.name, created=created)
    return member


def set_availability(member: TeamMember, availability: str) -> None:
    """Mark a member available, busy or away: only available members are given new requests."""
    if availability not in Availability.__members__.values():
        raise ServiceError(_("Choose an availability."))
    member.availability = availability
    db.session.flush()


def add_certificate(member: TeamMember, data: dict) -> TeamCertificate:
    """Record a certificate the member holds (§5.2); no expiry date means it never expires."""
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Give the certificate's name."))
    issued_on, expires_on = data.get("issued_on"), data.get("expires_on")
    if issued_on and expires_on and expires_on < issued_on:
        raise ServiceError(_("A certificate cannot expire before it was issued."))
    cert = TeamCertificate(
        tenant_id=member.tenant_id,
        member_id=member.id,
        name=name[:120],
        issuer=(data.get("issuer") or "").strip()[:120],
        number=(data.get("number") or "").strip()[:80],
        issued_on=issued_on,
        expires_on=expires_on,
    )
    db.session.add(cert)
    db.session.flush()
    audit.record("team.certificate_added", tenant_id=member.tenant_id, target=cert, member=member.name, name=name)
    return cert


def remove_certificate(cert: TeamCertificate) -> None:
    """Take a certificate off the member's record."""
    audit.record("team.certificate_removed", tenant_id=cert.tenant_id, target=cert, name=cert.name)
    db.session.delete(cert)
    db.session.flush()


def certificates(tenant: Tenant, member_ids: list[int] | None = None) -> dict[int, list[TeamCertificate]]:
    """The tenant's certificates by member, soonest expiry first (never-expiring last)."""
    stmt = select(TeamCertificate).where(TeamCertificate.tenant_id == tenant.id)
    if member_ids is not None:
        stmt = stmt.where(TeamCertificate.member_id.in_(member_ids))
    grouped: dict[int, list[TeamCertificate]] = {}
    for cert in db.session.scalars(stmt.order_by(TeamCertificate.expires_on.asc().nulls_last(), TeamCertificate.id)):
        grouped.setdefault(cert.member_id, []).append(cert)
    return grouped


def certificate_state(cert: TeamCertificate, today: date) -> str:
    """The certificate's state: "expired", "expiring" (within the warning days), "valid", or "" (never expires)."""
    if cert.expires_on is None:
        return ""
    if cert.expires_on <= today:
        return "expired"
    if cert.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return "valid"


def expiring_certificates(tenant: Tenant, within_days: int = EXPIRY_WARNING_DAYS) -> list[TeamCertificate]:
    """Certificates of active members that have expired or expire within `within_days` of the tenant's today."""
    horizon = local_today(tenant) + timedelta(days=within_days)
    return db.session.scalars(
        select(TeamCertificate)
        .options(selectinload(TeamCertificate.member))
        .join(TeamMember, TeamMember.id == TeamCertificate.member_id)
        .where(
            TeamCertificate.tenant_id == tenant.id,
            TeamMember.active.is_(True),
            TeamCertificate.expires_on.is_not(None),
            TeamCertificate.expires_on <= horizon,
        )
        .order_by(TeamCertificate.expires_on, TeamCertificate.id)
    ).all()


def open_load(tenant_id: int, member_ids: list[int] | None = None) -> dict[int, int]:
    """How many open requests each member holds, in one GROUP BY query; members with none are absent."""
    stmt = (
        select(ServiceRequest.assignee_id, func.count(ServiceRequest.id))
        .where(
            ServiceRequest.tenant_id == tenant_id,
            ServiceRequest.is_open.is_(True),
            ServiceRequest.assignee_id.is_not(None),
        )
        .group_by(ServiceRequest.assignee_id)
    )
    if member_ids is not None:
        if not member_ids:
            return {}
        stmt = stmt.where(ServiceRequest.assignee_id.in_(member_ids))
    return dict(db.session.execute(stmt).all())


def rules(tenant: Tenant) -> list[AssignmentRule]:
    """The tenant's assignment rules, in category order."""
    return db.session.scalars(
        select(AssignmentRule)
        .options(selectinload(AssignmentRule.category))
        .where(AssignmentRule.tenant_id == tenant.id)
        .order_by(AssignmentRule.category_id)
    ).all()


def save_rule(tenant: Tenant, data: dict) -> AssignmentRule:
    """Send a category's new requests to a team role (§5.1); replaces the category's rule if it has one."""
    category = RequestCategory.get_in(tenant, data.get("category_id"))
    if category is None:
        raise ServiceError(_("Choose a category."))
    if data.get("team_role") not in TeamRole.__members__.values():
        raise ServiceError(_("Choose a team role."))
    rule = db.session.scalar(
        select(AssignmentRule).where(AssignmentRule.tenant_id == tenant.id, AssignmentRule.category_id == category.id)
    )
    rule = rule or AssignmentRule(tenant_id=tenant.id, category_id=category.id)
    rule.team_role = data["team_role"]
    db.session.add(rule)
    db.session.flush()
    audit.record("team.rule_saved", tenant_id=tenant.id, target=rule, category=category.code, role=rule.team_role)
    return rule


def delete_rule(rule: AssignmentRule) -> None:
    """Stop assigning a category's requests by role."""
    audit.record("team.rule_deleted", tenant_id=rule.tenant_id, target=rule, category_id=rule.category_id)
    db.session.delete(rule)
    db.session.flush()


def contracts_in_force(tenant: Tenant) -> list[Contract]:
    """The tenant's contracts in force, whose named engineers may be set."""
    return db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.client))
        .where(Contract.tenant_id == tenant.id, Contract.status.in_([ContractStatus.ACTIVE, ContractStatus.EXPIRING]))
        .order_by(Contract.number, Contract.id)
    ).all()


def contract_engineers(contract: Contract) -> list[TeamMember]:
    """The engineers named for a contract (Annex 2)."""
    return db.session.scalars(
        select(TeamMember)
        .join(ContractEngineer, ContractEngineer.member_id == TeamMember.id)
        .where(ContractEngineer.contract_id == contract.id)
        .order_by(TeamMember.name, TeamMember.id)
    ).all()


def set_contract_engineers(contract: Contract, member_ids: list[int]) -> list[TeamMember]:
    """Name the contract's engineers (Annex 2): exactly these members of the vendor's team."""
    if contract.status not in OPEN_CONTRACT_STATUSES:
        raise ServiceError(_("This contract has ended; its team can no longer change."))
    wanted = {int(i) for i in member_ids if i}
    found = (
        set(
            db.session.scalars(
                select(TeamMember.id).where(TeamMember.tenant_id == contract.tenant_id, TeamMember.id.in_(wanted))
            )
        )
        if wanted
        else set()
    )
    if found != wanted:
        raise ServiceError(_("Choose members of your team."))
    current = set(
        db.session.scalars(select(ContractEngineer.member_id).where(ContractEngineer.contract_id == contract.id))
    )
    if current - wanted:
        db.session.execute(
            delete(ContractEngineer).where(
                ContractEngineer.contract_id == contract.id, ContractEngineer.member_id.in_(current - wanted)
            )
        )
    db.session.add_all(
        ContractEngineer(
            tenant_id=contract.tenant_id, client_id=contract.client_id, contract_id=contract.id, member_id=m
        )
        for m in sorted(wanted - current)
    )
    db.session.flush()
    audit.record("team.contract_engineers_set", tenant_id=contract.tenant_id, target=contract, members=sorted(wanted))
    return contract_engineers(contract)


def _candidates(req: ServiceRequest) -> tuple[list[TeamMember], str]:
    """Who may take a new request, and by which rule: "role", "role_named" or "named" (see choose_assignee)."""
    named = set(
        db.session.scalars(select(ContractEngineer.member_id).where(ContractEngineer.contract_id == req.contract_id))
    )
    ready = select(TeamMember).where(
        TeamMember.tenant_id == req.tenant_id,
        TeamMember.active.is_(True),
        TeamMember.availability == Availability.AVAILABLE,
    )
    role = db.session.scalar(
        select(AssignmentRule.team_role).where(
            AssignmentRule.tenant_id == req.tenant_id, AssignmentRule.category_id == req.category_id
        )
    )
    if role is not None:
        pool = db.session.scalars(ready.where(TeamMember.team_role == role)).all()
        preferred = [m for m in pool if m.id in named]
        return (preferred, "role_named") if preferred else (pool, "role")
    if not named:
        return [], ""
    return db.session.scalars(ready.where(TeamMember.id.in_(named))).all(), "named"


def choose_assignee(req: ServiceRequest) -> tuple[TeamMember | None, str]:
    """Who should take a new request (§5.1), and by which rule ("role", "role_named", "named"); (None, "") if nobody.

    With a rule for its category: an available, active member of the rule's team role, the contract's named
    engineers first. Without one: an available named engineer of the contract. The least loaded wins (fewest
    open requests), then the lowest id. The requests domain does the assigning.
    """
    pool, how = _candidates(req)
    if not pool:
        return None, ""
    load = open_load(req.tenant_id, [m.id for m in pool])
    return min(pool, key=lambda m: (load.get(m.id, 0), m.id)), how
