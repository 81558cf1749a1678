"""SLA clocks of requests (§4.1, §2.1.2): due times on the calendar, pauses, and breaches with evidence (§8.1)."""

import json
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from saas.calendars.models import CalendarDay, ServiceCalendar
from saas.calendars.services import spec_for
from saas.calendars.working_time import ALWAYS, CalendarSpec, add_working_time, working_intervals, working_time_between
from saas.core import events
from saas.core.bulk import insert_many, insert_new
from saas.core.clock import now
from saas.core.outbox import send_after_commit
from saas.extensions import db
from saas.requests.models import BreachKind, RequestEvent, RequestPause, ServiceRequest, SlaBreach
from saas.requests.notifications import send_request_mail

#: The agreement's clause for each missed deadline.
BREACH_CLAUSES = {
    BreachKind.RESPONSE: "8.1.2",
    BreachKind.ARRIVAL: "8.1.1",
    BreachKind.RESOLUTION: "8.1.3",
    BreachKind.NOT_FIXED: "8.1.1",
    BreachKind.BELOW_STANDARD: "8.1.1",
}
#: A resolution the client rejects this many times is a service below the agreed standard (§8.1.1).
REJECTIONS_FOR_BREACH = 2
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
    met = {"response": req.first_response_at, "arrival": req.first_arrival_at, "resolution": req.resolved_at}
    for kind, hours in (
        ("response", req.response_hours),
        ("arrival", req.arrival_hours),
        ("resolution", req.resolution_hours),
    ):
        # A deadline already met keeps the due time it was measured against; pauses after it change nothing.
        if met[kind] is None or getattr(req, f"{kind}_due_at") is None:
            setattr(req, f"{kind}_due_at", _due(spec, req, hours, pauses))
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


def start_pause(req: ServiceRequest, reason: str, at: datetime) -> RequestPause:
    """Stop the clocks (waiting on the client, resolved until confirmed or reopened, materials awaited)."""
    pause = RequestPause(
        tenant_id=req.tenant_id, client_id=req.client_id, request_id=req.id, reason=reason, started_at=at
    )
    db.session.add(pause)
    # Pauses overlap (waiting on the client while materials are awaited): the clocks stand still from the first.
    req.paused_since = min(req.paused_since, at) if req.paused_since else at
    db.session.flush()
    return pause


def end_pause(req: ServiceRequest, at: datetime, *, reasons=None, pause_id: int | None = None) -> None:
    """Start the clocks again from where they stood, unless another pause still holds them.

    Ends the request's open pauses, or only those for `reasons`, or only the pause `pause_id`: each stretch is
    its own row, and the working-time arithmetic cuts out their union, so a pause still open keeps the clocks
    still whatever else ends."""
    still_open = [RequestPause.request_id == req.id, RequestPause.ended_at.is_(None)]
    ending = list(still_open)
    if reasons is not None:
        ending.append(RequestPause.reason.in_(list(reasons)))
    if pause_id is not None:
        ending.append(RequestPause.id == pause_id)
    db.session.execute(update(RequestPause).where(*ending).values(ended_at=at))
    req.paused_since = db.session.scalar(select(func.min(RequestPause.started_at)).where(*still_open))


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
    hours = {
        BreachKind.RESPONSE: req.response_hours,
        BreachKind.ARRIVAL: req.arrival_hours,
        BreachKind.RESOLUTION: req.resolution_hours,
    }[kind]
    return {
        "request": req.number,
        "contract": req.contract.number if req.contract else None,
        "received_at": req.received_at.isoformat(),
        "target_hours": hours,
        "due_at": due.isoformat(),
        "met_at": met_at.isoformat() if met_at else None,
        "calendar": {"name": calendar.name, "timezone": calendar.timezone, "always": calendar.always}
        if calendar
        else {"name": "24x7", "timezone": "UTC", "always": True},
        "pauses": [[s.isoformat(), e.isoformat() if e else None] for s, e in pauses],
    }


def _insert_breaches(rows: list[dict]) -> set[tuple[int, str]]:
    """Insert breach records; one that exists already (same request and deadline) is left as it is.

    Returns the (request, kind) pairs actually inserted: only those get a timeline line and a mail, so a
    late answer racing the sweep never tells of the same breach twice.
    """
    return {(r.request_id, r.kind) for r in insert_new(SlaBreach, rows, ("request_id", "kind"), ("request_id", "kind"))}


