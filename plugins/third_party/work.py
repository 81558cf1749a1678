"""A subcontractor's work on requests (Part 2 §4.3, §6.1, §8.2): the request given to it under its agreement, its
back-to-back clock toward the vendor, the breaches of that clock attributed to it, and who was responsible for each
minute of a request."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.third_party.agreements import covering
from plugins.third_party.models import Assignment, Breach, BreachEvidence, BreachKind, Member, SharedNote, Subcontractor
from plugins.third_party.services import NAME, FieldError, may_work_on
from saas.calendars.working_time import add_working_time, working_time_between
from saas.core import audit
from saas.core.bulk import insert_new
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.models import User
from saas.core.parsing import safe_content_type, safe_filename
from saas.core.tenancy import owned_by
from saas.extensions import db
from saas.requests import services as requests
from saas.requests import sla
from saas.requests.models import RequestEvent, RequestStatus, ServiceRequest

#: The clauses of Part 2 §6.1 each kind of breach falls under.
CLAUSES = {
    BreachKind.BELOW_STANDARD: "6.1.1",
    BreachKind.RESPONSE: "6.1.2",
    BreachKind.RESOLUTION: "6.1.3",
    BreachKind.INFRINGEMENT: "6.1.4",
}
BREACH_LABELS = {
    BreachKind.BELOW_STANDARD: _l("Service below the agreed standard (Part 2 §6.1.1)"),
    BreachKind.RESPONSE: _l("Late to answer toward the vendor (Part 2 §6.1.2)"),
    BreachKind.RESOLUTION: _l("Late to resolve toward the vendor (Part 2 §6.1.3)"),
    BreachKind.INFRINGEMENT: _l("Infringed others' rights (Part 2 §6.1.4)"),
}
#: Breaches recorded by hand, with their evidence.
MANUAL_KINDS = (BreachKind.BELOW_STANDARD, BreachKind.INFRINGEMENT)
#: Pauses of a request's clock that are the client's (it owes an answer or materials); "resolved" is nobody's.
NOBODY_PAUSES = ("resolved",)
SWEEP_CHUNK = 500
MAX_FILES, MAX_FILE_BYTES = 5, 10 * 1024 * 1024


def breach_label(kind: str) -> str:
    return str(BREACH_LABELS.get(kind, kind))


def current(req: ServiceRequest) -> Assignment | None:
    """The subcontractor holding the request now, if any."""
    return db.session.scalar(
        select(Assignment).where(Assignment.request_id == req.id, Assignment.released_at.is_(None))
    )


def assignments_of(req: ServiceRequest) -> list[Assignment]:
    return db.session.scalars(
        select(Assignment).where(Assignment.request_id == req.id).order_by(Assignment.assigned_at, Assignment.id)
    ).all()


def assign(req: ServiceRequest, subcontractor: Subcontractor | None, actor: User | None, rule: str = "") -> Assignment:
    """Give an open request to a subcontractor under its agreement in force that covers it (Part 2 §4.3); its
    back-to-back clock runs from now. Whoever held it before lets it go; `rule` names what gave it (a transfer)."""
    if subcontractor is None or not owned_by(subcontractor, req.tenant_id):
        raise FieldError(_("Choose one of your subcontractors."), "subcontractor_id")
    if not req.is_open:
        raise ServiceError(_("This request is no longer open."))
    held = current(req)
    if held is not None and held.subcontractor_id == subcontractor.id:
        raise ServiceError(_("%(name)s holds this request already.", name=subcontractor.legal_name))
    if not subcontractor.active:
        raise FieldError(
            _("%(name)s is suspended: it takes no work until it is reinstated.", name=subcontractor.legal_name),
            "subcontractor_id",
        )
    if not may_work_on(req.contract, subcontractor):  # approval never given or withdrawn (Part 2 §4.1)
        raise FieldError(
            _(
                "%(name)s is not approved by the client for this agreement (Part 2 §4.1).",
                name=subcontractor.legal_name,
            ),
            "subcontractor_id",
        )
    agreement = covering(req, subcontractor, local_today(req.contract.tenant))
    if agreement is None:
        raise FieldError(
            _(
                "%(name)s has no third-party agreement in force that covers this request (annex 6): attach one "
                "for its agreement and service first.",
                name=subcontractor.legal_name,
            ),
            "subcontractor_id",
        )
    at = now()
    if held is not None:
        _release(held, at)
    assignment = Assignment(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        subcontractor_id=subcontractor.id,
        agreement_id=agreement.id,
        assigned_at=at,
        assigned_by_id=actor.id if actor else None,
        response_hours=agreement.response_hours,
        resolution_hours=agreement.resolution_hours,
    )
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError:  # someone gave it to another subcontractor at the same moment
        raise ServiceError(_("The request was given to a subcontractor at the same moment; look again.")) from None
    requests.add_event(
        req,
        "assigned",
        actor,
        body=subcontractor.legal_name,
        internal=True,
        data={"subcontractor_id": subcontractor.id, "agreement": agreement.number, "rule": rule},
    )
    audit.record(
        f"{NAME}.request_assigned",
        tenant_id=req.tenant_id,
        target=assignment,
        actor=actor,
        request=req.reference,
        subcontractor=subcontractor.legal_name,
    )
    return assignment


def _release(assignment: Assignment, at: datetime) -> None:
    assignment.released_at = at
    db.session.flush()


def release(req: ServiceRequest, actor: User) -> bool:
    """The vendor takes the request back from the subcontractor; its back-to-back clock stops there."""
    held = current(req)
    if held is None:
        return False
    _release(held, now())
    requests.add_event(
        req, "assigned", actor, body="", internal=True, data={"subcontractor_id": None, "released": held.id}
    )
    audit.record(f"{NAME}.request_released", tenant_id=req.tenant_id, target=held, actor=actor, request=req.reference)
    return True


# --- the back-to-back clock ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """An assignment's back-to-back targets: when each falls due (None: paused, waiting on the client)."""

    response_due_at: datetime | None
    resolution_due_at: datetime | None


