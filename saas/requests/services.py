"""Service requests (§4.2, §4.3): raising, the status workflow, replies, visits and their SLA due times."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only, raiseload, selectinload

from saas.calendars.models import ServiceCalendar
from saas.contracts.models import Contract, ContractStatus
from saas.core import audit, events
from saas.core.clock import local_date, local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Client, Membership, Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import clean_text, parse_cursor, parse_id, safe_content_type, safe_filename
from saas.core.plugins import plugin_manager
from saas.core.tenancy import owned_by
from saas.extensions import db
from saas.requests import coverage, sla
from saas.requests.models import (
    OPEN_STATUSES,
    Channel,
    Priority,
    RequestAttachment,
    RequestCategory,
    RequestEvent,
    RequestKind,
    RequestSequence,
    RequestStatus,
    ServiceRequest,
    SiteVisit,
)
from saas.requests.notifications import send_request_mail
from saas.team.models import TeamMember
from saas.team.services import choose_assignee

S = RequestStatus
#: The workflow (§4.2). Vendor staff move requests forward; the client answers, confirms or reopens.
VENDOR_MOVES = {
    S.NEW: {S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_ON_CLIENT, S.RESOLVED},
    S.ACKNOWLEDGED: {S.IN_PROGRESS, S.WAITING_ON_CLIENT, S.RESOLVED},
    S.IN_PROGRESS: {S.WAITING_ON_CLIENT, S.RESOLVED},
    S.WAITING_ON_CLIENT: {S.IN_PROGRESS, S.RESOLVED},
    S.RESOLVED: {S.IN_PROGRESS},
    S.CLOSED: set(),
}
CLIENT_MOVES = {
    S.WAITING_ON_CLIENT: {S.IN_PROGRESS},  # the client answered
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS},  # confirm the resolution, or reopen
}
#: Statuses in which the SLA clocks stand still, and why.
PAUSING = {S.WAITING_ON_CLIENT: "waiting_on_client", S.RESOLVED: "resolved"}
#: The standard categories (§4.3) every vendor starts with: code, kind, Chinese and English names.
STANDARD_CATEGORIES = (
    ("REMOTE", RequestKind.REMOTE_SUPPORT, "远程技术支持", "Remote support"),
    ("ONSITE", RequestKind.ONSITE_SUPPORT, "现场技术支持", "On-site support"),
    ("FAULT", RequestKind.FAULT, "故障处理", "Fault"),
    ("CONSULT", RequestKind.CONSULTATION, "咨询", "Consultation"),
    ("TRAINING", RequestKind.TRAINING, "技术培训", "Training"),
    ("UPGRADE", RequestKind.UPGRADE, "系统升级与优化", "Upgrade and optimisation"),
    ("GENERAL", RequestKind.GENERAL, "一般服务请求", "General service request"),
)
#: Working hours to resolve, per priority, until the vendor sets its own.
DEFAULT_RESOLUTION_HOURS = {"urgent": 8, "high": 24, "normal": 72, "low": 160}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def contract_hours_field(kind: str) -> str:
    """Which of the contract's hours govern the response to a request of this kind (§2.2.2, §2.3.2, §4.1)."""
    return {RequestKind.FAULT: "fault_response_hours", RequestKind.CONSULTATION: "consult_response_hours"}.get(
        kind, "service_response_hours"
    )


def add_standard_categories(
    tenant: Tenant, always: ServiceCalendar | None = None, office: ServiceCalendar | None = None
) -> list[RequestCategory]:
    """Give a tenant the standard categories: remote support and faults 7x24 (§2.1.1), the rest office hours."""
    existing = set(db.session.scalars(select(RequestCategory.code).where(RequestCategory.tenant_id == tenant.id)))
    added = []
    for code, kind, name_zh, name_en in STANDARD_CATEGORIES:
        if code in existing:
            continue
        around_the_clock = kind in (RequestKind.REMOTE_SUPPORT, RequestKind.FAULT)
        calendar = always if around_the_clock else office
        added.append(
            RequestCategory(
                tenant_id=tenant.id,
                code=code,
                kind=kind,
                name_zh=name_zh,
                name_en=name_en,
                calendar_id=calendar.id if calendar else None,
                resolution_hours=dict(DEFAULT_RESOLUTION_HOURS),
            )
        )
    db.session.add_all(added)
    db.session.flush()
    return added