def _breach_row(req: ServiceRequest, kind: str, due: datetime, met_at, detected: datetime, pauses) -> dict:
    return {
        "tenant_id": req.tenant_id,
        "client_id": req.client_id,
        "request_id": req.id,
        "contract_id": req.contract_id,
        "kind": kind,
        "clause": BREACH_CLAUSES[kind],
        "due_at": due,
        "met_at": met_at,
        "detected_at": detected,
        "evidence": evidence(req, kind, due, met_at, pauses),
    }


def record_breach_if_late(req: ServiceRequest, kind: str, met_at: datetime | None, at: datetime | None = None) -> bool:
    """A deadline met after its due time (or passed unmet, met_at None) is a breach, recorded once."""
    at = at or now()
    due = {
        BreachKind.RESPONSE: req.response_due_at,
        BreachKind.ARRIVAL: req.arrival_due_at,
        BreachKind.RESOLUTION: req.resolution_due_at,
    }[kind]
    if due is None or (met_at or at) <= due or getattr(req, f"{kind}_breached"):
        return False
    inserted = _insert_breaches([_breach_row(req, kind, due, met_at, at, pauses_of(req))])
    setattr(req, f"{kind}_breached", True)
    if inserted:
        _note_breach(req, kind, due)
    return bool(inserted)


def record_not_fixed(req: ServiceRequest, rejected_at: list[datetime]) -> bool:
    """The client rejected the vendor's resolution REJECTIONS_FOR_BREACH times: a service below the agreed standard
    (§8.1.1), recorded once per request with the rejections as its evidence."""
    if len(rejected_at) < REJECTIONS_FOR_BREACH:
        return False
    at = rejected_at[-1]
    row = {
        "tenant_id": req.tenant_id,
        "client_id": req.client_id,
        "request_id": req.id,
        "contract_id": req.contract_id,
        "kind": BreachKind.NOT_FIXED,
        "clause": BREACH_CLAUSES[BreachKind.NOT_FIXED],
        "due_at": at,
        "met_at": None,
        "detected_at": at,
        "evidence": {
            "request": req.number,
            "contract": req.contract.number if req.contract else None,
            "received_at": req.received_at.isoformat(),
            "rejected_at": [moment.isoformat() for moment in rejected_at],
        },
    }
    inserted = _insert_breaches([row])
    if inserted:
        _note_breach(req, BreachKind.NOT_FIXED, at)
    return bool(inserted)


def record_overdue(req: ServiceRequest, at: datetime) -> None:
    """Before a request leaves the open queue, record the deadlines that already passed unmet (§8.1)."""
    for kind in overdue(req, at):
        record_breach_if_late(req, kind, None, at)


def _note_breach(req: ServiceRequest, kind: str, due: datetime) -> None:
    _note_breaches([(req, kind, due)], now())


def _note_breaches(breached: list[tuple[ServiceRequest, str, datetime]], at: datetime) -> None:
    """One timeline line per breach, written in one statement; their e-mails go out after the commit."""
    if not breached:
        return
    rows = [
        {
            "tenant_id": req.tenant_id,
            "client_id": req.client_id,
            "request_id": req.id,
            "kind": "breach",
            "actor_id": None,
            "body": "",
            "internal": False,
            "from_status": "",
            "to_status": "",
            "created_at": at,
            # a rejected resolution has no deadline to tell of: its mail says what happened, not when it was due
            "data": {"kind": kind, "clause": BREACH_CLAUSES[kind]}
            | ({} if kind == BreachKind.NOT_FIXED else {"due_at": due.isoformat()}),
        }
        for req, kind, due in breached
    ]
    if db.session.get_bind().dialect.name == "postgresql":
        ids = insert_many(RequestEvent, rows, "RETURNING id").scalars().all()
    else:
        ids = db.session.scalars(insert(RequestEvent).returning(RequestEvent.id), rows).all()
    send_after_commit(send_request_mail, ids, key="request-mail")
    _publish_breaches(breached, at)


