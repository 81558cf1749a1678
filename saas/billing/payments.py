"""Payments (§3.2): the core owns the money. A method's plugin records a payment and moves it through its states;
only this module writes allocations, balances and the client's credit."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from saas.billing.models import (
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
)
from saas.core import audit, events
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import Client, Tenant
from saas.core.money import quantize
from saas.extensions import db

P = PaymentStatus
#: The payment state machine; anything else is refused with a PaymentError.
TRANSITIONS = {P.PENDING: {P.SUCCEEDED, P.FAILED}, P.SUCCEEDED: {P.REVERSED}, P.FAILED: set(), P.REVERSED: set()}
#: Invoices that still take money.
OPEN_INVOICES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


class PaymentError(ServiceError):
    """A payment cannot move this way (e.g. a failed one succeeding, a reversal of money never received)."""


def lock(model, ident):
    """A row locked until commit: two notices, or a notice and a clerk, take turns on the same money."""
    return db.session.scalar(
        select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    )


def record(
    tenant: Tenant,
    client_id: int,
    provider: str,
    reference: str,
    amount: Decimal,
    currency: str,
    *,
    invoice_id: int | None = None,
    received_on: date | None = None,
    data: dict | None = None,
    note: str = "",
) -> tuple[Payment, bool]:
    """Record a payment announced by a method, pending; the same (provider, reference) again returns the first.

    Returns (payment, created). A second notice with another amount is refused: it is not the same payment.
    """
    amount = quantize(amount, currency)
    if amount <= 0:
        raise PaymentError(_("A payment is an amount above zero."))
    client = Client.get_in(tenant, client_id)
    if client is None:
        raise PaymentError(_("Choose one of your clients."))
    if invoice_id is not None:
        invoice = Invoice.get_in(tenant, invoice_id, client_id)
        if invoice is None:
            raise PaymentError(_("This invoice is not one of this client's."))
    existing = _by_reference(tenant.id, provider, reference)
    if existing is None:
        try:
            with db.session.begin_nested():
                existing = Payment(
                    tenant_id=tenant.id,
                    client_id=client_id,
                    provider=provider,
                    reference=reference,
                    amount=amount,
                    currency=currency,
                    invoice_id=invoice_id,
                    received_on=received_on,
                    data=data or {},
                    note=note,
                    status=P.PENDING,
                    created_at=now(),
                )
                db.session.add(existing)
            audit.record(
                "billing.payment_recorded",
                tenant_id=tenant.id,
                target=existing,
                provider=provider,
                reference=reference,
                amount=str(amount),
            )
            return existing, True
        except IntegrityError:  # the same notice, at the same moment: the other one wrote it
            existing = _by_reference(tenant.id, provider, reference)
    if existing.amount != amount or existing.client_id != client_id or existing.currency != currency:
        raise PaymentError(_("Payment %(reference)s is already recorded with other details.", reference=reference))
    return existing, False


def _by_reference(tenant_id: int, provider: str, reference: str) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(
            Payment.tenant_id == tenant_id, Payment.provider == provider, Payment.reference == reference
        )
    )


def _move(payment: Payment, to: PaymentStatus) -> bool:
    """Change a locked payment's status; False when it is there already (a repeated notice), else the check."""
    if payment.status == to:
        return False
    if to not in TRANSITIONS[PaymentStatus(payment.status)]:
        raise PaymentError(_("A payment cannot go from %(old)s to %(new)s.", old=payment.status, new=to))
    payment.status = to
    return True


def succeed(payment: Payment, invoices: list[Invoice] | None = None) -> list[PaymentAllocation]:
    """The money is in: allocate it to the invoice it was for, then the client's oldest open invoices; any rest
    becomes the client's credit (§3.2). Once only: a repeated call allocates nothing more."""
    payment = lock(Payment, payment.id)
    if not _move(payment, P.SUCCEEDED):
        return []
    targets = invoices if invoices is not None else _open_invoices(payment)
    remaining, allocations = payment.amount, []
    for invoice in targets:
        invoice = lock(Invoice, invoice.id)
        if remaining <= 0 or invoice.status not in OPEN_INVOICES or invoice.client_id != payment.client_id:
            continue
        part = min(remaining, invoice.balance)
        if part <= 0:
            continue
        allocations.append(_allocate(payment, invoice, part))
        remaining -= part
    if remaining > 0:
        db.session.add(
            CreditEntry(
                tenant_id=payment.tenant_id,
                client_id=payment.client_id,
                amount=remaining,
                currency=payment.currency,
                payment_id=payment.id,
                created_at=now(),
                note="overpayment",
            )
        )
    audit.record(
        "billing.payment_succeeded",
        tenant_id=payment.tenant_id,
        target=payment,
        allocated=str(payment.amount - remaining),
        credit=str(remaining),
    )
    db.session.flush()
    if events.wanted(payment.tenant_id, "payment.received"):
        events.publish(payment.tenant_id, "payment.received", payment_event_data(payment, allocations, remaining))
    return allocations


