"""Third-party agreements (Part 2 §4.2, annex 6): the vendor's contract with a jointly selected subcontractor for one
client's agreement, its scope, fee, back-to-back hours and term, and the warnings before it ends; and the
subcontractor's own people (Part 2 §8.2)."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from plugins.third_party.models import Agreement, AgreementStatus, Member, Subcontractor
from plugins.third_party.services import IN_FORCE, NAME, FieldError, may_work_on, parse_regions
from saas.contracts.models import Contract, Service
from saas.contracts.services import last_day
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Role, Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import safe_content_type, safe_filename
from saas.core.people import normalise_email, user_by_email
from saas.core.tenancy import owned_by
from saas.credits.services import SERVICE_OF_REQUEST
from saas.extensions import db
from saas.requests.models import RequestCategory, ServiceRequest
from saas.requests.services import contract_hours_field

#: Both parties are warned this many days before a third-party agreement ends (Part 2 §4.2).
EXPIRY_WARNING_DAYS = 30
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_HOURS = 24 * 90

STATUS_LABELS = {
    AgreementStatus.ACTIVE: _l("In force"),
    AgreementStatus.SUSPENDED: _l("Suspended"),
    AgreementStatus.ENDED: _l("Ended"),
}


def service_label(service: Service) -> str:
    """A catalogue service's name in the reader's language."""
    return service.name_zh if str(get_locale() or "").startswith("zh") else service.name_en


def status_label(agreement: Agreement, today: date) -> str:
    """What the agreement's state is today: in force, not yet, ended by its date, suspended or ended early."""
    if agreement.status != AgreementStatus.ACTIVE:
        return str(STATUS_LABELS[AgreementStatus(agreement.status)])
    if today < agreement.starts_on:
        return _("Starts on %(day)s", day=agreement.starts_on.isoformat())
    if today > agreement.ends_on:
        return _("Expired on %(day)s", day=agreement.ends_on.isoformat())
    return str(STATUS_LABELS[AgreementStatus.ACTIVE])


def in_force(agreement: Agreement, today: date) -> bool:
    return agreement.status == AgreementStatus.ACTIVE and agreement.starts_on <= today <= agreement.ends_on


def services_of(agreement: Agreement) -> list[Service]:
    ids = [int(i) for i in agreement.service_ids or []]
    if not ids:
        return []
    return db.session.scalars(
        select(Service).where(Service.tenant_id == agreement.tenant_id, Service.id.in_(ids))
    ).all()


def categories_of(agreement: Agreement) -> list[RequestCategory]:
    ids = [int(i) for i in agreement.category_ids or []]
    if not ids:
        return []
    return db.session.scalars(
        select(RequestCategory).where(RequestCategory.tenant_id == agreement.tenant_id, RequestCategory.id.in_(ids))
    ).all()


def _next_number(contract: Contract) -> str:
    count = db.session.scalar(select(func.count(Agreement.id)).where(Agreement.contract_id == contract.id)) or 0
    return f"{contract.number}-F6-{count + 1:02d}"


