"""The daily job of disputes: reminders before each open step's deadline."""

from sqlalchemy import select

from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task


@task
def remind_dispute_deadlines() -> int:
    """Daily: both parties' admins reminded 7 days and 1 day before each open dispute step's deadline, once each."""
    from saas.disputes.services import remind_deadlines

    sent = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            sent += remind_deadlines(tenant, local_today(tenant))
            db.session.commit()
    return sent
