"""The §8.2 penalty of a client breach of materials (Part 3, 说明二 1.2): the vendor proposes it on a base it states
(a service line's monthly fee, or an amount it explains) × the contract's penalty rate, rounded half-up once;
billing staff confirm or waive it (with a reason); confirmed, it goes once on the contract's next invoice as a
penalty line, through the billing-lines hooks, as late payment's penalty does (saas/billing/late.py)."""

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from saas.billing.late import STATUS_LABELS, PenaltyError, move_penalty, penalty_amount  # noqa: F401 (labels for views)
from saas.billing.payments import lock
from saas.billing.penalty_models import PenaltyStatus
from saas.contracts.models import ContractLine
from saas.core import audit
from saas.core.bulk import among
from saas.core.clock import now
from saas.core.mail import both_languages
from saas.core.models import Tenant, User
from saas.core.money import quantize
from saas.core.plugins import BillingLine
from saas.extensions import db
from saas.materials.models import ClientBreach, MaterialsPenalty

S = PenaltyStatus
#: The key prefix of the penalty lines handed to the billing run (saas_billing_lines): "materials.penalty:12".
LINE_KEY = "materials.penalty:"


def base_of_line(line: ContractLine) -> tuple[Decimal, str]:
    """A service line's monthly fee as the base (quantity × monthly fee), with how it was found."""
    currency = line.contract.currency
    basis = quantize(line.quantity * line.monthly_fee, currency)
    return basis, f"{line.description}: {line.quantity.normalize():f} × {line.monthly_fee} {currency}"


def propose(
    breach: ClientBreach,
    actor: User,
    *,
    line: ContractLine | None = None,
    basis: Decimal | None = None,
    basis_note: str = "",
) -> MaterialsPenalty:
    """Propose the §8.2 penalty of a client breach: base × the contract's penalty rate, rounded half-up once.

    The base is a service line's monthly fee (`line`) or an amount the vendor states with how it found it. One
    penalty per breach: a second proposal (or two at once) is refused. In the caller's transaction."""
    contract = breach.contract
    if contract.penalty_rate is None or contract.penalty_rate <= 0:
        raise PenaltyError(_("The agreement's penalty rate is nil: there is no penalty to propose."))
    if line is not None:
        if line.contract_id != contract.id:
            raise PenaltyError(_("Choose a service line of this agreement."))
        basis, basis_note = base_of_line(line)
    else:
        basis_note = (basis_note or "").strip()
        if basis is None or basis <= 0:
            raise PenaltyError(_("Give the base of the penalty: a service line's fee, or an amount above zero."))
        if quantize(basis, contract.currency) != basis:
            raise PenaltyError(_("Give the amount in the currency's smallest unit at most."))
        if not basis_note:
            raise PenaltyError(_("Say how the base was found (which fee, which period)."))
    penalty = MaterialsPenalty(
        tenant_id=breach.tenant_id,
        client_id=breach.client_id,
        breach_id=breach.id,
        contract_id=contract.id,
        contract_line_id=line.id if line is not None else None,
        clause="8.2",
        basis=basis,
        basis_note=basis_note[:500],
        rate=contract.penalty_rate,
        amount=penalty_amount(basis, contract.penalty_rate, contract.currency),
        currency=contract.currency,
        status=S.PROPOSED,
        proposed_by_id=actor.id,
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(penalty)
            db.session.flush()
    except IntegrityError:
        raise PenaltyError(_("A penalty was proposed for this breach already.")) from None
    audit.record(
        "materials.penalty_proposed",
        tenant_id=penalty.tenant_id,
        target=penalty,
        actor=actor,
        amount=str(penalty.amount),
        breach=breach.id,
    )
    return penalty


def of_breach(breach: ClientBreach) -> MaterialsPenalty | None:
    return db.session.scalar(select(MaterialsPenalty).where(MaterialsPenalty.breach_id == breach.id))


def confirm(penalty: MaterialsPenalty, actor: User, note: str = "") -> bool:
    """Confirm a proposed penalty (§8.2): it goes on the contract's next invoice. False if it was confirmed already."""
    penalty = lock(MaterialsPenalty, penalty.id)  # two clicks or two people take turns
    if not move_penalty(penalty, S.CONFIRMED):
        return False
    penalty.note, penalty.decided_by_id, penalty.decided_at = (note or "").strip(), actor.id, now()
    audit.record(
        "materials.penalty_confirmed",
        tenant_id=penalty.tenant_id,
        target=penalty,
        actor=actor,
        amount=str(penalty.amount),
    )
    db.session.flush()
    return True


def waive(penalty: MaterialsPenalty, actor: User, reason: str) -> bool:
    """Give up a proposed penalty, for a reason the client reads; nothing is billed. False if waived already."""
    reason = (reason or "").strip()
    if not reason:
        raise PenaltyError(_("Say why the penalty is waived."))
    penalty = lock(MaterialsPenalty, penalty.id)
    if not move_penalty(penalty, S.WAIVED):
        return False
    penalty.note, penalty.decided_by_id, penalty.decided_at = reason, actor.id, now()
    audit.record(
        "materials.penalty_waived",
        tenant_id=penalty.tenant_id,
        target=penalty,
        actor=actor,
        amount=str(penalty.amount),
        reason=reason[:200],
    )
    db.session.flush()
    return True


def line_description(request_number: int, due_at: str) -> str:
    """The penalty's line on the next invoice, in both languages: it names the request, the deadline, the clauses."""
    return both_languages(
        lambda: _(
            "Penalty (§8.2) for technical materials of request #%(number)s not supplied by %(due)s "
            "(Part 3, 说明二 1.2)",
            number=request_number,
            due=due_at[:10],
        ),
        " / ",
    )


def billing_lines(tenant: Tenant, contract_ids: list[int]) -> list[BillingLine]:
    """The confirmed penalties of these contracts not billed yet, as invoice lines of kind penalty (one query)."""
    rows = db.session.execute(
        select(MaterialsPenalty.id, MaterialsPenalty.contract_id, MaterialsPenalty.amount, ClientBreach)
        .join(ClientBreach, ClientBreach.id == MaterialsPenalty.breach_id)
        .where(
            MaterialsPenalty.tenant_id == tenant.id,
            among(MaterialsPenalty.contract_id, contract_ids),
            MaterialsPenalty.status == S.CONFIRMED,
            MaterialsPenalty.billed_invoice_id.is_(None),
        )
        .order_by(MaterialsPenalty.id)
    ).all()
    return [
        BillingLine(
            contract_id,
            f"{LINE_KEY}{ident}",
            "penalty",
            line_description(breach.evidence.get("request"), breach.evidence.get("due_at", "")),
            amount,
            source={"materials_penalty_id": ident, "client_breach_id": breach.id, "clause": "8.2"},
        )
        for ident, contract_id, amount, breach in rows
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
    table = MaterialsPenalty.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("p_id"), table.c.tenant_id == tenant.id, table.c.status == S.CONFIRMED)
        .values(status=S.BILLED, billed_invoice_id=bindparam("p_invoice"), billed_at=now()),
        rows,
    )
    return len(rows)
