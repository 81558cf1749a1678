"""Party A's breaches of materials (Part 3, 说明二 1.2): the daily sweep that reminds the client a day before an ask's
deadline, and marks an ask not supplied by its deadline overdue with the client's breach recorded once, with its
evidence; and the lists of those breaches for both parties."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core.bulk import insert_new
from saas.core.clock import local_today, now
from saas.core.models import Tenant
from saas.extensions import db
from saas.materials.mail import mail
from saas.materials.models import CLAUSE, ClientBreach, MaterialsPenalty, MaterialsRequest, MaterialsStatus
from saas.materials.services import note_event
from saas.requests.models import ServiceRequest

S = MaterialsStatus


def _due(tenant: Tenant, stmt):
    """The asks `stmt` selects, locked (on PostgreSQL an ask being supplied right now is left to the next run)."""
    stmt = stmt.options(
        selectinload(MaterialsRequest.request).selectinload(ServiceRequest.contract),
        selectinload(MaterialsRequest.asked_by),
    ).order_by(MaterialsRequest.id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=MaterialsRequest, skip_locked=True)
    return db.session.scalars(stmt.where(MaterialsRequest.tenant_id == tenant.id)).all()


def evidence(materials: MaterialsRequest, found: datetime) -> dict:
    """What the breach keeps: what was asked, when and by whom, the deadline, when the client was told, the request."""
    req = materials.request
    told = [materials.asked_at] + ([materials.reminded_at] if materials.reminded_at else [])
    return {
        "what": materials.what,
        "asked_at": materials.asked_at.isoformat(),
        "asked_by": materials.asked_by.name if materials.asked_by else "",
        "due_at": materials.due_at.isoformat(),
        "reminders": [moment.isoformat() for moment in told],
        "found_at": found.isoformat(),
        "request_id": req.id,
        "request": req.number,
        "subject": req.subject,
        "contract": req.contract.number if req.contract else None,
    }


def remind(tenant: Tenant, at: datetime) -> int:
    """Mail the client's admins once about each ask due by the end of tomorrow (local) and not supplied yet."""
    zone = ZoneInfo(tenant.timezone)
    horizon = datetime.combine(local_today(tenant) + timedelta(days=2), time.min, zone).astimezone(UTC)
    asks = _due(
        tenant,
        select(MaterialsRequest).where(
            MaterialsRequest.status == S.ASKED,
            MaterialsRequest.reminded_at.is_(None),
            MaterialsRequest.due_at > at,
            MaterialsRequest.due_at < horizon,
            # asked today for tomorrow: the ask's own mail told them already
            MaterialsRequest.asked_at < datetime.combine(local_today(tenant), time.min, zone).astimezone(UTC),
        ),
    )
    for materials in asks:
        mail(materials, "reminder")
        materials.reminded_at = at
    db.session.flush()
    return len(asks)


def record_overdue(tenant: Tenant, at: datetime) -> int:
    """Every ask past its deadline unsupplied becomes overdue and the client's breach is recorded, once (the unique
    ask key keeps a re-run, or two runs at once, from recording twice); returns how many breaches were recorded."""
    asks = _due(
        tenant, select(MaterialsRequest).where(MaterialsRequest.status == S.ASKED, MaterialsRequest.due_at <= at)
    )
    if not asks:
        return 0
    rows = [
        {
            "tenant_id": m.tenant_id,
            "client_id": m.client_id,
            "materials_id": m.id,
            "request_id": m.request_id,
            "contract_id": m.contract_id,
            "kind": "materials",
            "clause": CLAUSE,
            "due_at": m.due_at,
            "detected_at": at,
            "evidence": evidence(m, at),
        }
        for m in asks
    ]
    inserted = {ident for (ident,) in insert_new(ClientBreach, rows, ("materials_id",), ("materials_id",))}
    for materials in asks:
        materials.status, materials.overdue_at = S.OVERDUE, at
        if materials.id in inserted:
            note_event(materials.request, materials, "overdue", None)
            mail(materials, "overdue")
    db.session.flush()
    return len(inserted)


def sweep(tenant: Tenant, at: datetime | None = None) -> int:
    """The day's run for one tenant: reminders, then overdue asks and their breaches; in the caller's transaction."""
    at = at or now()
    remind(tenant, at)
    return record_overdue(tenant, at)


def list_breaches(tenant: Tenant, *, client_id: int | None = None, after: int | None = None, limit: int = 25):
    """One page of the client breaches of materials, newest first (keyset on id), each with its penalty or None."""
    stmt = (
        select(ClientBreach, MaterialsPenalty)
        .outerjoin(MaterialsPenalty, MaterialsPenalty.breach_id == ClientBreach.id)
        .options(selectinload(ClientBreach.client), selectinload(ClientBreach.contract))
        .where(ClientBreach.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(ClientBreach.client_id == client_id)
    if after:
        stmt = stmt.where(ClientBreach.id < after)
    rows = db.session.execute(stmt.order_by(ClientBreach.id.desc()).limit(limit + 1)).all()
    return [tuple(r) for r in rows[:limit]], (rows[limit - 1][0].id if len(rows) > limit else None)


def breach_of(materials: MaterialsRequest) -> ClientBreach | None:
    return db.session.scalar(select(ClientBreach).where(ClientBreach.materials_id == materials.id))
