"""Late payment (§8.1.4, §8.2): the client's breach, recorded when an invoice is found owed after its due date; the
penalty it proposes; the vendor's confirmation or waiver; and the confirmed penalty billed once on the contract's
next invoice, through the core's own implementation of the billing-lines hooks."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import selectinload

from saas.billing.holds import owed_beyond_holds
from saas.billing.models import Invoice, InvoiceStatus
from saas.billing.payments import OPEN_INVOICES, lock
from saas.billing.penalty_models import LatePenalty, PaymentBreach, PenaltyStatus
from saas.contracts.models import Contract
from saas.core import audit
from saas.core.bulk import among, insert_new
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.mail import both_languages
from saas.core.models import Tenant, User
from saas.core.money import quantize
from saas.core.plugins import BillingLine
from saas.extensions import db

S = PenaltyStatus
#: The penalty's state machine: proposed → confirmed → billed, or proposed → waived.
TRANSITIONS = {S.PROPOSED: {S.CONFIRMED, S.WAIVED}, S.CONFIRMED: {S.BILLED}, S.BILLED: set(), S.WAIVED: set()}
STATUS_LABELS = {
    S.PROPOSED: _l("Proposed"),
    S.CONFIRMED: _l("Confirmed"),
    S.BILLED: _l("Billed"),
    S.WAIVED: _l("Waived"),
}
#: The key prefix of the penalty lines handed to the billing run (saas_billing_lines): "billing.penalty:12".
LINE_KEY = "billing.penalty:"


class PenaltyError(ServiceError):
    """A penalty cannot move this way (a waived one confirmed, a billed one waived, a waiver without reason)."""


def record_breaches(tenant: Tenant, today: date) -> int:
    """Record the client's breach (§8.1.4) of every invoice still owed after its due date that has none yet, with
    its evidence, and propose its §8.2 penalty (none where the agreement's rate is nil); in the caller's
    transaction. Returns how many were recorded.

    A fixed number of statements per tenant, whatever the number of invoices; the unique invoice key keeps a
    re-run, or two runs at once, from recording anything twice.
    """
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.client_id,
            Invoice.contract_id,
            Invoice.number,
            Invoice.due_date,
            Invoice.total,
            Invoice.balance,
            Invoice.currency,
            Contract.penalty_rate,
        )
        .join(Contract, Contract.id == Invoice.contract_id)
        .outerjoin(PaymentBreach, PaymentBreach.invoice_id == Invoice.id)
        .where(
            Invoice.tenant_id == tenant.id,
            Invoice.status.in_(OPEN_INVOICES),
            Invoice.due_date < today,
            Invoice.balance > 0,
            PaymentBreach.id.is_(None),
        )
        .order_by(Invoice.id)
    ).all()
    # The part of an invoice under dispute (§9) is held: a breach only for what is owed beyond it, on that basis.
    owed = owed_beyond_holds(tenant, {r.id: r.balance for r in rows})
    rows = [r for r in rows if r.id in owed]
    if not rows:
        return 0
    detected = now()
    breaches = [
        {
            "tenant_id": tenant.id,
            "client_id": r.client_id,
            "invoice_id": r.id,
            "contract_id": r.contract_id,
            "clause": "8.1.4",
            "invoice_number": r.number,
            "due_date": r.due_date,
            "total": r.total,
            "unpaid": owed[r.id],
            "currency": r.currency,
            "found_on": today,
            "days_late": (today - r.due_date).days,
            "detected_at": detected,
        }
        for r in rows
    ]
    inserted = _insert_new(PaymentBreach, breaches, "invoice_id")
    penalties = [
        {
            "tenant_id": tenant.id,
            "client_id": r.client_id,
            "breach_id": inserted[r.id],
            "contract_id": r.contract_id,
            "clause": "8.2",
            "basis": owed[r.id],
            "rate": r.penalty_rate,
            "amount": penalty_amount(owed[r.id], r.penalty_rate, r.currency),
            "currency": r.currency,
            "status": S.PROPOSED,
            "note": "",
            "created_at": detected,
        }
        for r in rows
        if r.id in inserted and r.penalty_rate > 0
    ]
    _insert_new(LatePenalty, penalties, "breach_id")
    return len(inserted)


def penalty_amount(unpaid: Decimal, rate: Decimal, currency: str) -> Decimal:
    """§8.2: the penalty is the unpaid fee × the contract's penalty rate, rounded half-up once."""
    return quantize(unpaid * rate, currency)


def _insert_new(model, rows: list[dict], key: str) -> dict[int, int]:
    """Insert rows, leaving out those whose unique `key` is taken already; returns {key value: id} of the new ones."""
    return {value: ident for ident, value in insert_new(model, rows, (key,), ("id", key))}


def move_penalty(penalty, to: PenaltyStatus) -> bool:
    """Change a locked penalty's status (a late payment's, or any with the same steps); False when a second click
    finds it done already, PenaltyError if refused."""
    if penalty.status == to or (to == S.CONFIRMED and penalty.status == S.BILLED):
        return False
    if to not in TRANSITIONS[PenaltyStatus(penalty.status)]:
        raise PenaltyError(
            _("This penalty was waived: it can no longer be confirmed.")
            if to == S.CONFIRMED
            else _("This penalty was confirmed: it goes on the next invoice and can no longer be waived.")
        )
    penalty.status = to
    return True


def confirm(penalty: LatePenalty, actor: User, note: str = "") -> bool:
    """Confirm a proposed penalty (§8.2): it goes on the contract's next invoice. False if it was confirmed already."""
    penalty = lock(LatePenalty, penalty.id)  # two clicks or two people take turns
    if not move_penalty(penalty, S.CONFIRMED):
        return False
    penalty.note, penalty.decided_by_id, penalty.decided_at = note.strip(), actor.id, now()
    audit.record(
        "billing.penalty_confirmed",
        tenant_id=penalty.tenant_id,
        target=penalty,
        actor=actor,
        amount=str(penalty.amount),
        invoice=penalty.breach.invoice_number,
    )
    db.session.flush()
    return True


def waive(penalty: LatePenalty, actor: User, reason: str) -> bool:
    """Give up a proposed penalty, for a reason; nothing is billed. False if it was waived already."""
    reason = reason.strip()
    if not reason:
        raise PenaltyError(_("Say why the penalty is waived."))
    penalty = lock(LatePenalty, penalty.id)  # two clicks or two people take turns
    if not move_penalty(penalty, S.WAIVED):
        return False
    penalty.note, penalty.decided_by_id, penalty.decided_at = reason, actor.id, now()
    audit.record(
        "billing.penalty_waived",
        tenant_id=penalty.tenant_id,
        target=penalty,
        actor=actor,
        amount=str(penalty.amount),
        invoice=penalty.breach.invoice_number,
        reason=reason,
    )
    db.session.flush()
    return True


def withdraw_penalties(invoice: Invoice, reason: str) -> None:
    """An invoice is voided: the penalties of its own late payment fall with it (waived, for that reason), and the
    penalties it carried as lines go back to waiting for the contract's next invoice. In the caller's transaction."""
    falling = db.session.scalars(
        select(LatePenalty)
        .join(PaymentBreach, PaymentBreach.id == LatePenalty.breach_id)
        .where(PaymentBreach.invoice_id == invoice.id, LatePenalty.status.in_((S.PROPOSED, S.CONFIRMED)))
        .with_for_update(of=LatePenalty)
    ).all()
    for penalty in falling:
        penalty.status, penalty.note, penalty.decided_at = S.WAIVED, reason, now()
        audit.record(
            "billing.penalty_waived",
            tenant_id=penalty.tenant_id,
            target=penalty,
            reason=reason,
            amount=str(penalty.amount),
            invoice=invoice.number,
        )
    carried = db.session.scalars(
        select(LatePenalty)
        .where(LatePenalty.billed_invoice_id == invoice.id, LatePenalty.status == S.BILLED)
        .with_for_update()
    ).all()
    for penalty in carried:
        penalty.status, penalty.billed_invoice_id, penalty.billed_at = S.CONFIRMED, None, None
    db.session.flush()


def line_description(invoice_number: str, due: date) -> str:
    """The penalty's line on the next invoice, in both languages: it names the late invoice and the clauses."""
    return both_languages(
        lambda: _(
            "Penalty (§8.2) for invoice %(number)s, unpaid after its due date %(due)s (§8.1.4)",
            number=invoice_number,
            due=due.isoformat(),
        ),
        " / ",
    )


def billing_lines(tenant: Tenant, contract_ids: list[int]) -> list[BillingLine]:
    """The confirmed penalties of these contracts not billed yet, as invoice lines of kind penalty (one query)."""
    rows = db.session.execute(
        select(
            LatePenalty.id,
            LatePenalty.contract_id,
            LatePenalty.amount,
            LatePenalty.breach_id,
            PaymentBreach.invoice_number,
            PaymentBreach.due_date,
        )
        .join(PaymentBreach, PaymentBreach.id == LatePenalty.breach_id)
        .where(
            LatePenalty.tenant_id == tenant.id,
            among(LatePenalty.contract_id, contract_ids),
            LatePenalty.status == S.CONFIRMED,
            LatePenalty.billed_invoice_id.is_(None),
        )
        .order_by(LatePenalty.id)
    ).all()
    return [
        BillingLine(
            r.contract_id,
            f"{LINE_KEY}{r.id}",
            "penalty",
            line_description(r.invoice_number, r.due_date),
            r.amount,
            source={"penalty_id": r.id, "breach_id": r.breach_id, "clause": "8.2", "late_invoice": r.invoice_number},
        )
        for r in rows
    ]


def mark_billed(tenant: Tenant, billed: dict[str, int]) -> int:
    """Mark the penalties that went on an invoice as billed with that invoice's id, in the run's transaction."""
    rows = [
        {"p_id": int(key.removeprefix(LINE_KEY)), "p_invoice": invoice_id}
        for key, invoice_id in billed.items()
        if key.startswith(LINE_KEY)
    ]
    if not rows:
        return 0
    table = LatePenalty.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("p_id"), table.c.tenant_id == tenant.id, table.c.status == S.CONFIRMED)
        .values(status=S.BILLED, billed_invoice_id=bindparam("p_invoice"), billed_at=now()),
        rows,
    )
    return len(rows)


