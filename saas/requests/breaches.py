"""The vendor's recorded breaches (§8.1.1–§8.1.3) as a list: by client, kind and month, newest deadline first."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from saas.core.models import Tenant
from saas.extensions import db
from saas.requests.models import BreachKind, ServiceRequest, SlaBreach


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
