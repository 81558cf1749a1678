"""Billing jobs: a daily run per tenant, split into chunks of contracts with deterministic job ids."""

from datetime import date

from sqlalchemy import select

from saas.billing import services
from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.models import Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import enqueue, task


@task
def run_billing() -> int:
    """Daily: every active tenant bills the periods that ended by its own local date; returns chunks queued."""
    queued = 0
    for tenant_id in db.session.scalars(
        select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant_id):
            queued += start_run(tenant_id)
    return queued


def start_run(tenant_id: int, day: date | None = None) -> int:
    """Plan a tenant's run and queue its chunks; the same day, contracts and attempt give the same job id."""
    tenant = db.session.get(Tenant, tenant_id)
    today = day or local_today(tenant)
    run, chunks = services.plan_run(tenant, today)
    db.session.commit()
    for chunk, attempt in chunks:
        enqueue(
            bill_chunk,
            tenant_id,
            today.isoformat(),
            run.id,
            chunk,
            queue="billing",
            timeout=1800,
            job_id=f"bill-{tenant_id}-{today.isoformat()}-{services.chunk_key(chunk)}-{attempt}",
        )
    return len(chunks)


@task
def bill_chunk(tenant_id: int, day: str, run_id: int, contract_ids: list[int]) -> int:
    """Bill one chunk of contracts in one transaction; safe to run again (what is billed is skipped)."""
    with dbscope.tenant(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        created = services.bill(tenant, contract_ids, date.fromisoformat(day))
        services.chunk_done(run_id, contract_ids, created)
        db.session.commit()
    return created


@task
def mark_overdue_invoices() -> int:
    """Daily: invoices still owed after their due date become overdue, by each tenant's local date, and each is
    recorded as the client's breach with its proposed penalty in the same transaction (§8.1.4, §8.2)."""
    from saas.billing.late import record_breaches
    from saas.billing.payments import mark_overdue

    moved = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            today = local_today(tenant)
            moved += mark_overdue(tenant, today)
            record_breaches(tenant, today)
            db.session.commit()
    return moved


@task
def reconcile_payments() -> int:
    """Every quarter hour: each active tenant's payment methods settle what they left open (§3.2)."""
    from saas.billing.methods import reconcile

    settled = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            settled += reconcile(tenant, local_today(tenant))
            db.session.commit()
    return settled


@task
def settle_ended_agreements() -> int:
    """Daily, after the billing run: each ended agreement's final account with what is still owed either way
    (§10.4), by each tenant's local date; returns how many settlements were issued."""
    from saas.billing.settlement import settle_ended

    made = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            made += settle_ended(tenant, local_today(tenant))
            db.session.commit()
    return made