def _publish_breaches(breached: list[tuple[ServiceRequest, str, datetime]], at: datetime) -> None:
    """One `breach.recorded` webhook event per breach, for the endpoints of each request's tenant."""
    by_tenant: dict[int, list[dict]] = {}
    for req, kind, due in breached:
        by_tenant.setdefault(req.tenant_id, []).append(
            {
                "breach": {
                    "kind": kind,
                    "clause": BREACH_CLAUSES[kind],
                    "due_at": due.isoformat(),
                    "detected_at": at.isoformat(),
                },
                "request": {
                    "id": req.id,
                    "number": req.number,
                    "reference": req.reference,
                    "client_id": req.client_id,
                    "contract_id": req.contract_id,
                    "subject": req.subject,
                    "priority": req.priority,
                    "status": req.status,
                },
            }
        )
    for tenant_id, items in by_tenant.items():
        events.publish_many(tenant_id, "breach.recorded", items)


def overdue(req: ServiceRequest, at: datetime) -> list[str]:
    """The deadlines of an open request that passed unmet and are not yet recorded as breaches."""
    unmet = {
        BreachKind.RESPONSE: req.first_response_at is None,
        BreachKind.ARRIVAL: req.arrival_hours is not None and req.first_arrival_at is None,
        BreachKind.RESOLUTION: req.resolved_at is None,
    }
    return [
        kind
        for kind, still_unmet in unmet.items()
        if still_unmet
        and not getattr(req, f"{kind}_breached")
        and getattr(req, f"{kind}_due_at") is not None
        and getattr(req, f"{kind}_due_at") <= at
    ]


def sweep(at: datetime | None = None) -> int:
    """Record every deadline that passed unmet (§8.1.2, §8.1.3), in chunks; running it twice records nothing twice."""
    at = at or now()
    # Every due id at once, through the partial index ix_service_request_sweep: that needs the bare `is_open`
    # (PostgreSQL does not read `is_open IS true` as its predicate), and no ORDER BY id … LIMIT, with which
    # the planner walked the primary key, up to 1,000,000 rows and 0.3–0.7 s per chunk (bench/requests.py).
    due = sorted(
        db.session.scalars(select(ServiceRequest.id).where(ServiceRequest.is_open, ServiceRequest.next_due_at <= at))
    )
    recorded = 0
    for start in range(0, len(due), SWEEP_CHUNK):
        recorded += _sweep_chunk(due[start : start + SWEEP_CHUNK], at)
        db.session.commit()  # and the breach mail goes out (saas/core/outbox.py)
    return recorded


def _sweep_chunk(ids: list[int], at: datetime) -> int:
    """Breaches of one chunk of requests: locked, checked, recorded in bulk, flags and next due updated."""
    # The evidence names the calendar (not its days) and the contract.
    stmt = (
        select(ServiceRequest)
        .where(ServiceRequest.id.in_(ids))
        .options(selectinload(ServiceRequest.calendar), selectinload(ServiceRequest.contract))
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=ServiceRequest, skip_locked=True)  # a request being answered right now waits
    requests = db.session.scalars(stmt).all()
    pauses: dict[int, list] = {}
    for request_id, start, end in db.session.execute(
        select(RequestPause.request_id, RequestPause.started_at, RequestPause.ended_at)
        .where(RequestPause.request_id.in_(ids))
        .order_by(RequestPause.started_at)
    ):
        pauses.setdefault(request_id, []).append((start, end))
    rows, breached, changed = [], [], []
    for req in requests:
        kinds = overdue(req, at)
        for kind in kinds:
            due = getattr(req, f"{kind}_due_at")
            rows.append(_breach_row(req, kind, due, None, at, pauses.get(req.id, [])))
            set_committed_value(req, f"{kind}_breached", True)
            breached.append((req, kind, due))
        next_at = next_due(req)
        if kinds or next_at != req.next_due_at:
            set_committed_value(req, "next_due_at", next_at)
            changed.append(
                {
                    "b_id": req.id,
                    "b_response": req.response_breached,
                    "b_arrival": req.arrival_breached,
                    "b_resolution": req.resolution_breached,
                    "b_next": next_at,
                }
            )
    inserted = _insert_breaches(rows)
    _note_breaches([b for b in breached if (b[0].id, b[1]) in inserted], at)
    # One executemany UPDATE (the objects hold the new values as committed): the unit of work's flush of
    # 2,000 changed objects took ~2.5 times as long (bench/requests.py).
    if changed:
        table = ServiceRequest.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                response_breached=bindparam("b_response"),
                arrival_breached=bindparam("b_arrival"),
                resolution_breached=bindparam("b_resolution"),
                next_due_at=bindparam("b_next"),
            ),
            changed,
        )
    return len(inserted)


