"""The daily job of Party A's materials: reminders a day before each deadline, and overdue asks recorded as the
client's breaches (Part 3, 说明二 1.2), by each tenant's local date."""

from sqlalchemy import select

from saas.core import dbscope
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task


@task
def sweep_materials() -> int:
    """Daily: remind the client's admins of materials due tomorrow, and record each ask past its deadline unsupplied
    as the client's breach, once; a re-run records nothing twice. Returns how many breaches were recorded."""
    from saas.materials.breaches import sweep

    recorded = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            recorded += sweep(tenant)
            db.session.commit()  # and the mail goes out
    return recorded