def _waits_after(req: ServiceRequest, start: datetime) -> list[tuple[datetime, datetime | None]]:
    """The request's waits on the client from `start` on. Its resolution is no wait: the clock is judged there."""
    return [
        (max(s, start), e)
        for s, e, reason in _pauses_with_reasons(req)
        if reason not in NOBODY_PAUSES and (e is None or e > start)
    ]


def clock_of(assignment: Assignment, req: ServiceRequest) -> Clock:
    """The back-to-back due times: its hours of working time on the request's calendar from the assignment, not
    counting the time the request waited on the client (as the vendor's own clock does not)."""
    spec = sla.calendar_spec(req.calendar)
    waits = _waits_after(req, assignment.assigned_at)
    response = add_working_time(spec, assignment.assigned_at, timedelta(hours=assignment.response_hours), waits)
    resolution = add_working_time(spec, assignment.assigned_at, timedelta(hours=assignment.resolution_hours), waits)
    return Clock(response, resolution)


def note_response(req: ServiceRequest, user: User, at: datetime) -> None:
    """The subcontractor answered (a reply, an acknowledgement, an arrival): its response clock stops."""
    held = current(req)
    if held is not None and held.responded_at is None:
        held.responded_at = at
        db.session.flush()


def _settle(assignment: Assignment, req: ServiceRequest, at: datetime) -> list[dict]:
    """Judge the assignment's targets that can be judged now; the breach rows for those missed."""
    rows = []
    # assignment.resolved_at is the subcontractor's own resolution (resolve below); one by the vendor's people is
    # not the subcontractor's to be credited with: it stops the clock only
    clock = clock_of(assignment, req)
    # Its clock stops when it lets the request go, or when the request is resolved or closed by anyone: a target not
    # yet due then is not judged at all (and so counts neither as met nor as missed).
    stop = min((t for t in (assignment.released_at, req.resolved_at, req.closed_at) if t is not None), default=None)
    for kind, met, due, flag in (
        (BreachKind.RESPONSE, assignment.responded_at, clock.response_due_at, "response_settled"),
        (BreachKind.RESOLUTION, assignment.resolved_at, clock.resolution_due_at, "resolution_settled"),
    ):
        if getattr(assignment, flag):
            continue
        if met is not None:  # answered or resolved: late or not, it is judged
            setattr(assignment, flag, True)
            if due is not None and met > due:
                rows.append(_breach_row(assignment, req, kind, due, met, at))
        elif due is not None and due <= (stop or at):  # the time ran out while it held the request
            setattr(assignment, flag, True)
            rows.append(_breach_row(assignment, req, kind, due, None, at))
        elif stop is not None:  # taken back, resolved or closed before it fell due: nothing to judge
            setattr(assignment, flag, True)
    return rows


