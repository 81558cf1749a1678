"""Jobs of the contracts domain."""

from sqlalchemy import select

from saas.contracts.services import refresh_statuses
from saas.core import dbscope
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task


@task
def refresh_contract_statuses() -> dict:
    """Daily: contracts enter their renewal window (§1.2) or expire, per tenant's local date; safe to re-run."""
    totals = {"expiring": 0, "expired": 0}
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            moved = refresh_statuses(tenant)
            db.session.commit()  # one tenant at a time: a failure later leaves earlier tenants done
        for key, count in moved.items():
            totals[key] += count
    return totals
