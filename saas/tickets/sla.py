"""SLA clocks of requests (§4.1, §2.1.2): due times on the calendar, pauses, and breaches with evidence (§8.1)."""

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from saas.core.clock import now
from saas.extensions import db
from saas.tickets.calendar_service import spec_for
from saas.tickets.calendars import ALWAYS, CalendarSpec, add_working_time, working_time_between
from saas.tickets.models import BreachKind, RequestEvent, RequestPause, ServiceCalendar, ServiceRequest, SlaBreach

#: The agreement's clause for each missed deadline.
BREACH_CLAUSES = {BreachKind.RESPONSE: "8.1.2", BreachKind.ARRIVAL: "8.1.1", BreachKind.RESOLUTION: "8.1.3"}
#: Requests the sweep handles per transaction.
SWEEP_CHUNK = 2000


def calendar_spec(calendar: ServiceCalendar | None) -> CalendarSpec:
    """The request's calendar as the arithmetic reads it; no calendar runs around the clock."""
    return spec_for(calendar) if calendar is not None else ALWAYS


def pauses_of(req: ServiceRequest) -> list[tuple[datetime, datetime | None]]:
    rows = db.session.execute(
        select(RequestPause.started_at, RequestPause.ended_at).where(RequestPause.request_id == req.id)
    ).all()
    return [(start, end) for start, end in rows]


def _due(spec, req, hours, pauses):
    return add_working_time(spec, req.received_at, timedelta(hours=hours), pauses) if hours is not None else None


def refresh_due(req: ServiceRequest, spec: CalendarSpec | None = None, pauses=None) -> None:
    """Compute the due times from the request's time, its targets, its calendar and its pauses."""
    spec = spec or calendar_spec(req.calendar if req.calendar_id else None)
    pauses = pauses_of(req) if pauses is None else pauses
    req.response_due_at = _due(spec, req, req.response_hours, pauses)
    req.arrival_due_at = _due(spec, req, req.arrival_hours, pauses)
    req.resolution_due_at = _due(spec, req, req.resolution_hours, pauses)
    req.next_due_at = next_due(req)


def next_due(req: ServiceRequest) -> datetime | None:
    """The earliest deadline still running: not met, not yet breached; None when closed or paused."""
    if not req.is_open:
        return None
    pending = []
    if req.first_response_at is None and not req.response_breached:
        pending.append(req.response_due_at)
    if req.arrival_hours is not None and req.first_arrival_at is None and not req.arrival_breached:
        pending.append(req.arrival_due_at)
    if req.resolved_at is None and not req.resolution_breached:
        pending.append(req.resolution_due_at)
    pending = [d for d in pending if d is not None]
    return min(pending) if pending else None


def start_pause(req: ServiceRequest, reason: str, at: datetime) -> None:
    """Stop the clocks (waiting on the client, or resolved until confirmed or reopened)."""
    db.session.add(RequestPause(tenant_id=req.tenant_id, client_id=req.client_id, request_id=req.id, reason=reason,
                                started_at=at))  # fmt: skip
    req.paused_since = at
    db.session.flush()


def end_pause(req: ServiceRequest, at: datetime) -> None:
    """Start the clocks again from where they stood."""
    still_open = (RequestPause.request_id == req.id, RequestPause.ended_at.is_(None))
    db.session.execute(update(RequestPause).where(*still_open).values(ended_at=at))
    req.paused_since = None


def working_time_left(req: ServiceRequest, due: datetime | None, spec: CalendarSpec, at: datetime) -> timedelta | None:
    """Working time between now and a due time (negative when overdue); None when there is no due time."""
    if due is None:
        return None
    if due <= at:
        return -(at - due)
    return working_time_between(spec, at, due)


def evidence(req: ServiceRequest, kind: str, due: datetime, met_at: datetime | None, pauses) -> dict:
    """What a breach record keeps to show how the deadline was computed (§8.1 evidence)."""
    calendar = req.calendar if req.calendar_id else None
    hours = {BreachKind.RESPONSE: req.response_hours, BreachKind.ARRIVAL: req.arrival_hours,
             BreachKind.RESOLUTION: req.resolution_hours}[kind]  # fmt: skip
    return {
        "request": req.number,
        "contract": req.contract.number if req.contract else None,
        "received_at": req.received_at.isoformat(),
        "target_hours": hours,
        "due_at": due.isoformat(),
        "met_at": met_at.isoformat() if met_at else None,
        "calendar": {"name": calendar.name, "timezone": calendar.timezone, "always": calendar.always}
        if calendar else {"name": "24x7", "timezone": "UTC", "always": True},
        "pauses": [[s.isoformat(), e.isoformat() if e else None] for s, e in pauses],
    }


