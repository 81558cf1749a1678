"""Cheques (§3.2.2): recorded as a pending payment, then deposited, cleared or bounced; the core moves the money.

received → deposited → cleared, or bounced (from deposited: the payment fails; from cleared, when the bank
returns it later: the payment is reversed and the invoices owe again). A bounced cheque charges the tenant's
bounce fee on the client's next invoice, through the billing-lines hooks.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from plugins.payments_cheque.models import Cheque, ChequeStatus
from saas.billing import payments
from saas.billing.models import Invoice, PaymentAllocation
from saas.contracts.models import Contract, ContractStatus
from saas.core import audit
from saas.core.bulk import among
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.models import Client, Tenant, User
from saas.core.money import quantize
from saas.core.plugins import BillingLine
from saas.core.tenants import plugin_settings
from saas.extensions import db

NAME = "payments_cheque"
#: The key of a bounce fee's invoice line: the prefix and the cheque's id.
FEE_KEY = f"{NAME}.bounce_fee:"
S = ChequeStatus
#: Where a cheque may go from each status; anything else is refused with a ChequeError.
TRANSITIONS = {S.RECEIVED: {S.DEPOSITED}, S.DEPOSITED: {S.CLEARED, S.BOUNCED}, S.CLEARED: {S.BOUNCED}, S.BOUNCED: set()}
STATUS_LABELS = {
    S.RECEIVED: _l("Received"),
    S.DEPOSITED: _l("Deposited"),
    S.CLEARED: _l("Cleared"),
    S.BOUNCED: _l("Bounced"),
}


class ChequeError(ServiceError):
    """A cheque cannot be recorded or moved this way; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def settings(tenant: Tenant) -> dict:
    """The tenant's cheque settings with their defaults: payee, deposit bank, bounce fee (Decimal), instructions."""
    stored = plugin_settings(tenant, NAME)
    try:
        fee = Decimal(stored.get("bounce_fee") or "0")
    except InvalidOperation:
        fee = Decimal(0)
    return {
        "payee": stored.get("payee") or tenant.legal_name,
        "deposit_bank": stored.get("deposit_bank") or "",
        "bounce_fee": fee if fee.is_finite() and fee > 0 else Decimal(0),
        "instructions": stored.get("instructions") or "",
    }


def clients(tenant: Tenant) -> list[tuple[int, str]]:
    """(id, legal name) of the tenant's clients, to choose whose cheque it is."""
    return db.session.execute(
        select(Client.id, Client.legal_name).where(Client.tenant_id == tenant.id).order_by(Client.legal_name)
    ).all()


