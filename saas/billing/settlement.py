"""The final account at an agreement's end (§10.4): once a contract has expired or been terminated, what is still
owed either way goes on one settlement document: the last, cut-short period's fee where it was not billed yet, and
every line still waiting (confirmed late-payment penalties, confirmed service credits, agreed damages, extras).
A negative total is a credit to the client, to be refunded. Nothing waits for a next invoice that will never come.
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from saas.billing import services
from saas.billing.models import Invoice
from saas.contracts.models import Contract, ContractStatus
from saas.core import audit
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.models import Tenant, User
from saas.core.plugins import plugin_manager
from saas.extensions import db

ENDED = (ContractStatus.EXPIRED, ContractStatus.TERMINATED)
#: Ended contracts the daily job still looks at: disputes and claims can settle long after the end.
LOOKBACK_DAYS = 730
CHUNK = 200


def has_ended(contract: Contract, today: date) -> bool:
    """The contract expired or was terminated, and its last day in force is behind us."""
    return contract.status in ENDED and services.in_force(contract)[1] <= today


def waiting(contract: Contract, today: date) -> dict:
    """What the final account would carry today: the unbilled periods' fee lines and the lines other domains have
    waiting, each as a description and an amount (the contract page shows it before anyone settles)."""
    drafts = services.drafts_for([contract], today, final=True)
    fees = [line for d in drafts for line in d.lines]
    groups = (
        plugin_manager()
        .for_tenant(contract.tenant)
        .saas_billing_lines(tenant=contract.tenant, contract_ids=[contract.id], today=today)
    )
    extras = [line for group in groups for line in group if line.contract_id == contract.id]
    lines = [(line["description"], line["amount"]) for line in fees] + [(x.description, x.amount) for x in extras]
    return {"lines": lines, "total": sum((amount for _d, amount in lines), start=0)}


def settlements_of(contract: Contract) -> list[Invoice]:
    """The contract's settlement documents, oldest first."""
    return db.session.scalars(
        select(Invoice).where(Invoice.contract_id == contract.id, Invoice.kind == "settlement").order_by(Invoice.id)
    ).all()


def settle(contract: Contract, actor: User | None, today: date | None = None) -> Invoice | None:
    """Issue the final account of an ended contract now, in the caller's transaction; None when nothing is owed
    either way (or today's settlement is made already)."""
    today = today or local_today(contract.tenant)
    if not has_ended(contract, today):
        raise ServiceError(_("The agreement is settled once it has ended: it is still in force."))
    if not services.bill(contract.tenant, [contract.id], today, settle=True):
        return None
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.contract_id == contract.id, Invoice.kind == "settlement")
        .order_by(Invoice.id.desc())
        .limit(1)
    )
    audit.record(
        "billing.settled",
        tenant_id=contract.tenant_id,
        target=invoice,
        actor=actor,
        number=invoice.number,
        contract=contract.number,
        total=str(invoice.total),
    )
    return invoice


def settle_ended(tenant: Tenant, today: date) -> int:
    """The daily sweep: every contract of the tenant that ended (within LOOKBACK_DAYS) and has something still
    owed either way gets its settlement; safe to run again the same day. Returns how many were issued."""
    since = today - timedelta(days=LOOKBACK_DAYS)
    ids = [
        c.id
        for c in db.session.scalars(
            select(Contract)
            .where(
                Contract.tenant_id == tenant.id,
                Contract.status.in_(ENDED),
                # the years of agreements ended long ago stay out of the daily sweep
                or_(Contract.terminated_on >= since, Contract.ends_on >= since),
            )
            .order_by(Contract.id)
        )
        if since <= services.in_force(c)[1] <= today
    ]
    made = 0
    for start in range(0, len(ids), CHUNK):
        made += services.bill(tenant, ids[start : start + CHUNK], today, settle=True)
    return made