def _insert_breaches(rows: list[dict]) -> None:
    """Insert breach records; one that exists already (same request and deadline) is left as it is."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(SlaBreach).on_conflict_do_nothing(index_elements=["request_id", "kind"]), rows)


def _breach_row(req: ServiceRequest, kind: str, due: datetime, met_at, detected: datetime, pauses) -> dict:
    return {"tenant_id": req.tenant_id, "client_id": req.client_id, "request_id": req.id,
            "contract_id": req.contract_id, "kind": kind, "clause": BREACH_CLAUSES[kind], "due_at": due,
            "met_at": met_at, "detected_at": detected,
            "evidence": evidence(req, kind, due, met_at, pauses)}  # fmt: skip


def record_breach_if_late(req: ServiceRequest, kind: str, met_at: datetime) -> bool:
    """A deadline met after its due time is a breach too, recorded at once (and never twice)."""
    due = {BreachKind.RESPONSE: req.response_due_at, BreachKind.ARRIVAL: req.arrival_due_at,
           BreachKind.RESOLUTION: req.resolution_due_at}[kind]  # fmt: skip
    if due is None or met_at <= due or getattr(req, f"{kind}_breached"):
        return False
    _insert_breaches([_breach_row(req, kind, due, met_at, now(), pauses_of(req))])
    setattr(req, f"{kind}_breached", True)
    _note_breach(req, kind, due)
    return True


def _note_breach(req: ServiceRequest, kind: str, due: datetime) -> None:
    _note_breaches([(req, kind, due)], now())


def _note_breaches(breached: list[tuple[ServiceRequest, str, datetime]], at: datetime) -> None:
    """One timeline line per breach, written in one statement; their e-mails go out after the commit."""
    if not breached:
        return
    rows = [{"tenant_id": req.tenant_id, "client_id": req.client_id, "request_id": req.id, "kind": "breach",
             "actor_id": None, "body": "", "internal": False, "from_status": "", "to_status": "", "created_at": at,
             "data": {"kind": kind, "clause": BREACH_CLAUSES[kind], "due_at": due.isoformat()}}
            for req, kind, due in breached]  # fmt: skip
    ids = db.session.scalars(insert(RequestEvent).returning(RequestEvent.id), rows).all()
    db.session.info.setdefault("request_events", []).extend(ids)


def overdue(req: ServiceRequest, at: datetime) -> list[str]:
    """The deadlines of an open request that passed unmet and are not yet recorded as breaches."""
    unmet = {
        BreachKind.RESPONSE: req.first_response_at is None,
        BreachKind.ARRIVAL: req.arrival_hours is not None and req.first_arrival_at is None,
        BreachKind.RESOLUTION: req.resolved_at is None,
    }
    return [kind for kind, still_unmet in unmet.items() if still_unmet and not getattr(req, f"{kind}_breached")
            and getattr(req, f"{kind}_due_at") is not None and getattr(req, f"{kind}_due_at") <= at]  # fmt: skip


def sweep(at: datetime | None = None) -> int:
    """Record every deadline that passed unmet (§8.1.2, §8.1.3), in chunks; running it twice records nothing twice."""
    at = at or now()
    recorded, last_id = 0, 0
    while True:
        ids = db.session.scalars(
            select(ServiceRequest.id)
            .where(ServiceRequest.is_open.is_(True), ServiceRequest.next_due_at <= at, ServiceRequest.id > last_id)
            .order_by(ServiceRequest.id)
            .limit(SWEEP_CHUNK)
        ).all()
        if not ids:
            return recorded
        recorded += _sweep_chunk(ids, at)
        db.session.commit()
        from saas.tickets.notify import dispatch

        dispatch()
        last_id = ids[-1]


def _sweep_chunk(ids: list[int], at: datetime) -> int:
    """Breaches of one chunk of requests: locked, checked, recorded in bulk, flags and next due updated."""
    stmt = select(ServiceRequest).where(ServiceRequest.id.in_(ids)).options(
        selectinload(ServiceRequest.calendar).selectinload(ServiceCalendar.days), selectinload(ServiceRequest.contract))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=ServiceRequest, skip_locked=True)  # a request being answered right now waits
    requests = db.session.scalars(stmt).all()
    pauses: dict[int, list] = {}
    for request_id, start, end in db.session.execute(
        select(RequestPause.request_id, RequestPause.started_at, RequestPause.ended_at)
        .where(RequestPause.request_id.in_(ids)).order_by(RequestPause.started_at)):  # fmt: skip
        pauses.setdefault(request_id, []).append((start, end))
    rows, breached = [], []
    for req in requests:
        for kind in overdue(req, at):
            due = getattr(req, f"{kind}_due_at")
            rows.append(_breach_row(req, kind, due, None, at, pauses.get(req.id, [])))
            setattr(req, f"{kind}_breached", True)
            breached.append((req, kind, due))
        req.next_due_at = next_due(req)
    _insert_breaches(rows)
    _note_breaches(breached, at)
    return len(rows)


def tenant_specs(tenant_id: int) -> dict[int | None, CalendarSpec]:
    """Every calendar of a tenant as the arithmetic reads it, by id (None: around the clock); two queries."""
    calendars = db.session.scalars(select(ServiceCalendar).options(selectinload(ServiceCalendar.days))
                                   .where(ServiceCalendar.tenant_id == tenant_id)).all()  # fmt: skip
    return {None: ALWAYS, **{c.id: spec_for(c) for c in calendars}}


def clock_state(req: ServiceRequest, specs: dict, at: datetime) -> dict:
    """What a screen shows of a request's clock: the next deadline, working time left, paused or breached."""
    due = req.next_due_at
    spec = specs.get(req.calendar_id, ALWAYS)
    left = working_time_left(req, due, spec, at)
    breached = req.response_breached or req.arrival_breached or req.resolution_breached
    return {"due": due, "left": left, "paused": req.paused_since is not None and req.is_open,
            "overdue": left is not None and left <= timedelta(0), "breached": breached,
            "soon": left is not None and timedelta(0) < left <= timedelta(hours=1)}  # fmt: skip
