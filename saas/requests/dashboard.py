"""The requests domain's figures on the vendor's dashboard: open, due soon, waiting, breaches this month."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from saas.core.clock import now
from saas.core.models import VENDOR_ROLES
from saas.core.plugins import DashboardCard
from saas.extensions import db
from saas.requests.models import RequestStatus, ServiceRequest, SlaBreach


def request_cards(tenant, membership) -> list[DashboardCard]:
    """Open requests, those due within two hours, those waiting on the client, and this month's breaches."""
    if membership.role not in VENDOR_ROLES:
        return []
    at = now()
    open_count, soon, waiting = db.session.execute(
        select(
            func.count(ServiceRequest.id),
            func.sum(case((ServiceRequest.next_due_at <= at + timedelta(hours=2), 1), else_=0)),
            func.sum(case((ServiceRequest.status == RequestStatus.WAITING_ON_CLIENT, 1), else_=0)),
        ).where(ServiceRequest.tenant_id == tenant.id, ServiceRequest.is_open.is_(True))
    ).one()
    local = at.astimezone(ZoneInfo(tenant.timezone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))
    breaches = db.session.scalar(
        select(func.count(SlaBreach.id)).where(SlaBreach.tenant_id == tenant.id, SlaBreach.detected_at >= month_start)
    )
    return [
        DashboardCard(_l("Open requests"), open_count or 0, "requests.index", order=6),
        DashboardCard(_l("Due within 2 hours"), soon or 0, "requests.index", order=7),
        DashboardCard(_l("Waiting on client"), waiting or 0, "requests.index", order=8),
        DashboardCard(_l("SLA breaches this month"), breaches or 0, "requests.index", order=9),
    ]
