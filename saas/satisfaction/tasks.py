"""The job of the client's ratings: ask each requester to rate the requests resolved since the last run."""

from sqlalchemy import select

from saas.core import dbscope
from saas.core.clock import now
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task


@task
def ask_for_ratings() -> int:
    """Every few minutes: e-mail the requester of each newly resolved request its rating link, once per request;
    a re-run asks nobody twice. Returns how many were asked."""
    from saas.satisfaction.services import ask_for_ratings as ask

    asked = 0
    at = now()
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            asked += ask(tenant, at)
            db.session.commit()
    return asked


@task
def run_surveys() -> int:
    """Daily: open each agreement's survey of the period that has just ended, with its invitations, and send the
    reminders due (3 and 7 days after opening); a re-run opens and reminds nothing twice. Returns the number of
    surveys opened and reminders sent."""
    from saas.satisfaction.surveys import open_surveys, send_reminders

    done = 0
    at = now()
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            done += open_surveys(tenant, at)
            done += send_reminders(tenant, at)
            db.session.commit()
    return done