def open_invoices(tenant: Tenant, client_id: int | None) -> list[Invoice]:
    """The client's invoices that still take money, oldest first (a cheque may name one)."""
    if not client_id:
        return []
    return db.session.scalars(
        select(Invoice)
        .where(
            Invoice.tenant_id == tenant.id, Invoice.client_id == client_id, Invoice.status.in_(payments.OPEN_INVOICES)
        )
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()


def reference(drawee_bank: str, number: str) -> str:
    """The core payment's reference: one per cheque, as people read it (bank, then number)."""
    return f"{drawee_bank} {number}"


def find(tenant: Tenant, drawee_bank: str, number: str) -> Cheque | None:
    """The tenant's cheque of that bank and number, if it is in the register."""
    return db.session.scalar(
        select(Cheque).where(Cheque.tenant_id == tenant.id, Cheque.drawee_bank == drawee_bank, Cheque.number == number)
    )


def _duplicate(found: Cheque | None, drawee_bank: str, number: str) -> ChequeError:
    when = found.received_on.isoformat() if found is not None else ""
    message = (
        _(
            "Cheque %(number)s of %(bank)s is already in the register (received on %(date)s).",
            number=number,
            bank=drawee_bank,
            date=when,
        )
        if found is not None
        else _("Cheque %(number)s of %(bank)s is already in the register.", number=number, bank=drawee_bank)
    )
    return ChequeError(message, "number")


def record(tenant: Tenant, data: dict, actor: User | None) -> Cheque:
    """Put a cheque in the register and announce its money to the core as a pending payment.

    `data` holds the form's fields (client_id, invoice_id or 0, number, drawee_bank, drawer_name, drawer_account,
    cheque_date, amount, currency, received_on, note). The same bank and number twice is refused.
    """
    client = Client.get_in(tenant, data.get("client_id"))
    if client is None:
        raise ChequeError(_("Choose one of your clients."), "client_id")
    invoice = None
    if data.get("invoice_id"):
        invoice = next((i for i in open_invoices(tenant, client.id) if i.id == data["invoice_id"]), None)
        if invoice is None:
            raise ChequeError(_("Choose one of this client's open invoices, or none."), "invoice_id")
        if invoice.currency != data["currency"]:
            raise ChequeError(
                _("The invoice is in %(currency)s: a cheque for it is too.", currency=invoice.currency), "currency"
            )
    today = local_today(tenant)
    if data["received_on"] > today:
        raise ChequeError(_("A cheque cannot be received after today."), "received_on")
    bank, number = data["drawee_bank"], data["number"]
    found = find(tenant, bank, number)
    if found is not None:
        raise _duplicate(found, bank, number)
    amount = quantize(data["amount"], data["currency"])
    payment, created = payments.record(
        tenant,
        client.id,
        NAME,
        reference(bank, number),
        amount,
        data["currency"],
        invoice_id=invoice.id if invoice else None,
        received_on=data["received_on"],
        data={"cheque": {"number": number, "bank": bank, "drawer": data["drawer_name"]}},
        note=data.get("note") or "",
    )
    if not created:  # recorded a moment ago by someone else (a double submit)
        raise _duplicate(find(tenant, bank, number), bank, number)
    cheque = Cheque(
        tenant_id=tenant.id,
        client_id=client.id,
        number=number,
        drawee_bank=bank,
        drawer_name=data["drawer_name"].strip(),
        drawer_account=data.get("drawer_account") or "",
        cheque_date=data["cheque_date"],
        amount=amount,
        currency=data["currency"],
        invoice_id=invoice.id if invoice else None,
        payment_id=payment.id,
        status=S.RECEIVED,
        note=data.get("note") or "",
        received_on=data["received_on"],
        received_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(cheque)
    except IntegrityError:
        raise _duplicate(None, bank, number) from None
    audit.record(
        "payments_cheque.recorded",
        tenant_id=tenant.id,
        target=cheque,
        actor=actor,
        number=number,
        bank=bank,
        amount=str(amount),
        currency=cheque.currency,
    )
    return cheque


def _move(cheque: Cheque, to: ChequeStatus, on: date, after: date, tenant: Tenant) -> bool:
    """Check a step on a locked cheque; False when it is there already (a double click), else the rules."""
    if cheque.status == to:
        return False
    if to not in TRANSITIONS[ChequeStatus(cheque.status)]:
        raise ChequeError(
            _(
                "The cheque is “%(old)s”: it cannot become “%(new)s”.",
                old=status_label(cheque.status),
                new=status_label(to),
            )
        )
    if on > local_today(tenant):
        raise ChequeError(_("This date is in the future."), "on")
    if on < after:
        raise ChequeError(_("This date is before the cheque's previous step (%(date)s).", date=after.isoformat()), "on")
    cheque.status = to
    return True


def deposit(tenant: Tenant, cheque: Cheque, on: date, actor: User | None, bank: str = "") -> bool:
    """The cheque is paid in at the vendor's bank; no money yet. Returns False if it was already."""
    if cheque.status == S.RECEIVED and on < cheque.cheque_date:
        raise ChequeError(
            _("A cheque cannot be deposited before its date (%(date)s).", date=cheque.cheque_date.isoformat()), "on"
        )
    if not _move(cheque, S.DEPOSITED, on, cheque.received_on, tenant):
        return False
    cheque.deposited_on, cheque.deposited_by_id = on, actor.id if actor else None
    cheque.deposit_bank = (bank or "").strip() or settings(tenant)["deposit_bank"]
    audit.record("payments_cheque.deposited", tenant_id=tenant.id, target=cheque, actor=actor, on=on.isoformat())
    db.session.flush()
    return True


def clear(tenant: Tenant, cheque: Cheque, on: date, actor: User | None) -> bool:
    """The bank paid: the core's payment succeeds and allocates it (overpayment: the client's credit)."""
    if not _move(cheque, S.CLEARED, on, cheque.deposited_on or cheque.received_on, tenant):
        return False
    cheque.cleared_on, cheque.cleared_by_id = on, actor.id if actor else None
    payments.succeed(cheque.payment, [cheque.invoice] if cheque.invoice is not None else None)
    audit.record("payments_cheque.cleared", tenant_id=tenant.id, target=cheque, actor=actor, on=on.isoformat())
    db.session.flush()
    return True


def bounce(tenant: Tenant, cheque: Cheque, on: date, reason: str, actor: User | None) -> bool:
    """The bank refused or returned the cheque: before clearing the payment fails; after, it is reversed and the
    invoices it paid owe again. The tenant's bounce fee waits for the client's next invoice."""
    was, reason = cheque.status, reason.strip()
    if not reason and was != S.BOUNCED:
        raise ChequeError(_("Say why the bank returned the cheque."), "reason")
    if not _move(cheque, S.BOUNCED, on, cheque.cleared_on or cheque.deposited_on or cheque.received_on, tenant):
        return False
    if was == S.CLEARED:
        payments.reverse(
            cheque.payment, _("Cheque %(number)s returned: %(reason)s", number=cheque.number, reason=reason)
        )
    else:
        payments.fail(cheque.payment)
    cheque.bounced_on, cheque.bounced_by_id, cheque.bounce_reason = on, actor.id if actor else None, reason
    cheque.bounce_fee = quantize(settings(tenant)["bounce_fee"], cheque.currency)
    cheque.fee_contract_id = _fee_contract_id(cheque) if cheque.bounce_fee > 0 else None
    audit.record(
        "payments_cheque.bounced",
        tenant_id=tenant.id,
        target=cheque,
        actor=actor,
        on=on.isoformat(),
        reason=reason,
        after_clearing=was == S.CLEARED,
        fee=str(cheque.bounce_fee),
    )
    db.session.flush()
    return True


def _fee_contract_id(cheque: Cheque) -> int | None:
    """The agreement whose next invoice carries the bounce fee: the one of the invoice the cheque paid (named, or
    the first it was allocated to), else the client's agreement in force."""
    if cheque.invoice is not None:
        return cheque.invoice.contract_id
    paid = db.session.scalar(
        select(Invoice.contract_id)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .where(PaymentAllocation.payment_id == cheque.payment_id, PaymentAllocation.amount > 0)
        .order_by(PaymentAllocation.id)
        .limit(1)
    )
    if paid is not None:
        return paid
    return db.session.scalar(
        select(Contract.id)
        .where(
            Contract.tenant_id == cheque.tenant_id,
            Contract.client_id == cheque.client_id,
            Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.EXPIRING)),
        )
        .order_by(Contract.effective_date.desc(), Contract.id.desc())
        .limit(1)
    )