def categories(tenant: Tenant, active_only: bool = True) -> list[RequestCategory]:
    """The tenant's request categories; a tenant that has none yet gets the standard ones."""
    stmt = select(RequestCategory).where(RequestCategory.tenant_id == tenant.id).order_by(RequestCategory.id)
    rows = db.session.scalars(stmt).all()
    if not rows:
        try:
            with db.session.begin_nested():
                add_standard_categories(tenant)
        except IntegrityError:  # a concurrent first request added them
            pass
        rows = db.session.scalars(stmt).all()
    return [c for c in rows if c.active or not active_only]


def save_category(tenant: Tenant, data: dict, category: RequestCategory | None = None) -> RequestCategory:
    """Create or refine a category: names, handling standard, calendar and resolution hours per priority."""
    code = data["code"].strip().upper()
    clash = select(RequestCategory.id).where(RequestCategory.tenant_id == tenant.id, RequestCategory.code == code)
    if category is not None:
        clash = clash.where(RequestCategory.id != category.id)
    if db.session.scalar(clash) is not None:
        raise ServiceError(_("Another category already has this code."))
    if data["kind"] not in RequestKind.__members__.values():
        raise ServiceError(_("Choose a handling standard."))
    calendar_id = data.get("calendar_id") or None
    if (
        calendar_id
        and db.session.scalar(
            select(ServiceCalendar.id).where(ServiceCalendar.id == calendar_id, ServiceCalendar.tenant_id == tenant.id)
        )
        is None
    ):
        raise ServiceError(_("Choose one of your calendars."))
    hours = {p.value: int(data[f"resolution_{p.value}"]) for p in Priority}
    if any(h <= 0 for h in hours.values()):
        raise ServiceError(_("Resolution targets are whole hours above zero."))
    created = category is None
    category = category or RequestCategory(tenant_id=tenant.id)
    category.code, category.kind, category.calendar_id = code, data["kind"], calendar_id
    category.name_zh, category.name_en = data["name_zh"].strip(), data["name_en"].strip()
    category.resolution_hours, category.active = hours, bool(data.get("active", True))
    db.session.add(category)
    db.session.flush()
    audit.record("requests.category_saved", tenant_id=tenant.id, target=category, code=code, created=created)
    return category


def contract_in_force(tenant: Tenant, client_id: int, when: datetime | None = None) -> Contract | None:
    """The client's contract in force at `when` (the latest to take effect, where a renewal overlaps)."""
    day = local_date(tenant, when or now())
    return db.session.scalar(
        select(Contract)
        .where(
            Contract.tenant_id == tenant.id,
            Contract.client_id == client_id,
            # a terminated agreement covers requests up to its last day in force (§10.3)
            or_(
                Contract.status.in_([ContractStatus.ACTIVE, ContractStatus.EXPIRING]),
                and_(Contract.status == ContractStatus.TERMINATED, Contract.terminated_on >= day),
            ),
            Contract.effective_date <= day,
        )
        .order_by(Contract.effective_date.desc(), Contract.id.desc())
        .limit(1)
    )


def _next_number(tenant_id: int) -> int:
    """The tenant's next request number, taken under the sequence row's lock."""
    bump = (
        update(RequestSequence)
        .where(RequestSequence.tenant_id == tenant_id)
        .values(last_value=RequestSequence.last_value + 1)
        .returning(RequestSequence.last_value)
    )
    number = db.session.scalar(bump)
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(RequestSequence(tenant_id=tenant_id, last_value=0))
        except IntegrityError:  # another transaction created it first; its lock now orders us
            pass
        number = db.session.scalar(bump)
    return number


