"""The satisfaction jobs: ask each requester to rate the requests resolved since the last run; evaluate each
agreement's payment cycles once their survey closed (§11.2); remind the owners of overdue measures (§11.3)."""

from datetime import date

from flask import current_app
from sqlalchemy import select

from saas.core import dbscope
from saas.core.clock import local_today, now
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import enqueue, task


def _each_active_tenant(work) -> int:
    """work(tenant) for each active tenant under its own row-level scope, committed tenant by tenant (a failure
    later leaves the earlier tenants done); the sum of what it returned."""
    done = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            done += work(tenant)
            db.session.commit()
    return done


@task
def ask_for_ratings() -> int:
    """Every few minutes: e-mail the requester of each newly resolved request its rating link, once per request;
    a re-run asks nobody twice. Returns how many were asked."""
    from saas.satisfaction.services import ask_for_ratings as ask

    at = now()
    return _each_active_tenant(lambda tenant: ask(tenant, at))


@task
def run_evaluations() -> int:
    """Daily: every active tenant evaluates the periods whose survey closed by its own local date (§11.2), in chunks
    of agreements queued with deterministic ids; returns the chunks queued."""
    queued = 0
    for tenant_id in db.session.scalars(
        select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant_id):
            queued += start_evaluations(tenant_id)
    return queued


def start_evaluations(tenant_id: int, day: date | None = None) -> int:
    """Queue a tenant's evaluation chunks for a day: the same day and agreements give the same job id."""
    from saas.satisfaction.evaluation import contracts_to_evaluate

    tenant = db.session.get(Tenant, tenant_id)
    today = day or local_today(tenant)
    ids = contracts_to_evaluate(tenant, today)
    db.session.commit()
    size = current_app.config["EVALUATION_CHUNK_SIZE"]
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    for chunk in chunks:
        enqueue(
            evaluate_chunk,
            tenant_id,
            today.isoformat(),
            chunk,
            queue="billing",
            timeout=1800,
            job_id=f"evaluate-{tenant_id}-{today.isoformat()}-{chunk[0]}-{chunk[-1]}-{len(chunk)}",
        )
    return len(chunks)


@task
def evaluate_chunk(tenant_id: int, day: str, contract_ids: list[int]) -> int:
    """Evaluate one chunk of agreements in one transaction; safe to run again (what is evaluated is skipped)."""
    from saas.satisfaction.evaluation import evaluate

    with dbscope.tenant(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        made = evaluate(tenant, contract_ids, date.fromisoformat(day))
        db.session.commit()
    return made


@task
def remind_overdue_measures() -> int:
    """Daily: the owner of each improvement measure past its due date, still open, is reminded once (§11.3)."""
    from saas.satisfaction.measures import remind_overdue

    return _each_active_tenant(lambda tenant: remind_overdue(tenant, local_today(tenant)))


@task
def run_surveys() -> int:
    """Daily: open each agreement's survey of the period that has just ended, with its invitations, and send the
    reminders due (3 and 7 days after opening); a re-run opens and reminds nothing twice. Returns the number of
    surveys opened and reminders sent."""
    from saas.satisfaction.surveys import open_surveys, send_reminders

    at = now()
    return _each_active_tenant(lambda tenant: open_surveys(tenant, at) + send_reminders(tenant, at))