def payment_event_data(payment: Payment, allocations: list[PaymentAllocation], credit: Decimal) -> dict:
    """What a webhook is told of a payment received: amount, method, and the invoices it paid (money as strings)."""
    paid = select(Invoice.id, Invoice.number).where(Invoice.id.in_([a.invoice_id for a in allocations]))
    numbers = {row.id: row.number for row in db.session.execute(paid)}
    return {
        "payment": {
            "id": payment.id,
            "client_id": payment.client_id,
            "method": payment.provider,
            "reference": payment.reference,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "received_on": payment.received_on.isoformat() if payment.received_on else None,
            "credit": str(credit),
            "allocations": [
                {"invoice_id": a.invoice_id, "invoice_number": numbers.get(a.invoice_id), "amount": str(a.amount)}
                for a in allocations
            ],
        }
    }


def _open_invoices(payment: Payment) -> list[Invoice]:
    """The invoice the payer named first, then the client's other open invoices, oldest first."""
    rows = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.client_id == payment.client_id,
            Invoice.currency == payment.currency,
            Invoice.status.in_(OPEN_INVOICES),
        )
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    return sorted(rows, key=lambda i: i.id != payment.invoice_id)


def _allocate(payment: Payment | None, invoice: Invoice, amount: Decimal) -> PaymentAllocation:
    allocation = PaymentAllocation(
        tenant_id=invoice.tenant_id,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        payment_id=payment.id if payment else None,
        amount=amount,
        created_at=now(),
    )
    db.session.add(allocation)
    invoice.balance -= amount
    invoice.status = invoice_status(invoice)
    return allocation


def invoice_status(invoice: Invoice) -> str:
    """Paid, partially paid or still owed (overdue once past its due date), from the balance; what credit notes
    took off is not a payment."""
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        return invoice.status
    if invoice.balance <= 0:
        return InvoiceStatus.PAID
    if invoice.status == InvoiceStatus.OVERDUE or (invoice.due_date < _today(invoice) and invoice.balance > 0):
        return InvoiceStatus.OVERDUE
    owed = invoice.total - credited(invoice)
    return InvoiceStatus.PARTIALLY_PAID if invoice.balance < owed else InvoiceStatus.ISSUED


def _today(invoice: Invoice) -> date:
    from saas.core.clock import local_today

    return local_today(invoice.contract.tenant)


def fail(payment: Payment) -> None:
    """The announced money never came (an online payment abandoned)."""
    payment = lock(Payment, payment.id)
    _move(payment, P.FAILED)


def reverse(payment: Payment, reason: str) -> None:
    """Money that came is taken back (a bounced cheque): its allocations are undone, its credit withdrawn, the
    invoices owe again. Written as new negative rows: nothing is deleted."""
    payment = lock(Payment, payment.id)
    if not _move(payment, P.REVERSED):
        return
    allocated = db.session.execute(
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.payment_id == payment.id)
        .group_by(PaymentAllocation.invoice_id)
    ).all()
    # the credit this payment left (its overpayment), read before the reversal writes rows of its own
    credit = db.session.scalar(select(func.sum(CreditEntry.amount)).where(CreditEntry.payment_id == payment.id))
    for invoice_id, amount in allocated:
        if amount:
            invoice = lock(Invoice, invoice_id)
            _allocate(payment, invoice, -amount)
            _cap_after_credit_notes(invoice, payment)
    if credit:
        db.session.add(
            CreditEntry(
                tenant_id=payment.tenant_id,
                client_id=payment.client_id,
                amount=-credit,
                currency=payment.currency,
                payment_id=payment.id,
                created_at=now(),
                note="reversed",
            )
        )
    payment.note = (payment.note + "\n" + reason).strip()
    audit.record("billing.payment_reversed", tenant_id=payment.tenant_id, target=payment, reason=reason)
    db.session.flush()


def credited(invoice: Invoice) -> Decimal:
    """What credit notes have taken off an invoice so far."""
    return db.session.scalar(
        select(func.coalesce(func.sum(CreditNote.amount), 0)).where(CreditNote.invoice_id == invoice.id)
    ) or Decimal(0)