def create_request(
    tenant: Tenant,
    client_id: int,
    data: dict,
    actor: User | None = None,
    channel: str = Channel.PORTAL,
    received_at: datetime | None = None,
    source_key: str | None = None,
) -> ServiceRequest:
    """Raise a request under the client's contract in force, with its due times; refused when none is in force."""
    current = now()
    received_at = received_at or current
    if received_at > current:
        raise ServiceError(_("A request cannot be received in the future."))
    if received_at < current - timedelta(days=7):
        raise ServiceError(_("Log requests within seven days of receiving them."))
    client = Client.get_in(tenant, client_id)
    if client is None:
        raise ServiceError(_("Choose one of your clients."))
    contract = contract_in_force(tenant, client_id, received_at)
    if contract is None:
        # §10.4: once the agreement has ended, no new requests are taken under it.
        raise ServiceError(
            _("%(client)s has no service agreement in force, so no request can be raised.", client=client.legal_name)
        )
    category = RequestCategory.get_in(tenant, data.get("category_id"))
    if category is None or not category.active:
        raise ServiceError(_("Choose a category."))
    priority = data.get("priority") or Priority.NORMAL
    if priority not in Priority.__members__.values():
        raise ServiceError(_("Choose a priority."))
    # Whatever the channel (portal, API, alert, phone log), text is kept without control characters, which
    # neither the exports (XLSX refuses them) nor PostgreSQL (NUL) can hold.
    subject = clean_text(data.get("subject"), multiline=False).strip()
    if not subject:
        raise ServiceError(_("Say in a few words what the request is about."))
    portal_user = actor if channel == Channel.PORTAL else None
    req = ServiceRequest(
        tenant_id=tenant.id,
        client_id=client_id,
        contract_id=contract.id,
        number=_next_number(tenant.id),
        category_id=category.id,
        kind=category.kind,
        priority=priority,
        channel=channel,
        subject=subject[:200],
        description=clean_text(data.get("description")).strip(),
        requester_id=portal_user.id if portal_user else None,
        requester_name=clean_text(
            data.get("requester_name") or (portal_user.name if portal_user else ""), multiline=False
        ).strip(),
        requester_contact=clean_text(
            data.get("requester_contact") or (portal_user.email if portal_user else ""), multiline=False
        ).strip(),
        received_at=received_at,
        calendar_id=category.calendar_id,
        source_key=source_key,
        response_hours=getattr(contract, contract_hours_field(category.kind)),
        resolution_hours=int((category.resolution_hours or DEFAULT_RESOLUTION_HOURS)[priority]),
        arrival_hours=contract.onsite_arrival_hours if category.kind == RequestKind.ONSITE_SUPPORT else None,
        created_at=current,
    )
    db.session.add(req)
    db.session.flush()
    # §13: an add-on running on its day may extend the category's coverage (7×24, shorter hours): asked first,
    # so the due times below and every later refresh run on what applied.
    covered = coverage.apply_coverage(req, contract, category)
    sla.refresh_due(req)
    if req.assignee_id is None:  # §5.1: by the category's rule and the contract's named engineers
        member, how = choose_assignee(req)
        if member is not None:
            assign(req, member, None, rule=how)
    add_event(req, "created", actor, to_status=S.NEW, body=req.description, data={"channel": channel})
    if covered is not None:
        add_event(req, coverage.EVENT_KIND, None, body=covered["label"], data=covered)
    events.publish(tenant.id, "request.created", event_data(req))
    # Plugins enabled for the tenant act on the new request (a third party's transfer routes it, Part 2 §4.3).
    plugin_manager().for_tenant(tenant).saas_request_created(req=req)
    return req


def event_data(req: ServiceRequest, **extra) -> dict:
    """What a webhook is told of a request: its number and ids and its key fields (not its description)."""
    return {
        "request": {
            "id": req.id,
            "number": req.number,
            "reference": req.reference,
            "client_id": req.client_id,
            "contract_id": req.contract_id,
            "subject": req.subject,
            "kind": req.kind,
            "priority": req.priority,
            "status": req.status,
            "channel": req.channel,
            "received_at": req.received_at.isoformat() if req.received_at else None,
            "response_due_at": req.response_due_at.isoformat() if req.response_due_at else None,
            "resolution_due_at": req.resolution_due_at.isoformat() if req.resolution_due_at else None,
        },
        **extra,
    }


