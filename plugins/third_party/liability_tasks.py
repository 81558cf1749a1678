"""Jobs of Part 2 §7.2: the daily announcement of the right to terminate on an unresolved third-party dispute."""

from sqlalchemy import select

from plugins.third_party import deadlines
from plugins.third_party.services import NAME
from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.models import Tenant, TenantStatus
from saas.core.plugins import plugin_manager
from saas.extensions import db
from saas.jobs import task


@task
def announce_dispute_deadlines() -> int:
    """Daily: tell both parties' admins, once per dispute, that a third-party dispute passed its Part 2 §7.2
    deadline unresolved and with no lawsuit filed; safe to re-run."""
    announced = 0
    pm = plugin_manager()
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            if pm.is_enabled(NAME, tenant):
                announced += deadlines.announce(tenant, local_today(tenant))
            # One tenant at a time: a failure later leaves earlier tenants done (and no transaction is left open).
            db.session.commit()
    return announced