def allowed_steps(cheque: Cheque) -> set[ChequeStatus]:
    """Where this cheque may go next (the buttons on its page)."""
    return TRANSITIONS[ChequeStatus(cheque.status)]


def list_cheques(
    tenant: Tenant, *, client_id: int | None = None, status: str = "", after: int | None = None, limit: int = 25
) -> tuple[list[Cheque], int | None]:
    """One page of the register, newest first (keyset on id); returns (rows, next_after)."""
    stmt = select(Cheque).options(selectinload(Cheque.client), selectinload(Cheque.invoice))
    stmt = stmt.where(Cheque.tenant_id == tenant.id)
    if client_id:
        stmt = stmt.where(Cheque.client_id == client_id)
    if status in S.__members__.values():
        stmt = stmt.where(Cheque.status == status)
    if after:
        stmt = stmt.where(Cheque.id < after)
    rows = db.session.scalars(stmt.order_by(Cheque.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def awaiting(tenant: Tenant) -> int:
    """How many cheques are not settled yet (received or deposited), for the dashboard."""
    return (
        db.session.scalar(
            select(func.count(Cheque.id)).where(
                Cheque.tenant_id == tenant.id, Cheque.status.in_((S.RECEIVED, S.DEPOSITED))
            )
        )
        or 0
    )


def fee_lines(tenant: Tenant, contract_ids: list[int]) -> list[BillingLine]:
    """The bounce fees waiting for these contracts' next invoices (one query for the whole chunk)."""
    if not contract_ids:
        return []
    rows = db.session.scalars(
        select(Cheque)
        .where(
            Cheque.tenant_id == tenant.id,
            Cheque.status == S.BOUNCED,
            among(Cheque.fee_contract_id, contract_ids),
            Cheque.fee_invoice_id.is_(None),
            Cheque.bounce_fee > 0,
        )
        .order_by(Cheque.id)
    ).all()
    # Invoice lines are data, printed in both languages: the description is written in both.
    return [
        BillingLine(
            c.fee_contract_id,
            f"{FEE_KEY}{c.id}",
            "fee",
            f"退票手续费 Returned cheque fee: {c.drawee_bank} {c.number} ({c.bounced_on.isoformat()})",
            c.bounce_fee,
            source={"cheque_id": c.id},
        )
        for c in rows
    ]


def mark_fees_billed(tenant: Tenant, billed: dict[str, int]) -> None:
    """Note on each cheque the invoice its bounce fee went on, so no later run bills it again."""
    for key, invoice_id in billed.items():
        if key.startswith(FEE_KEY):
            db.session.execute(
                update(Cheque)
                .where(Cheque.tenant_id == tenant.id, Cheque.id == int(key.removeprefix(FEE_KEY)))
                .values(fee_invoice_id=invoice_id)
            )


def instructions_context(tenant: Tenant, invoice: Invoice) -> dict:
    """What the invoice's cheque instructions say: payee, amount, invoice number, where to send it."""
    conf = settings(tenant)
    return {"payee": conf["payee"], "invoice": invoice, "vendor": tenant, "instructions": conf["instructions"]}


def status_label(status: str) -> str:
    """The translated name of a cheque status."""
    return str(STATUS_LABELS.get(status, status))