def add_event(
    req: ServiceRequest,
    kind: str,
    actor: User | None,
    *,
    body: str = "",
    internal: bool = False,
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
) -> RequestEvent:
    """Write one line of the request's timeline; e-mails about it go out after the commit (notifications.py)."""
    event = RequestEvent(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        body=clean_text(body),
        internal=internal,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        created_at=now(),
    )
    db.session.add(event)
    db.session.flush()
    if not internal:
        send_after_commit(send_request_mail, [event.id], key="request-mail")
    return event


def _responded(req: ServiceRequest, when: datetime) -> None:
    """The vendor's first response (§4.1): stops the response clock; late, it is a breach (§8.1.2)."""
    if req.first_response_at is None:
        req.first_response_at = when
        sla.record_breach_if_late(req, "response", when)


def change_status(req: ServiceRequest, to_status: str, actor: User, *, by_client: bool, note: str = "") -> None:
    """Move a request along the workflow; pauses and resumes the SLA clocks and records who and when."""
    moves = CLIENT_MOVES if by_client else VENDOR_MOVES
    current, to_status = S(req.status), S(to_status)
    if to_status not in moves.get(current, set()):
        raise ServiceError(
            _(
                "This request cannot move from “%(old)s” to “%(new)s”.",
                old=status_label(current),
                new=status_label(to_status),
            )
        )
    at = now()
    if not by_client:
        _responded(req, at)
    if to_status == S.CLOSED:
        sla.end_pause(req, at)  # closed, its clocks have stopped for good: whatever else held them ends too
    elif current in PAUSING:
        sla.end_pause(req, at, reasons=PAUSING.values())  # materials still awaited keep theirs (saas/materials)
    if to_status in PAUSING:
        sla.start_pause(req, PAUSING[to_status], at)
    if to_status == S.RESOLVED:
        req.resolved_at = at
        sla.record_breach_if_late(req, "resolution", at)
    if to_status in (S.RESOLVED, S.CLOSED):
        sla.record_overdue(req, at)  # what passed unmet stays a breach, e.g. an on-site arrival that never was
    elif current == S.RESOLVED:  # reopened: the resolution clock runs on from where it stood
        req.resolved_at = None
    if to_status == S.CLOSED:
        req.closed_at = at
    req.status, req.is_open = to_status, to_status in OPEN_STATUSES
    sla.refresh_due(req)
    kind = "reopened" if current == S.RESOLVED and to_status == S.IN_PROGRESS else "status"
    add_event(req, kind, actor, from_status=current, to_status=to_status, body=note.strip())
    if kind == "reopened" and by_client:
        sla.record_not_fixed(req, _client_rejections(req))
    events.publish(
        req.tenant_id,
        "request.status_changed",
        event_data(req, from_status=str(current), to_status=str(to_status), by_client=by_client),
    )


def _client_rejections(req: ServiceRequest) -> list[datetime]:
    """When the client reopened the request's resolution, oldest first (the event just added included)."""
    db.session.flush()
    return list(
        db.session.scalars(
            select(RequestEvent.created_at)
            .join(User, User.id == RequestEvent.actor_id)
            .join(Membership, (Membership.user_id == User.id) & (Membership.tenant_id == req.tenant_id))
            .where(
                RequestEvent.request_id == req.id,
                RequestEvent.kind == "reopened",
                Membership.client_id == req.client_id,
            )
            .order_by(RequestEvent.id)
        )
    )


def close_by_vendor(req: ServiceRequest, actor: User, reason: str) -> None:
    """Close an open request without the client's confirmation (a duplicate; the contract ended, §10.4)."""
    if not reason.strip():
        raise ServiceError(_("Say why the request is closed."))
    if req.status == S.CLOSED:
        raise ServiceError(_("This request is already closed."))
    at = now()
    previous = req.status
    sla.record_overdue(req, at)  # deadlines that passed unmet stay breaches, closed or not (§8.1)
    if previous in PAUSING:
        sla.end_pause(req, at)
    req.status, req.is_open, req.closed_at = S.CLOSED, False, at
    sla.refresh_due(req)
    add_event(req, "status", actor, from_status=previous, to_status=S.CLOSED, body=reason.strip())
    events.publish(
        req.tenant_id,
        "request.status_changed",
        event_data(req, from_status=str(previous), to_status=str(S.CLOSED), by_client=False),
    )