def list_penalties(tenant: Tenant, *, status: str = "", after: tuple[int, int] | None = None, limit: int = 25):
    """One page of the tenant's penalties, proposed first, then newest first; returns (rows, next_after).

    Keyset on (rank, id), rank 0 for proposed and 1 for the rest; `next_after` is that pair or None.
    """
    rank = case((LatePenalty.status == S.PROPOSED, 0), else_=1)
    stmt = (
        select(LatePenalty, rank.label("rank"))
        .options(
            selectinload(LatePenalty.breach),
            selectinload(LatePenalty.client),
            selectinload(LatePenalty.contract),
            selectinload(LatePenalty.decided_by),
            selectinload(LatePenalty.billed_invoice),
        )
        .where(LatePenalty.tenant_id == tenant.id)
    )
    if status:
        stmt = stmt.where(LatePenalty.status == status)
    if after:
        stmt = stmt.where((rank > after[0]) | ((rank == after[0]) & (LatePenalty.id < after[1])))
    rows = db.session.execute(stmt.order_by(rank, LatePenalty.id.desc()).limit(limit + 1)).all()
    more = rows[limit - 1] if len(rows) > limit else None
    return [r[0] for r in rows[:limit]], ((more[1], more[0].id) if more else None)


def of_contract(contract: Contract, decided_only: bool = False) -> list[tuple[PaymentBreach, LatePenalty | None]]:
    """The client's payment breaches on a contract with their penalties, newest first; `decided_only` leaves out
    the penalties still proposed (the client sees a penalty once the vendor has decided on it)."""
    rows = db.session.execute(
        select(PaymentBreach, LatePenalty)
        .outerjoin(LatePenalty, LatePenalty.breach_id == PaymentBreach.id)
        .options(selectinload(LatePenalty.billed_invoice))
        .where(PaymentBreach.contract_id == contract.id, PaymentBreach.tenant_id == contract.tenant_id)
        .order_by(PaymentBreach.due_date.desc(), PaymentBreach.id.desc())
    ).all()
    return [
        (breach, None if decided_only and penalty is not None and penalty.status == S.PROPOSED else penalty)
        for breach, penalty in rows
    ]


def measure(contract: Contract, today: date) -> dict[str, int]:
    """§8.1.4 on a contract: invoices due so far, those paid by their due date, and the client's breaches (one query).

    An invoice is met when it is paid and no breach was recorded for it: every invoice found owed after its due
    date gets one. One due but not yet swept, or still owed, is neither met nor breached yet.
    """
    due = (Invoice.due_date < today) & Invoice.status.not_in((InvoiceStatus.DRAFT, InvoiceStatus.VOID))
    met = due & (Invoice.status == InvoiceStatus.PAID) & PaymentBreach.id.is_(None)
    applied_n, met_n, breached_n = db.session.execute(
        select(func.sum(case((due, 1), else_=0)), func.sum(case((met, 1), else_=0)), func.count(PaymentBreach.id))
        .select_from(Invoice)
        .outerjoin(PaymentBreach, PaymentBreach.invoice_id == Invoice.id)
        .where(Invoice.contract_id == contract.id, Invoice.tenant_id == contract.tenant_id)
    ).one()
    return {"applied": int(applied_n or 0), "met": int(met_n or 0), "breached": int(breached_n or 0)}
