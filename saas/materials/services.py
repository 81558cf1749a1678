"""The vendor's asks for Party A's technical materials (Part 3, 说明二 1.2): asked for a request with a deadline, the
request's clocks paused while they are awaited; supplied by the client (a note and files) or withdrawn by the
vendor, which ends that pause (the clocks run again only when nothing else holds them)."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core import audit
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.i18n import format_dt
from saas.core.models import Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import clean_text
from saas.extensions import db
from saas.materials.models import AWAITED, MaterialsRequest, MaterialsStatus
from saas.requests import services as requests
from saas.requests import sla
from saas.requests.models import RequestStatus, ServiceRequest

S = MaterialsStatus
#: The pause reason of the request's clocks while materials are awaited (beside "waiting_on_client", "resolved").
PAUSE_REASON = "materials"
#: A deadline further ahead than this is a typing error, not a plan.
MAX_AHEAD = timedelta(days=180)
STATUS_LABELS = {
    S.ASKED: _l("Asked"),
    S.SUPPLIED: _l("Supplied"),
    S.OVERDUE: _l("Overdue"),
    S.WITHDRAWN: _l("Withdrawn"),
}
#: The request timeline's materials lines, by what happened.
ACTION_LABELS = {
    "asked": _l("asked of the client"),
    "supplied": _l("supplied by the client"),
    "overdue": _l("not supplied by the deadline: the client's breach is recorded"),
    "withdrawn": _l("withdrawn by the vendor"),
}


class MaterialsError(ServiceError):
    """An ask that cannot be made, supplied or withdrawn this way; the message says why."""


def note_event(
    req: ServiceRequest, materials: MaterialsRequest, action: str, actor: User | None, body: str = ""
) -> None:
    """One line of the request's timeline about an ask (both parties see it)."""
    requests.add_event(
        req,
        "materials",
        actor,
        body=body,
        data={"action": action, "materials_id": materials.id, "due_at": materials.due_at.isoformat()},
    )


def ask(req: ServiceRequest, actor: User, what: str, due_at: datetime | None) -> MaterialsRequest:
    """Ask the client for the materials a request needs by `due_at`; the request's clocks stop until they come.

    In the caller's transaction, with the request locked: the same ask sent twice (a double click) is the first.
    """
    what = clean_text(what).strip()
    if not what:
        raise MaterialsError(_("Say which materials are needed, in what format."))
    if req.status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        raise MaterialsError(_("Ask for materials while the request is being handled, not once it is resolved."))
    at = now()
    if due_at is None:
        raise MaterialsError(_("Give the deadline by which the materials are needed."))
    if due_at <= at:
        raise MaterialsError(
            _(
                "The deadline %(when)s has passed already: give one after now (%(now)s).",
                when=format_dt(due_at, "short"),
                now=format_dt(at, "short"),
            )
        )
    if due_at > at + MAX_AHEAD:
        raise MaterialsError(_("Give a deadline within %(days)d days from now.", days=MAX_AHEAD.days))
    same = db.session.scalar(
        select(MaterialsRequest).where(
            MaterialsRequest.request_id == req.id,
            MaterialsRequest.status == S.ASKED,
            MaterialsRequest.what == what,
            MaterialsRequest.due_at == due_at,
        )
    )
    if same is not None:
        return same
    materials = MaterialsRequest(
        tenant_id=req.tenant_id,
        client_id=req.client_id,
        request_id=req.id,
        contract_id=req.contract_id,
        what=what,
        due_at=due_at,
        status=S.ASKED,
        asked_by_id=actor.id,
        asked_at=at,
    )
    db.session.add(materials)
    materials.pause_id = sla.start_pause(req, PAUSE_REASON, at).id
    sla.refresh_due(req)
    db.session.flush()
    note_event(req, materials, "asked", actor, body=what)
    audit.record("materials.asked", tenant_id=req.tenant_id, target=materials, actor=actor, request=req.number)
    from saas.materials.mail import mail_asked

    send_after_commit(mail_asked, [materials.id], key="materials-asked")
    return materials


def _resume(materials: MaterialsRequest, at: datetime) -> None:
    """End this ask's pause; the request's clocks run again unless another pause still holds them."""
    req = materials.request
    if materials.pause_id is not None:
        sla.end_pause(req, at, pause_id=materials.pause_id)
        sla.refresh_due(req)