def reply(
    req: ServiceRequest, actor: User, body: str, *, by_client: bool, internal: bool = False, files=()
) -> RequestEvent:
    """A reply (seen by both parties) or an internal note (vendor only), with attachments."""
    body = (body or "").strip()
    if not body and not files:
        raise ServiceError(_("Write a reply or attach a file."))
    if req.status == S.CLOSED:
        raise ServiceError(_("This request is closed; raise a new one."))
    internal = internal and not by_client
    event = add_event(
        req, "note" if internal else "reply", actor, body=body, internal=internal, data={"by_client": by_client}
    )
    for name, content_type, data in files:
        attach(req, event, name, content_type, data, internal)
    if not by_client and not internal:
        _responded(req, event.created_at)
        if req.status == S.NEW:
            change_status(req, S.ACKNOWLEDGED, actor, by_client=False)
    elif by_client and req.status == S.WAITING_ON_CLIENT:
        change_status(req, S.IN_PROGRESS, actor, by_client=True)
    return event


def attach(
    req: ServiceRequest, event: RequestEvent, name: str, content_type: str, data: bytes, internal: bool
) -> RequestAttachment:
    """Keep a file with the request; too large a file is refused."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ServiceError(_("Files may be at most 10 MB."))
    row = RequestAttachment(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        event_id=event.id,
        filename=safe_filename(name),
        content_type=safe_content_type(content_type),
        size=len(data),
        data=data,
        internal=internal,
        created_at=now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def assign(req: ServiceRequest, member: TeamMember | None, actor: User | None, rule: str = "") -> None:
    """Give the request to a team member (or take it back); recorded on the timeline."""
    if member is not None and not owned_by(member, req.tenant_id):
        raise ServiceError(_("Choose a member of your team."))
    if (member.id if member else None) == req.assignee_id:
        return
    req.assignee_id = member.id if member else None
    req.assignee = member
    add_event(
        req,
        "assigned",
        actor,
        body=member.name if member else "",
        internal=True,
        data={"member_id": member.id if member else None, "rule": rule},
    )


def record_visit(
    req: ServiceRequest,
    actor: User,
    engineer: TeamMember | None,
    arrived_at: datetime,
    departed_at: datetime | None,
    note: str = "",
) -> SiteVisit:
    """An engineer's arrival and departure on site (§2.1.2); a late first arrival is a breach."""
    current = now()
    if engineer is not None and not owned_by(engineer, req.tenant_id):
        raise ServiceError(_("Choose a member of your team."))
    if arrived_at > current or (departed_at and departed_at > current):
        raise ServiceError(_("Arrival and departure cannot be in the future."))
    if arrived_at < req.received_at:
        raise ServiceError(_("The engineer cannot arrive before the request was received."))
    if departed_at is not None and departed_at <= arrived_at:
        raise ServiceError(_("Departure must come after arrival."))
    if req.status == S.CLOSED:
        raise ServiceError(_("This request is closed; raise a new one."))
    visit = SiteVisit(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        engineer_id=engineer.id if engineer else None,
        arrived_at=arrived_at,
        departed_at=departed_at,
        note=note.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(visit)
    _responded(req, arrived_at)
    if req.first_arrival_at is None or arrived_at < req.first_arrival_at:
        req.first_arrival_at = arrived_at
        if req.arrival_due_at is not None:
            sla.record_breach_if_late(req, "arrival", arrived_at)
    sla.refresh_due(req)
    db.session.flush()
    _visit_event(req, visit, actor, note)
    return visit


def _visit_event(req: ServiceRequest, visit: SiteVisit, actor: User, note: str) -> None:
    """The visit's line on the timeline, on arrival and again on a departure recorded later."""
    add_event(
        req,
        "visit",
        actor,
        body=note.strip(),
        data={
            "engineer": visit.engineer.name if visit.engineer else "",
            "arrived_at": visit.arrived_at.isoformat(),
            "departed_at": visit.departed_at.isoformat() if visit.departed_at else None,
        },
    )


def record_departure(req: ServiceRequest, visit: SiteVisit, actor: User, departed_at: datetime, note: str = "") -> None:
    """The engineer left the site of a visit recorded on arrival (§2.1.2): its departure, once."""
    if visit.request_id != req.id:
        raise ServiceError(_("This visit belongs to another request."))
    if visit.departed_at is not None:
        raise ServiceError(_("The departure of this visit is recorded already."))
    if departed_at > now():
        raise ServiceError(_("Arrival and departure cannot be in the future."))
    if departed_at <= visit.arrived_at:
        raise ServiceError(_("Departure must come after arrival."))
    visit.departed_at = departed_at
    if note.strip():
        visit.note = "\n".join(filter(None, [visit.note, note.strip()]))
    db.session.flush()
    _visit_event(req, visit, actor, note)


def status_label(status: str) -> str:
    from saas.requests.labels import STATUS_LABELS

    return str(STATUS_LABELS.get(status, status))


#: What a list of requests shows: the rest (descriptions, targets, evidence times) stays in the database.
LIST_COLUMNS = tuple(
    getattr(ServiceRequest, name)
    for name in (
        "id",
        "tenant_id",
        "client_id",
        "number",
        "subject",
        "category_id",
        "priority",
        "status",
        "assignee_id",
        "received_at",
        "next_due_at",
        "calendar_id",
        "paused_since",
        "is_open",
        "response_breached",
        "arrival_breached",
        "resolution_breached",
    )
)


def list_requests(
    tenant: Tenant,
    *,
    client_id: int | None = None,
    status: str = "",
    category_id: int | None = None,
    priority: str = "",
    assignee_id: int | None = None,
    unassigned: bool = False,
    breaching_within: timedelta | None = None,
    query: str = "",
    after: str | None = None,
    limit: int = 25,
    related: bool = True,
):
    """One page of requests, soonest due first (open) or newest first; keyset on (due, id) or id.

    `status` is a status, "open" (the default queue) or "all". Returns (rows, next_after); a cursor this
    list did not give out raises ValueError. `related=False` loads only the columns a list shows, without
    client, category and engineer (a screen that has them already looks them up by id).
    """
    stmt = select(ServiceRequest).where(ServiceRequest.tenant_id == tenant.id)
    if related:
        stmt = stmt.options(
            selectinload(ServiceRequest.client),
            selectinload(ServiceRequest.assignee),
            selectinload(ServiceRequest.category),
        )
    else:
        stmt = stmt.options(load_only(*LIST_COLUMNS), raiseload("*"))
    if client_id:
        stmt = stmt.where(ServiceRequest.client_id == client_id)
    if category_id:
        stmt = stmt.where(ServiceRequest.category_id == category_id)
    if priority:
        stmt = stmt.where(ServiceRequest.priority == priority)
    if unassigned:
        stmt = stmt.where(ServiceRequest.assignee_id.is_(None))
    elif assignee_id:
        stmt = stmt.where(ServiceRequest.assignee_id == assignee_id)
    if query:
        number = parse_id(query.lstrip("#")) if query.lstrip("#").isascii() else None
        if number is not None:
            stmt = stmt.where(ServiceRequest.number == number)
        else:
            stmt = stmt.where(ServiceRequest.subject.ilike(f"%{query}%"))
    by_due = status in ("", "open")
    if by_due:
        stmt = stmt.where(ServiceRequest.is_open.is_(True))
    elif status != "all":
        stmt = stmt.where(ServiceRequest.status == status)
    if breaching_within is not None:
        stmt = stmt.where(ServiceRequest.is_open.is_(True), ServiceRequest.next_due_at <= now() + breaching_within)
    if by_due:
        # Soonest due first; paused requests (no due time) after them, by id. Keyset: "<due iso>|<id>" or "~|<id>".
        due_key = ServiceRequest.next_due_at
        if after:
            last_due, last_id = parse_cursor(after, timed=True)  # InvalidCursor (a ValueError) when made up
            if last_due is None:
                stmt = stmt.where(due_key.is_(None), ServiceRequest.id > last_id)
            else:
                stmt = stmt.where(
                    or_(due_key > last_due, and_(due_key == last_due, ServiceRequest.id > last_id), due_key.is_(None))
                )
        stmt = stmt.order_by(due_key.asc().nulls_last(), ServiceRequest.id.asc())
    else:
        if after:
            stmt = stmt.where(ServiceRequest.id < parse_cursor(after))
        stmt = stmt.order_by(ServiceRequest.id.desc())
    rows = db.session.scalars(stmt.limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    if not by_due:
        return rows, str(last.id)
    return rows, f"{last.next_due_at.isoformat() if last.next_due_at else '~'}|{last.id}"


def timeline(req: ServiceRequest, include_internal: bool) -> list[RequestEvent]:
    """The request's events in order, without internal notes for the client."""
    stmt = select(RequestEvent).options(selectinload(RequestEvent.actor)).where(RequestEvent.request_id == req.id)
    if not include_internal:
        stmt = stmt.where(RequestEvent.internal.is_(False))
    return db.session.scalars(stmt.order_by(RequestEvent.id)).all()


def created_event(req: ServiceRequest) -> RequestEvent:
    """The "raised" line of the timeline: files sent with the request belong to it (seen by both parties)."""
    return db.session.scalar(
        select(RequestEvent).where(RequestEvent.request_id == req.id, RequestEvent.kind == "created")
    )


def attachments(req: ServiceRequest, include_internal: bool) -> dict[int, list[RequestAttachment]]:
    """The request's files by the event they came with (without the file bytes)."""
    from sqlalchemy.orm import defer

    stmt = (
        select(RequestAttachment).options(defer(RequestAttachment.data)).where(RequestAttachment.request_id == req.id)
    )
    if not include_internal:
        stmt = stmt.where(RequestAttachment.internal.is_(False))
    grouped: dict[int, list[RequestAttachment]] = {}
    for row in db.session.scalars(stmt.order_by(RequestAttachment.id)):
        grouped.setdefault(row.event_id, []).append(row)
    return grouped


def visits(req: ServiceRequest) -> list[SiteVisit]:
    return db.session.scalars(
        select(SiteVisit)
        .options(selectinload(SiteVisit.engineer))
        .where(SiteVisit.request_id == req.id)
        .order_by(SiteVisit.arrived_at)
    ).all()


def team(tenant: Tenant, active_only: bool = True) -> list[TeamMember]:
    stmt = select(TeamMember).where(TeamMember.tenant_id == tenant.id)
    if active_only:
        stmt = stmt.where(TeamMember.active.is_(True))
    return db.session.scalars(stmt.order_by(TeamMember.name)).all()


def member_for_user(tenant: Tenant, user: User) -> TeamMember | None:
    return db.session.scalar(select(TeamMember).where(TeamMember.tenant_id == tenant.id, TeamMember.user_id == user.id))


def has_ended(contract: Contract) -> bool:
    """Expired, or terminated and past its last day in force (§10.3)."""
    if contract.status == ContractStatus.EXPIRED:
        return True
    today = local_today(contract.tenant)
    return contract.status == ContractStatus.TERMINATED and contract.terminated_on < today


def open_requests_of_contract(contract: Contract) -> list[ServiceRequest]:
    """The contract's requests not yet closed (§10.4: at termination, to be closed or handed over)."""
    return db.session.scalars(
        select(ServiceRequest)
        .where(ServiceRequest.contract_id == contract.id, ServiceRequest.status != S.CLOSED)
        .order_by(ServiceRequest.number)
    ).all()


def hand_over(req: ServiceRequest, successor: Contract, actor: User) -> None:
    """Move an open request of an ended agreement to the client's agreement now in force (§10.4)."""
    if not owned_by(successor, req.tenant_id, req.client_id):
        raise ServiceError(_("Hand requests over only to another agreement of the same client."))
    if successor.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRING) or successor.id == req.contract_id:
        raise ServiceError(_("Hand requests over only to an agreement in force."))
    if req.status == S.CLOSED:
        raise ServiceError(_("This request is already closed."))
    previous = req.contract.number
    req.contract_id, req.contract = successor.id, successor
    add_event(
        req,
        "handed_over",
        actor,
        body=f"{previous} → {successor.number}",
        data={"from": previous, "to": successor.number},
    )


def measure_obligations(
    contract: Contract, start: datetime | None = None, end: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Per deadline of the agreement (response by kind, arrival, resolution): how often it applied, met, breached.

    Applied counts every request with that deadline; met, those that met it; breached, those recorded as
    breaches. The rest are still running. With `start` and `end` (UTC instants, end exclusive), only the
    requests received in [start, end) count (a period's or a quarter's report, §12.1). One query.
    """
    return measure_obligations_split(contract, [start, end])[0]


def measure_obligations_split(contract: Contract, edges: list[datetime | None]) -> list[dict[str, dict[str, int]]]:
    """measure_obligations for each of the consecutive ranges [edges[i], edges[i + 1]) of received times (an edge
    of None is open-ended), e.g. each billing period of a report: one query, however many ranges."""
    from sqlalchemy import case, func, literal_column

    if len(edges) < 2:
        raise ValueError("at least one range: two edges")
    response_key = case(
        (ServiceRequest.kind == RequestKind.FAULT, "fault_response"),
        (ServiceRequest.kind == RequestKind.CONSULTATION, "consult_response"),
        else_="service_response",
    )
    inner = [e for e in edges[1:-1] if e is not None]
    if len(inner) != len(edges) - 2:
        raise ValueError("only the first and the last edge may be open")
    # The range a request falls in: how many inner edges it is at or after.
    if inner:
        bucket = case(*((ServiceRequest.received_at < e, i) for i, e in enumerate(inner)), else_=len(inner))
        groups = (bucket, response_key)
    else:
        bucket, groups = literal_column("0"), (response_key,)

    def met(done, due, breached, applies=None):
        on_time = and_(done.is_not(None), ~breached, or_(due.is_(None), done <= due))
        return func.sum(case((on_time if applies is None else and_(applies, on_time), 1), else_=0))

    def count(flag):
        return func.sum(case((flag, 1), else_=0))

    stmt = select(
        bucket,
        response_key,
        func.count(ServiceRequest.id),
        met(ServiceRequest.first_response_at, ServiceRequest.response_due_at, ServiceRequest.response_breached),
        count(ServiceRequest.response_breached),
        count(ServiceRequest.arrival_hours.is_not(None)),
        # a visit to a request with no arrival deadline (a consultation seen on site) meets no arrival obligation
        met(
            ServiceRequest.first_arrival_at,
            ServiceRequest.arrival_due_at,
            ServiceRequest.arrival_breached,
            applies=ServiceRequest.arrival_hours.is_not(None),
        ),
        count(ServiceRequest.arrival_breached),
        met(ServiceRequest.resolved_at, ServiceRequest.resolution_due_at, ServiceRequest.resolution_breached),
        count(ServiceRequest.resolution_breached),
    ).where(ServiceRequest.contract_id == contract.id)
    if edges[0] is not None:
        stmt = stmt.where(ServiceRequest.received_at >= edges[0])
    if edges[-1] is not None:
        stmt = stmt.where(ServiceRequest.received_at < edges[-1])
    rows = db.session.execute(stmt.group_by(*groups)).all()
    totals: list[dict[str, dict[str, int]]] = [{} for _e in edges[1:]]

    def add(at, key, applied, met_count, breached):
        entry = totals[at].setdefault(key, {"applied": 0, "met": 0, "breached": 0})
        entry["applied"] += int(applied or 0)
        entry["met"] += int(met_count or 0)
        entry["breached"] += int(breached or 0)

    for at, key, n, r_met, r_br, a_n, a_met, a_br, s_met, s_br in rows:
        add(at, key, n, r_met, r_br)
        add(at, "onsite_arrival", a_n, a_met, a_br)
        add(at, "resolution", n, s_met, s_br)
    return totals