def _after_change(contract_id: int, subcontractor_id: int, when: datetime) -> dict:
    """Part 2 §9.3: the breach follows a change agreement raised because of this subcontractor; named in evidence."""
    from plugins.third_party.tp_changes import signed_change_before

    change = signed_change_before(contract_id, subcontractor_id, when)
    return {"after_change": change.number, "clause_9_3": True} if change is not None else {}


def _breach_row(assignment, req, kind, due, met, at) -> dict:
    return {
        "tenant_id": assignment.tenant_id,
        "client_id": assignment.client_id,
        "subcontractor_id": assignment.subcontractor_id,
        "contract_id": req.contract_id,
        "request_id": req.id,
        "assignment_id": assignment.id,
        "kind": kind,
        "clause": CLAUSES[kind],
        "due_at": due,
        "met_at": met,
        "detected_at": at,
        "description": "",
        "evidence": {
            "request": req.reference,
            "agreement": assignment.agreement.number,
            "assigned_at": assignment.assigned_at.isoformat(),
            "hours": assignment.response_hours if kind == BreachKind.RESPONSE else assignment.resolution_hours,
            "due_at": due.isoformat(),
            "met_at": met.isoformat() if met else None,
            "late_minutes": int(((met or at) - due).total_seconds() // 60),
            **_after_change(req.contract_id, assignment.subcontractor_id, due),
        },
    }


def sweep_tenant(tenant_id: int, at: datetime | None = None) -> int:
    """Judge every unsettled assignment of a tenant: a target missed is a third-party breach (Part 2 §6.1.2,
    §6.1.3), recorded once however often this runs. Returns the breaches recorded."""
    at = at or now()
    recorded = 0
    last_id = 0
    while True:
        chunk = db.session.scalars(
            select(Assignment)
            .where(
                Assignment.tenant_id == tenant_id,
                Assignment.id > last_id,
                ~(Assignment.response_settled & Assignment.resolution_settled),
            )
            .order_by(Assignment.id)
            .limit(SWEEP_CHUNK)
        ).all()
        if not chunk:
            return recorded
        last_id = chunk[-1].id
        reqs = {
            r.id: r
            for r in db.session.scalars(
                select(ServiceRequest).where(ServiceRequest.id.in_([a.request_id for a in chunk]))
            )
        }
        rows = []
        for assignment in chunk:
            rows += _settle(assignment, reqs[assignment.request_id], at)
        db.session.flush()
        if rows:
            recorded += len(insert_new(Breach, rows, ("assignment_id", "kind"), ("id",)))
        db.session.commit()


def record_breach(
    subcontractor: Subcontractor,
    req: ServiceRequest | None,
    kind: str,
    description: str,
    happened_on: date | None,
    files: list[tuple[str, str, bytes]],
    actor: User,
    contract=None,
) -> Breach:
    """Record by hand a service of the subcontractor below the standard (Part 2 §6.1.1) or its infringement of
    others' rights (§6.1.4), with its evidence; append-only."""
    if kind not in MANUAL_KINDS:
        raise FieldError(_("Choose what the subcontractor did."), "kind")
    description = (description or "").strip()
    if not description:
        raise FieldError(_("Say what happened."), "description")
    if req is not None and not db.session.scalar(
        select(Assignment.id).where(Assignment.request_id == req.id, Assignment.subcontractor_id == subcontractor.id)
    ):
        raise FieldError(_("This request was never given to this subcontractor."), "description")
    contract = req.contract if req is not None else contract
    if contract is None:
        raise FieldError(_("Choose the request or agreement it concerns."), "request")
    tenant = contract.tenant
    if len(files) > MAX_FILES:
        raise FieldError(_("At most %(count)d files of evidence.", count=MAX_FILES), "evidence")
    if any(len(content) > MAX_FILE_BYTES for _name, _type, content in files):
        raise FieldError(_("Files may be at most 10 MB."), "evidence")
    if happened_on is None or happened_on > local_today(tenant):
        raise FieldError(_("A breach is recorded once it happened: the day cannot be after today."), "happened_on")
    at = datetime.combine(happened_on, time(12), ZoneInfo(tenant.timezone)).astimezone(now().tzinfo)
    evidence = {
        "request": req.reference if req is not None else None,
        "contract": contract.number,
        "happened_on": happened_on.isoformat(),
        "recorded_by": actor.name,
        "files": [
            {"name": safe_filename(name), "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, _type, content in files
        ],
        **_after_change(contract.id, subcontractor.id, at),
    }
    breach = Breach(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        subcontractor_id=subcontractor.id,
        contract_id=contract.id,
        request_id=req.id if req is not None else None,
        kind=kind,
        clause=CLAUSES[kind],
        due_at=at,
        detected_at=now(),
        description=description,
        evidence=evidence,
        recorded_by_id=actor.id,
    )
    db.session.add(breach)
    db.session.flush()
    for name, content_type, content in files:
        db.session.add(
            BreachEvidence(
                tenant_id=breach.tenant_id,
                client_id=breach.client_id,
                breach_id=breach.id,
                filename=safe_filename(name),
                content_type=safe_content_type(content_type),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                data=content,
                created_at=now(),
            )
        )
    db.session.flush()
    audit.record(
        f"{NAME}.breach_recorded",
        tenant_id=contract.tenant_id,
        target=breach,
        actor=actor,
        subcontractor=subcontractor.legal_name,
        clause=breach.clause,
    )
    return breach


def breaches_of(subcontractor: Subcontractor | None = None, req: ServiceRequest | None = None) -> list[Breach]:
    stmt = select(Breach).order_by(Breach.detected_at.desc(), Breach.id.desc())
    if subcontractor is not None:
        stmt = stmt.where(Breach.subcontractor_id == subcontractor.id)
    if req is not None:
        stmt = stmt.where(Breach.request_id == req.id)
    return db.session.scalars(stmt.limit(200)).all()


# --- who was responsible for each minute (Part 2 §6.1) ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    party: str  # "vendor", "third_party" or "client"
    subcontractor_id: int | None
    minutes: int


def split(req: ServiceRequest, at: datetime | None = None) -> tuple[list[Segment], dict]:
    """Every working minute of the request's clock, from its receipt to its resolution (or now), attributed to one
    party: the client while it waited on the client, a subcontractor while one held it, otherwise the vendor. The
    totals are keyed "vendor", "client" and each subcontractor's id. Toward the client the vendor answers for all
    of it (Part 2 §8.3); this is the vendor's own account of who did what."""
    at = at or now()
    end = req.resolved_at or req.closed_at or at
    spec = sla.calendar_spec(req.calendar)
    pauses = [(s, e or end, reason) for s, e, reason in _pauses_with_reasons(req)]
    held = [(a.assigned_at, a.released_at or end, a.subcontractor_id) for a in assignments_of(req)]
    cuts = {req.received_at, end}
    for s, e, _reason in pauses:
        cuts.update({s, e})
    for s, e, _sub in held:
        cuts.update({s, e})
    points = sorted(c for c in cuts if req.received_at <= c <= end)
    segments: list[Segment] = []
    for start, stop in zip(points, points[1:], strict=False):
        middle = start + (stop - start) / 2
        reason = next((r for s, e, r in pauses if s <= middle < e), None)
        if reason in NOBODY_PAUSES:
            continue
        if reason is not None:
            party, sub = "client", None
        else:
            sub = next((s_id for s, e, s_id in held if s <= middle < e), None)
            party = "third_party" if sub is not None else "vendor"
        minutes = int(working_time_between(spec, start, stop).total_seconds() // 60)
        if minutes == 0:
            continue  # outside the calendar's working time: nobody's clock ran
        if segments and segments[-1].party == party and segments[-1].subcontractor_id == sub:
            last = segments.pop()
            segments.append(Segment(last.start, stop, party, sub, last.minutes + minutes))
        else:
            segments.append(Segment(start, stop, party, sub, minutes))
    totals: dict = {"vendor": 0, "client": 0}
    for seg in segments:
        key = seg.subcontractor_id if seg.party == "third_party" else seg.party
        totals[key] = totals.get(key, 0) + seg.minutes
    return segments, totals


def _pauses_with_reasons(req: ServiceRequest) -> list[tuple[datetime, datetime | None, str]]:
    from saas.requests.models import RequestPause

    return [
        tuple(row)
        for row in db.session.execute(
            select(RequestPause.started_at, RequestPause.ended_at, RequestPause.reason)
            .where(RequestPause.request_id == req.id)
            .order_by(RequestPause.started_at)
        ).all()
    ]


# --- what a subcontractor's people see and do (Part 2 §8.2) ----------------------------------------------------


def queue(subcontractor: Subcontractor, *, done: bool = False, after: int | None = None, limit: int = 25):
    """The subcontractor's requests: those it holds (open first by due time) or those it held before; keyset pages
    on the assignment."""
    stmt = (
        select(Assignment, ServiceRequest)
        .join(ServiceRequest, ServiceRequest.id == Assignment.request_id)
        .where(Assignment.subcontractor_id == subcontractor.id, Assignment.tenant_id == subcontractor.tenant_id)
    )
    if done:
        stmt = stmt.where((Assignment.released_at.is_not(None)) | (ServiceRequest.is_open.is_(False)))
    else:
        stmt = stmt.where(Assignment.released_at.is_(None), ServiceRequest.is_open.is_(True))
    if after:
        stmt = stmt.where(Assignment.id < after)
    rows = db.session.execute(stmt.order_by(Assignment.id.desc()).limit(limit + 1)).all()
    return [tuple(r) for r in rows[:limit]], (rows[limit - 1][0].id if len(rows) > limit else None)


def open_count(subcontractor: Subcontractor) -> int:
    """How many open requests the subcontractor holds now."""
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count(Assignment.id))
            .join(ServiceRequest, ServiceRequest.id == Assignment.request_id)
            .where(
                Assignment.subcontractor_id == subcontractor.id,
                Assignment.released_at.is_(None),
                ServiceRequest.is_open.is_(True),
            )
        )
        or 0
    )