def _locked(materials: MaterialsRequest) -> MaterialsRequest:
    """The ask and its request locked until commit: a double click, or client and vendor at once, take turns."""
    requests_row = db.session.scalar(
        select(ServiceRequest).where(ServiceRequest.id == materials.request_id).with_for_update()
    )
    locked = db.session.scalar(
        select(MaterialsRequest)
        .where(MaterialsRequest.id == materials.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    locked.request = requests_row
    return locked


def supply(materials: MaterialsRequest, actor: User, note: str, files=()) -> bool:
    """The client supplies what was asked (a note and/or files, kept with the request); the ask's pause ends.

    Late (after the deadline) is still supplied: the breach already recorded stays. False when it was supplied
    already (a second click); refused when the vendor withdrew it."""
    note = clean_text(note).strip()
    if not note and not files:
        raise MaterialsError(_("Write a note or attach the files asked for."))
    materials = _locked(materials)
    if materials.status == S.SUPPLIED:
        return False
    if materials.status == S.WITHDRAWN:
        raise MaterialsError(_("The vendor withdrew this ask: nothing needs supplying."))
    at = now()
    req = materials.request
    materials.status, materials.supplied_at, materials.supplied_by_id = S.SUPPLIED, at, actor.id
    materials.supplied_note = note
    event = requests.add_event(
        req,
        "materials",
        actor,
        body=note,
        data={
            "action": "supplied",
            "materials_id": materials.id,
            "due_at": materials.due_at.isoformat(),
            "late": at > materials.due_at,
        },
    )
    for name, content_type, data in files:
        requests.attach(req, event, name, content_type, data, internal=False)
    materials.supplied_event_id = event.id
    _resume(materials, at)
    db.session.flush()
    return True


def withdraw(materials: MaterialsRequest, actor: User, reason: str) -> bool:
    """The vendor no longer needs the materials (for a reason); the ask's pause ends. False if withdrawn already."""
    reason = clean_text(reason).strip()
    if not reason:
        raise MaterialsError(_("Say why the materials are no longer needed."))
    materials = _locked(materials)
    if materials.status == S.WITHDRAWN:
        return False
    if materials.status == S.SUPPLIED:
        raise MaterialsError(_("The client supplied these materials already: there is nothing to withdraw."))
    at = now()
    materials.status, materials.withdrawn_at, materials.withdrawn_by_id = S.WITHDRAWN, at, actor.id
    materials.withdrawn_reason = reason
    note_event(materials.request, materials, "withdrawn", actor, body=reason)
    _resume(materials, at)
    audit.record(
        "materials.withdrawn", tenant_id=materials.tenant_id, target=materials, actor=actor, reason=reason[:200]
    )
    db.session.flush()
    return True


def of_request(req: ServiceRequest) -> list[MaterialsRequest]:
    """The asks of one request, oldest first."""
    return db.session.scalars(
        select(MaterialsRequest)
        .options(selectinload(MaterialsRequest.asked_by), selectinload(MaterialsRequest.supplied_by))
        .where(MaterialsRequest.request_id == req.id, MaterialsRequest.tenant_id == req.tenant_id)
        .order_by(MaterialsRequest.id)
    ).all()


def awaited(req: ServiceRequest) -> int:
    """How many asks of the request the client still owes (each holds its clocks)."""
    return sum(1 for m in of_request(req) if m.status in AWAITED)


def list_asks(
    tenant: Tenant,
    *,
    client_id: int | None = None,
    status: str = "",
    after: int | None = None,
    limit: int = 25,
):
    """One page of the tenant's asks, newest first (keyset on id); returns (rows, next_after)."""
    stmt = (
        select(MaterialsRequest)
        .options(selectinload(MaterialsRequest.request), selectinload(MaterialsRequest.client))
        .where(MaterialsRequest.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(MaterialsRequest.client_id == client_id)
    if status in S.__members__.values():
        stmt = stmt.where(MaterialsRequest.status == status)
    if after:
        stmt = stmt.where(MaterialsRequest.id < after)
    rows = db.session.scalars(stmt.order_by(MaterialsRequest.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def timeline(materials: MaterialsRequest) -> list[dict]:
    """What happened to an ask, in order: asked, reminded, overdue (the breach), supplied or withdrawn."""
    from saas.materials.models import ClientBreach

    steps = [{"at": materials.asked_at, "what": "asked", "who": materials.asked_by, "body": materials.what}]
    if materials.reminded_at:
        steps.append({"at": materials.reminded_at, "what": "reminded", "who": None, "body": ""})
    breach = db.session.scalar(select(ClientBreach).where(ClientBreach.materials_id == materials.id))
    if materials.overdue_at or breach is not None:
        steps.append(
            {"at": breach.detected_at if breach else materials.overdue_at, "what": "overdue", "who": None, "body": ""}
        )
    if materials.supplied_at:
        steps.append(
            {
                "at": materials.supplied_at,
                "what": "supplied",
                "who": materials.supplied_by,
                "body": materials.supplied_note,
            }
        )
    if materials.withdrawn_at:
        steps.append(
            {
                "at": materials.withdrawn_at,
                "what": "withdrawn",
                "who": materials.withdrawn_by,
                "body": materials.withdrawn_reason,
            }
        )
    return sorted(steps, key=lambda s: s["at"])