def _cap_after_credit_notes(invoice: Invoice, payment: Payment) -> None:
    """A reversed payment makes an invoice owe again, but never more than its credit notes left (nothing once void):
    what its credit notes had turned into the client's credit is taken back from that credit instead."""
    cap = Decimal(0) if invoice.status == InvoiceStatus.VOID else invoice.total - credited(invoice)
    if invoice.balance > cap:
        db.session.add(
            CreditEntry(
                tenant_id=invoice.tenant_id,
                client_id=invoice.client_id,
                amount=cap - invoice.balance,
                currency=invoice.currency,
                payment_id=payment.id,
                invoice_id=invoice.id,
                created_at=now(),
                note="reversed",
            )
        )
        invoice.balance = cap
        invoice.status = invoice_status(invoice)


def credit_balance(client_id: int, currency: str) -> Decimal:
    """The client's unapplied credit in a currency."""
    return db.session.scalar(
        select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.client_id == client_id, CreditEntry.currency == currency
        )
    ) or Decimal(0)


def apply_credit(invoice: Invoice) -> Decimal:
    """Use the client's credit on an open invoice (§3.2: an overpayment goes to the next invoice); returns how much."""
    invoice = lock(Invoice, invoice.id)
    db.session.scalar(select(Client.id).where(Client.id == invoice.client_id).with_for_update())  # one at a time
    available = credit_balance(invoice.client_id, invoice.currency)
    part = min(available, invoice.balance) if invoice.status in OPEN_INVOICES else Decimal(0)
    if part <= 0:
        return Decimal(0)
    _allocate(None, invoice, part)
    db.session.add(
        CreditEntry(
            tenant_id=invoice.tenant_id,
            client_id=invoice.client_id,
            amount=-part,
            currency=invoice.currency,
            invoice_id=invoice.id,
            created_at=now(),
            note="applied",
        )
    )
    db.session.flush()
    return part


def credit_from_invoice(invoice: Invoice) -> None:
    """An invoice whose credits outweigh its charges owes nothing: the difference is the client's credit."""
    invoice = lock(Invoice, invoice.id)
    if invoice.total >= 0 or invoice.status == InvoiceStatus.PAID:
        return
    db.session.add(
        CreditEntry(
            tenant_id=invoice.tenant_id,
            client_id=invoice.client_id,
            amount=-invoice.total,
            currency=invoice.currency,
            invoice_id=invoice.id,
            created_at=now(),
            note="credit invoice",
        )
    )
    invoice.balance, invoice.status = Decimal(0), InvoiceStatus.PAID
    db.session.flush()


def payments_of(invoice: Invoice) -> list[tuple[PaymentAllocation, Payment | None]]:
    """What was set against an invoice, with the payment each part came from (None: the client's credit)."""
    rows = db.session.execute(
        select(PaymentAllocation, Payment)
        .outerjoin(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == invoice.id)
        .order_by(PaymentAllocation.id)
    ).all()
    return [(allocation, payment) for allocation, payment in rows]


class Allocated(NamedTuple):
    """One invoice a payment paid, and how much of it went there."""

    invoice_id: int
    number: str
    amount: Decimal


def allocated_invoices(tenant: Tenant, payment_ids) -> dict[int, list[Allocated]]:
    """The invoices each of these payments of the tenant was set against, in allocation order: one query for all."""
    payment_ids = list(payment_ids)
    found: dict[int, list[Allocated]] = {pid: [] for pid in payment_ids}
    if not payment_ids:
        return found
    rows = db.session.execute(
        select(PaymentAllocation.payment_id, Invoice.id, Invoice.number, PaymentAllocation.amount)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.tenant_id == tenant.id, PaymentAllocation.payment_id.in_(payment_ids))
        .order_by(PaymentAllocation.id)
    )
    for payment_id, invoice_id, number, amount in rows:
        found[payment_id].append(Allocated(invoice_id, number, amount))
    return found


def allocations_of(payment: Payment) -> list[Allocated]:
    """The invoices one payment was set against, in allocation order."""
    return allocated_invoices(db.session.get(Tenant, payment.tenant_id), [payment.id])[payment.id]


def mark_overdue(tenant: Tenant, today: date) -> int:
    """Invoices still owed after their due date become overdue (§3.1.2, §8.1.4); returns how many moved."""
    from sqlalchemy import update

    result = db.session.execute(
        update(Invoice)
        .where(
            Invoice.tenant_id == tenant.id,
            Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)),
            Invoice.due_date < today,
            Invoice.balance > 0,
        )
        .values(status=InvoiceStatus.OVERDUE)
    )
    return result.rowcount