def held_by(req: ServiceRequest, member: Member | None) -> Assignment | None:
    """The assignment under which this person's subcontractor holds the request now (None: not theirs to act on)."""
    if member is None:
        return None
    held = current(req)
    return held if held is not None and held.subcontractor_id == member.subcontractor_id else None


def ever_held_by(req: ServiceRequest, member: Member | None) -> bool:
    """Whether this person's subcontractor holds or once held the request (what it may read)."""
    return member is not None and readable_until(req, member) is not False


def readable_until(req: ServiceRequest, member: Member) -> datetime | None | bool:
    """Up to when this person's subcontractor may read the request: None while it holds it (everything), the moment
    it last let it go (nothing written after: another subcontractor's work is not its business), False never."""
    spans = (
        db.session.execute(
            select(Assignment.released_at).where(
                Assignment.request_id == req.id, Assignment.subcontractor_id == member.subcontractor_id
            )
        )
        .scalars()
        .all()
    )
    if not spans:
        return False
    if any(released is None for released in spans):
        return None
    return max(spans)


def require_holder(req: ServiceRequest, member: Member | None) -> Assignment:
    """The assignment under which this person may act on the request: its company holds it, is not suspended, its
    approval for the client's agreement still stands, and the annex 6 agreement it holds it under is in force (Part 2
    §4.1, §4.2, §8.2)."""
    from plugins.third_party.agreements import in_force

    held = held_by(req, member)
    if held is None:
        raise ServiceError(_("This request is not assigned to your company; you cannot act on it."))
    if not held.subcontractor.active or not in_force(held.agreement, local_today(req.contract.tenant)):
        raise ServiceError(
            _("Your company's agreement for this work is suspended or has ended; the vendor's team takes it over.")
        )
    if not may_work_on(req.contract, held.subcontractor):  # Part 2 §4.1: the approval withdrawn since
        raise ServiceError(
            _(
                "Your company is no longer approved to work on this agreement; the vendor's team takes this "
                "request over."
            )
        )
    return held


