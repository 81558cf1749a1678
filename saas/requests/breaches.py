"""The vendor's recorded breaches (§8.1.1–§8.1.3): as a list by client, kind and month, newest first, and a breach
below the agreed standard recorded by hand with its evidence (§8.1.1)."""

import hashlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from saas.core import audit
from saas.core.bulk import insert_new
from saas.core.clock import local_date, local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Tenant, User
from saas.core.parsing import safe_content_type, safe_filename
from saas.extensions import db
from saas.requests import sla
from saas.requests.models import BreachFile, BreachKind, ServiceRequest, SlaBreach


def list_breaches(
    tenant: Tenant,
    *,
    client_id: int | None = None,
    kind: str = "",
    month: date | None = None,
    after: int | None = None,
    limit: int = 50,
):
    """One page of breaches, newest first (keyset on id); `month` (its first day) by the tenant's local deadline."""
    stmt = (
        select(SlaBreach)
        .join(ServiceRequest, ServiceRequest.id == SlaBreach.request_id)
        .options(contains_eager(SlaBreach.request).selectinload(ServiceRequest.client))
        .where(SlaBreach.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(SlaBreach.client_id == client_id)
    if kind in BreachKind.__members__.values():
        stmt = stmt.where(SlaBreach.kind == kind)
    if month is not None:
        zone = ZoneInfo(tenant.timezone)
        start = datetime.combine(month, time.min, zone)
        stop = datetime.combine(date(month.year + month.month // 12, month.month % 12 + 1, 1), time.min, zone)
        stmt = stmt.where(SlaBreach.due_at >= start, SlaBreach.due_at < stop)
    if after:
        stmt = stmt.where(SlaBreach.id < after)
    rows = db.session.scalars(stmt.order_by(SlaBreach.id.desc()).limit(limit + 1)).unique().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024


class BreachError(ServiceError):
    """A breach that cannot be recorded as given."""


def record_below_standard(
    req: ServiceRequest,
    actor: User,
    *,
    description: str,
    happened_on: date,
    complaint: dict | None = None,
    files: list[tuple[str, str, bytes]] = (),
) -> SlaBreach:
    """Record by hand a service of this request below the agreed standard (§8.1.1), with its evidence: what fell
    short, when, the upheld complaint it answers (the feedback domain passes it) and files. Once per request; in the
    caller's transaction."""
    description = (description or "").strip()
    if not description:
        raise BreachError(_("Say what was not provided or fell below the agreed standard."))
    tenant = req.contract.tenant
    today = local_today(tenant)
    if happened_on > today:
        raise BreachError(_("A breach is recorded once it happened: the day cannot be after today."))
    if happened_on < local_date(tenant, req.received_at):
        raise BreachError(_("The day cannot be before the request was raised."))
    if len(files) > MAX_FILES:
        raise BreachError(_("At most %(count)d files of evidence.", count=MAX_FILES))
    if any(len(content) > MAX_FILE_BYTES for _name, _type, content in files):
        raise BreachError(_("Files may be at most 10 MB."))
    at = datetime.combine(happened_on, time(12), ZoneInfo(tenant.timezone)).astimezone(now().tzinfo)
    evidence = {
        "request": req.number,
        "contract": req.contract.number if req.contract else None,
        "description": description,
        "recorded_by": actor.name,
        "happened_on": happened_on.isoformat(),
        "files": [],
    }
    if complaint is not None:
        evidence["complaint"] = complaint
    named = [
        (safe_filename(name), content_type, content, hashlib.sha256(content).hexdigest())
        for name, content_type, content in files
    ]
    evidence["files"] = [{"name": name, "size": len(content), "sha256": digest} for name, _t, content, digest in named]
    inserted = insert_new(
        SlaBreach,
        [
            {
                "tenant_id": req.tenant_id,
                "client_id": req.client_id,
                "request_id": req.id,
                "contract_id": req.contract_id,
                "kind": BreachKind.BELOW_STANDARD,
                "clause": "8.1.1",
                "due_at": at,
                "met_at": None,
                "detected_at": now(),
                "evidence": evidence,
            }
        ],
        ("request_id", "kind"),
        ("id",),
    )
    if not inserted:
        raise BreachError(_("A breach below the agreed standard is recorded for this request already."))
    breach = db.session.get(SlaBreach, inserted[0].id)
    for name, content_type, content, digest in named:
        db.session.add(
            BreachFile(
                tenant_id=req.tenant_id,
                client_id=req.client_id,
                breach_id=breach.id,
                filename=name,
                content_type=safe_content_type(content_type),
                size=len(content),
                sha256=digest,
                data=content,
                created_at=now(),
            )
        )
    db.session.flush()
    sla._note_breach(req, BreachKind.BELOW_STANDARD, at)
    audit.record(
        "requests.breach_recorded",
        tenant_id=req.tenant_id,
        target=breach,
        actor=actor,
        request=req.number,
        clause="8.1.1",
    )
    return breach