#: Calendars as specs per tenant, with the fingerprint they were built from (screens ask on every page).
_SPECS: dict[int, tuple[tuple, dict]] = {}


def tenant_specs(tenant_id: int) -> dict[int | None, CalendarSpec]:
    """Every calendar of a tenant as the arithmetic reads it, by id (None: around the clock).

    Two small queries tell whether the calendars or their days changed since the specs were last built
    in this process; only then are the days loaded again (a calendar carries hundreds of them).
    """
    calendars = db.session.execute(
        select(ServiceCalendar.id, ServiceCalendar.timezone, ServiceCalendar.always, ServiceCalendar.weekly).where(
            ServiceCalendar.tenant_id == tenant_id
        )
    ).all()
    days = db.session.execute(
        select(
            func.count(CalendarDay.id),
            func.max(CalendarDay.id),
            func.sum(case((CalendarDay.kind == "holiday", CalendarDay.id), else_=0)),
        ).where(CalendarDay.tenant_id == tenant_id)
    ).one()
    fingerprint = (
        tuple((c.id, c.timezone, c.always, json.dumps(c.weekly, sort_keys=True)) for c in calendars),
        tuple(days),
    )
    cached = _SPECS.get(tenant_id)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    rows = db.session.scalars(
        select(ServiceCalendar)
        .options(selectinload(ServiceCalendar.days))
        .where(ServiceCalendar.tenant_id == tenant_id)
    ).all()
    specs = {None: ALWAYS, **{c.id: spec_for(c) for c in rows}}
    _SPECS[tenant_id] = (fingerprint, specs)
    return specs


def clock_state(req: ServiceRequest, specs: dict, at: datetime, left: timedelta | None = ...) -> dict:
    """What a screen shows of a request's clock: the next deadline, working time left, paused or breached."""
    due = req.next_due_at
    if left is ...:
        left = working_time_left(req, due, specs.get(req.calendar_id, ALWAYS), at)
    breached = req.response_breached or req.arrival_breached or req.resolution_breached
    return {
        "due": due,
        "left": left,
        "paused": req.paused_since is not None and req.is_open,
        "overdue": left is not None and left <= timedelta(0),
        "breached": breached,
        "soon": left is not None and timedelta(0) < left <= timedelta(hours=1),
    }


def clock_states(rows: list[ServiceRequest], specs: dict, at: datetime) -> dict[int, dict]:
    """clock_state of a page of requests, walking each calendar's working time once for the whole page.

    Per row, "time left" is the working time from now to its due time; rows on one calendar share the walk
    from now to the latest of their due times (a page of 25 would otherwise walk the same days 25 times).
    """
    left: dict[int, timedelta | None] = {}
    by_calendar: dict[int | None, list[tuple[datetime, int]]] = {}
    for req in rows:
        due = req.next_due_at
        if due is None:
            left[req.id] = None
        elif due <= at:
            left[req.id] = -(at - due)
        else:
            by_calendar.setdefault(req.calendar_id, []).append((due, req.id))
    for calendar_id, dues in by_calendar.items():
        dues.sort()
        pending, total = iter(dues), timedelta(0)
        due, request_id = next(pending)
        for begin, end in working_intervals(specs.get(calendar_id, ALWAYS), at):
            while due is not None and due <= end:
                left[request_id] = total + max(timedelta(0), due - begin)
                due, request_id = next(pending, (None, None))
            if due is None:
                break
            total += end - begin
        while due is not None:  # past the calendar's horizon: all the working time there is
            left[request_id] = total
            due, request_id = next(pending, (None, None))
    return {req.id: clock_state(req, specs, at, left[req.id]) for req in rows}