def timeline_for(req: ServiceRequest, member: Member) -> list[RequestEvent]:
    """What the subcontractor reads of the request's history: what both parties see, and the internal notes shared
    with it, never the vendor's other notes."""
    shared = set(
        db.session.scalars(
            select(SharedNote.event_id).where(
                SharedNote.subcontractor_id == member.subcontractor_id,
                SharedNote.event_id.in_(select(RequestEvent.id).where(RequestEvent.request_id == req.id)),
            )
        )
    )
    until = readable_until(req, member)
    return [
        e
        for e in requests.timeline(req, include_internal=True)
        if (not e.internal or e.id in shared) and (until is None or e.created_at <= until)
    ]


def share_note(event: RequestEvent, actor: User) -> bool:
    """Show an internal note to the subcontractor holding the request (Part 2 §8.2)."""
    req = db.session.get(ServiceRequest, event.request_id)
    held = current(req)
    if held is None:
        raise ServiceError(_("No subcontractor holds this request."))
    if not event.internal or event.kind != "note":
        raise ServiceError(_("Only internal notes are shared; replies are seen by everyone already."))
    try:
        with db.session.begin_nested():
            db.session.add(
                SharedNote(
                    tenant_id=event.tenant_id,
                    client_id=event.client_id,
                    event_id=event.id,
                    subcontractor_id=held.subcontractor_id,
                    shared_by_id=actor.id,
                    shared_at=now(),
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


def shared_ids(req: ServiceRequest) -> set[int]:
    return set(
        db.session.scalars(
            select(SharedNote.event_id).where(
                SharedNote.event_id.in_(select(RequestEvent.id).where(RequestEvent.request_id == req.id))
            )
        )
    )


def acknowledge(req: ServiceRequest, member: Member, user: User) -> None:
    """The subcontractor takes the request in hand: its first answer, on both clocks."""
    require_holder(req, member)
    if req.status != RequestStatus.NEW:
        raise ServiceError(_("This request was acknowledged already."))
    requests.change_status(req, RequestStatus.ACKNOWLEDGED, user, by_client=False)
    note_response(req, user, now())


def reply(req: ServiceRequest, member: Member, user: User, body: str, files) -> RequestEvent:
    """A reply to the client from the subcontractor's person, with files; it answers on both clocks."""
    require_holder(req, member)
    event = requests.reply(req, user, body, by_client=False, files=files)
    note_response(req, user, event.created_at)
    return event


def record_visit(req: ServiceRequest, member: Member, user: User, arrived_at: datetime, departed_at, note: str):
    """The subcontractor's engineer on site (§2.1.2): arrival and departure drive the request's arrival clock."""
    require_holder(req, member)
    if any(v.departed_at is None and v.recorded_by_id == user.id for v in requests.visits(req)):
        raise ServiceError(_("You are on site already; record your departure first."))
    visit = requests.record_visit(req, user, None, arrived_at, departed_at, note)
    note_response(req, user, arrived_at)
    return visit


def resolve(req: ServiceRequest, member: Member, user: User, note: str) -> None:
    """The subcontractor resolves the request; the client confirms it as with the vendor's own engineers."""
    require_holder(req, member)
    if not (note or "").strip():
        raise FieldError(_("Say how it was resolved."), "resolution")
    requests.change_status(req, RequestStatus.RESOLVED, user, by_client=False, note=note)
    note_response(req, user, now())
    held = current(req)
    if held is not None and held.resolved_at is None:
        held.resolved_at = req.resolved_at
        db.session.flush()


def _tally(assignment_filter, breach_filter) -> dict[str, dict[str, int]]:
    """How often the back-to-back targets were judged, met and missed: a target counts once it was met (answered or
    resolved while held) or missed (its breach); one let go, resolved or closed by others before it fell due counts
    for neither."""
    from sqlalchemy import func

    met_in_time = {}
    for kind, met_column, flag in (
        (BreachKind.RESPONSE, Assignment.responded_at, Assignment.response_settled),
        (BreachKind.RESOLUTION, Assignment.resolved_at, Assignment.resolution_settled),
    ):
        late = select(Breach.assignment_id).where(Breach.kind == kind, Breach.assignment_id.is_not(None))
        met_in_time[kind] = db.session.scalar(
            select(func.count(Assignment.id)).where(
                assignment_filter, flag.is_(True), met_column.is_not(None), Assignment.id.not_in(late)
            )
        )
    missed = dict(
        db.session.execute(select(Breach.kind, func.count(Breach.id)).where(breach_filter).group_by(Breach.kind)).all()
    )
    rows = {
        kind: {
            "applied": met_in_time[kind] + missed.get(kind, 0),
            "met": met_in_time[kind],
            "breached": missed.get(kind, 0),
        }
        for kind in (BreachKind.RESPONSE, BreachKind.RESOLUTION)
    }
    rows["by_hand"] = {
        "applied": None,
        "met": None,
        "breached": missed.get(BreachKind.BELOW_STANDARD, 0) + missed.get(BreachKind.INFRINGEMENT, 0),
    }
    return rows


def performance(subcontractor: Subcontractor) -> dict:
    """The subcontractor's record on its back-to-back targets: requests held, answered and resolved in time."""
    from sqlalchemy import func

    tally = _tally(Assignment.subcontractor_id == subcontractor.id, Breach.subcontractor_id == subcontractor.id)

    def share(row):
        return round(100 * row["met"] / row["applied"]) if row["applied"] else None

    held = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.subcontractor_id == subcontractor.id))
    return {
        "held": held or 0,
        "open": open_count(subcontractor),
        "response_met": share(tally[BreachKind.RESPONSE]),
        "resolution_met": share(tally[BreachKind.RESOLUTION]),
        "breaches": db.session.scalar(select(func.count(Breach.id)).where(Breach.subcontractor_id == subcontractor.id))
        or 0,
    }


def breach_files(breach: Breach) -> list[BreachEvidence]:
    return db.session.scalars(
        select(BreachEvidence).where(BreachEvidence.breach_id == breach.id).order_by(BreachEvidence.id)
    ).all()


def obligation_counts(contract) -> dict[str, dict[str, int]]:
    """Per Part 2 clause, on one agreement: how often the subcontractors' back-to-back targets were judged, met and
    breached, and the breaches recorded by hand (for the compliance view)."""
    on_contract = Assignment.request_id.in_(select(ServiceRequest.id).where(ServiceRequest.contract_id == contract.id))
    tally = _tally(on_contract, Breach.contract_id == contract.id)
    return {
        "response": tally[BreachKind.RESPONSE],
        "resolution": tally[BreachKind.RESOLUTION],
        "by_hand": tally["by_hand"],
    }