def create_agreement(
    contract: Contract | None,
    subcontractor: Subcontractor | None,
    data: dict,
    file: tuple[str, str, bytes] | None,
    actor: User,
) -> Agreement:
    """Attach a signed third-party agreement to a client's agreement as annex 6, once everything in it holds: the
    subcontractor jointly selected for that agreement, services it can take and the agreement has, regions it works
    in, a term inside the agreement's, and back-to-back hours no looser than the vendor's own toward the client."""
    if contract is None or contract.status not in IN_FORCE:
        raise FieldError(_("Choose an agreement in force."), "contract_id")
    if subcontractor is None or not owned_by(subcontractor, contract.tenant_id):
        raise FieldError(_("Choose one of your subcontractors."), "subcontractor_id")
    if not may_work_on(contract, subcontractor):
        raise FieldError(
            _(
                "%(name)s is not approved by the client for agreement %(number)s (Part 2 §4.1): propose it first.",
                name=subcontractor.legal_name,
                number=contract.number,
            ),
            "subcontractor_id",
        )
    service_ids = sorted({int(i) for i in data.get("service_ids") or []})
    if not service_ids:
        raise FieldError(_("Choose the services it takes on."), "service_ids")
    can_take = {s.id for s in subcontractor.services}
    on_contract = {line.service_id for line in contract.lines if line.service_id}
    for service in db.session.scalars(select(Service).where(Service.id.in_(service_ids))):
        if not owned_by(service, contract.tenant_id):
            raise FieldError(_("Choose services of your catalogue."), "service_ids")
        name = service_label(service)
        if service.id not in can_take:
            raise FieldError(
                _(
                    "%(name)s cannot take %(service)s (its services on file).",
                    name=subcontractor.legal_name,
                    service=name,
                ),
                "service_ids",
            )
        if service.id not in on_contract:
            raise FieldError(
                _("Agreement %(number)s has no %(service)s in its fee schedule.", number=contract.number, service=name),
                "service_ids",
            )
    category_ids = sorted({int(i) for i in data.get("category_ids") or []})
    for category_id in category_ids:
        if RequestCategory.get_in(contract.tenant, category_id) is None:
            raise FieldError(_("Choose categories of your own."), "category_ids")
    regions = parse_regions(data.get("regions") or "")
    outside = [r for r in regions if subcontractor.regions and r not in subcontractor.regions]
    if outside:
        raise FieldError(
            _("%(name)s does not work in %(regions)s.", name=subcontractor.legal_name, regions="、".join(outside)),
            "regions",
        )
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if starts_on is None or ends_on is None:
        raise FieldError(_("Give the agreement's first and last day."), "starts_on")
    if ends_on < starts_on:
        raise FieldError(_("The last day cannot come before the first."), "ends_on")
    if starts_on < contract.effective_date or ends_on > last_day(contract):
        raise FieldError(
            _(
                "A third-party agreement must lie within agreement %(number)s's term, %(start)s to %(end)s.",
                number=contract.number,
                start=contract.effective_date.isoformat(),
                end=last_day(contract).isoformat(),
            ),
            "ends_on",
        )
    response_hours, resolution_hours = data.get("response_hours"), data.get("resolution_hours")
    if not response_hours or response_hours < 1 or response_hours > MAX_HOURS:
        raise FieldError(_("Give the hours within which it must answer (at least 1)."), "response_hours")
    if not resolution_hours or resolution_hours < response_hours or resolution_hours > MAX_HOURS:
        raise FieldError(_("The hours to resolve cannot be fewer than the hours to answer."), "resolution_hours")
    # Back to back: the vendor stays answerable to the client (Part 2 §8.3), so the subcontractor's hours to answer
    # may not be looser than the vendor's own for the services it takes.
    vendor_hours = min(
        (
            getattr(contract, contract_hours_field(kind))
            for kind, service_kind in SERVICE_OF_REQUEST.items()
            for service in db.session.scalars(select(Service).where(Service.id.in_(service_ids)))
            if service.kind == service_kind
        ),
        default=None,
    )
    if vendor_hours is not None and response_hours > vendor_hours:
        raise FieldError(
            _(
                "Back to back, it must answer within the agreement's own %(hours)d hours or sooner.",
                hours=vendor_hours,
            ),
            "response_hours",
        )
    fee = data.get("monthly_fee")
    if fee is None or Decimal(fee) < 0:
        raise FieldError(_("Give the monthly fee paid to the subcontractor (0 or more)."), "monthly_fee")
    if file is None or not file[2]:
        raise FieldError(_("Attach the signed agreement."), "document")
    name, content_type, content = file
    if len(content) > MAX_FILE_BYTES:
        raise FieldError(_("Files may be at most 10 MB."), "document")
    agreement = Agreement(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id,
        number=_next_number(contract),
        service_ids=service_ids,
        category_ids=category_ids,
        regions=regions,
        monthly_fee=Decimal(fee).quantize(Decimal("0.01")),
        currency=contract.currency,
        response_hours=int(response_hours),
        resolution_hours=int(resolution_hours),
        starts_on=starts_on,
        ends_on=ends_on,
        status=AgreementStatus.ACTIVE,
        filename=safe_filename(name, "agreement.pdf"),
        content_type=safe_content_type(content_type),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        data=content,
        created_by_id=actor.id,
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(agreement)
            db.session.flush()
    except IntegrityError:  # another agreement took the number at the same moment
        raise ServiceError(_("Another agreement was attached at the same moment; try again.")) from None
    audit.record(
        f"{NAME}.agreement_attached",
        tenant_id=contract.tenant_id,
        target=agreement,
        actor=actor,
        number=agreement.number,
        contract=contract.number,
        subcontractor=subcontractor.legal_name,
        sha256=agreement.sha256,
    )
    return agreement


def set_status(agreement: Agreement, status: str, reason: str, actor: User) -> bool:
    """Suspend, end early or reinstate a third-party agreement, saying why; both parties are told (Part 2 §4.2)."""
    from plugins.third_party.tasks import mail_agreement_changed

    reason = (reason or "").strip()
    if status not in AgreementStatus.__members__.values():
        raise ServiceError(_("Choose what happens to the agreement."))
    if agreement.status == status:
        return False
    if agreement.status == AgreementStatus.ENDED:
        raise ServiceError(_("This agreement has ended; attach a new one."))
    if status != AgreementStatus.ACTIVE and not reason:
        raise FieldError(_("Say why."), "reason")
    agreement.status, agreement.status_reason = status, reason
    db.session.flush()
    audit.record(
        f"{NAME}.agreement_{status}",
        tenant_id=agreement.tenant_id,
        target=agreement,
        actor=actor,
        number=agreement.number,
        reason=reason,
    )
    send_after_commit(mail_agreement_changed, [agreement.id], key=f"{NAME}-agreement-changed")
    return True


def agreements_of_contract(contract: Contract) -> list[Agreement]:
    """Annex 6 of an agreement: its third-party agreements, oldest first."""
    return db.session.scalars(
        select(Agreement).where(Agreement.contract_id == contract.id).order_by(Agreement.id)
    ).all()


def annex_lines(contract: Contract) -> list[str]:
    """Annex 6 as the rendered agreement lists it (Part 2 §4.2): each third-party agreement attached and not ended
    early, with whom, for what, its term and the SHA-256 of the signed file (the fee stays between the vendor and
    the subcontractor)."""
    return [
        _(
            "%(number)s with %(name)s (unified social credit code %(uscc)s): %(services)s; %(start)s to %(end)s; "
            "signed contract %(file)s, SHA-256 %(sha)s",
            number=row.number,
            name=row.subcontractor.legal_name,
            uscc=row.subcontractor.uscc,
            services=", ".join(sorted(service_label(s) for s in services_of(row))) or "—",
            start=row.starts_on.isoformat(),
            end=row.ends_on.isoformat(),
            file=row.filename,
            sha=row.sha256,
        )
        for row in agreements_of_contract(contract)
        if row.status != AgreementStatus.ENDED
    ]


def agreements_of(subcontractor: Subcontractor) -> list[Agreement]:
    return db.session.scalars(
        select(Agreement).where(Agreement.subcontractor_id == subcontractor.id).order_by(Agreement.id.desc())
    ).all()


def list_agreements(tenant: Tenant, *, after: int | None = None, limit: int = 25):
    """Every third-party agreement of the vendor, newest first; keyset pages."""
    stmt = select(Agreement).where(Agreement.tenant_id == tenant.id)
    if after:
        stmt = stmt.where(Agreement.id < after)
    rows = db.session.scalars(stmt.order_by(Agreement.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def covering(req: ServiceRequest, subcontractor: Subcontractor, today: date) -> Agreement | None:
    """The subcontractor's agreement in force that covers this request: its agreement, service and category."""
    service_kind = SERVICE_OF_REQUEST.get(req.kind)
    for agreement in db.session.scalars(
        select(Agreement)
        .where(
            Agreement.contract_id == req.contract_id,
            Agreement.subcontractor_id == subcontractor.id,
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.starts_on <= today,
            Agreement.ends_on >= today,
        )
        .order_by(Agreement.id)
    ):
        if agreement.category_ids and req.category_id not in [int(i) for i in agreement.category_ids]:
            continue
        if any(service.kind == service_kind for service in services_of(agreement)):
            return agreement
    return None


def expiring(tenant_id: int, today: date) -> list[Agreement]:
    """Agreements in force that end within the warning window and were not warned of it yet."""
    return db.session.scalars(
        select(Agreement)
        .where(
            Agreement.tenant_id == tenant_id,
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.expiry_warned_on.is_(None),
            Agreement.ends_on >= today,
            Agreement.ends_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
        )
        .order_by(Agreement.id)
    ).all()


# --- the subcontractor's people ---------------------------------------------------------------------------------


def member_of(tenant: Tenant, user: User | None) -> Member | None:
    """Which subcontractor a third-party user works for (None: none, so they see no work)."""
    if user is None:
        return None
    membership = user.membership_in(tenant.id)
    if membership is None or membership.role != Role.THIRD_PARTY:
        return None
    return db.session.scalar(
        select(Member).where(Member.tenant_id == tenant.id, Member.email == normalise_email(user.email))
    )


def people_of(subcontractor: Subcontractor) -> list[Member]:
    return db.session.scalars(
        select(Member).where(Member.subcontractor_id == subcontractor.id).order_by(Member.id)
    ).all()


def person_state(member: Member) -> str:
    """'active' once they have a third-party sign-in of the vendor's, else 'invited'."""
    user = user_by_email(member.email)
    membership = user.membership_in(member.tenant_id) if user is not None else None
    return "active" if membership is not None and membership.role == Role.THIRD_PARTY else "invited"


def add_person(subcontractor: Subcontractor, email: str, name: str, actor: User) -> Member:
    """Place a person of the subcontractor on its work (Part 2 §8.2): someone with a third-party sign-in of the
    vendor's works for it at once, anyone else is invited to one. A person works for one subcontractor only."""
    from saas.core.people import invite

    tenant = db.session.get(Tenant, subcontractor.tenant_id)
    email = normalise_email(email or "")
    if not email:
        raise FieldError(_("Give the person's e-mail."), "email")
    user = user_by_email(email)
    membership = user.membership_in(tenant.id) if user is not None else None
    if membership is not None and membership.role != Role.THIRD_PARTY:
        raise FieldError(_("This person already belongs to your organisation in another role."), "email")
    member = Member(
        tenant_id=tenant.id,
        subcontractor_id=subcontractor.id,
        email=email,
        name=(name or "").strip()[:120] or (user.name if user else ""),
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(member)
            db.session.flush()
    except IntegrityError:
        raise FieldError(_("This person already works for a subcontractor of yours."), "email") from None
    audit.record(
        f"{NAME}.person_added",
        tenant_id=tenant.id,
        target=member,
        actor=actor,
        email=email,
        subcontractor=subcontractor.legal_name,
    )
    if membership is None:
        invite(tenant, email=email, role=Role.THIRD_PARTY)  # commits: the placement with it
    return member


def remove_person(member: Member, actor: User) -> None:
    """Take a person off the subcontractor: they see its work no more (their sign-in stays, with nothing in it)."""
    audit.record(
        f"{NAME}.person_removed",
        tenant_id=member.tenant_id,
        target=member,
        actor=actor,
        email=member.email,
        subcontractor=member.subcontractor.legal_name,
    )
    db.session.delete(member)
    db.session.flush()


def today_of(tenant: Tenant) -> date:
    return local_today(tenant)
