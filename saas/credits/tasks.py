"""The nightly job of service credits: each tenant's ended billing periods credited for the vendor's breaches."""

from sqlalchemy import select

from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task


@task
def propose_service_credits() -> int:
    """Daily: propose the §8.2 credit of each service line and billing period that ended with the vendor's breaches
    (§8.1.1–§8.1.3), by each tenant's local date; a re-run proposes nothing twice."""
    from saas.credits.services import propose_credits

    proposed = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            proposed += propose_credits(tenant, local_today(tenant))
            db.session.commit()
    return proposed
