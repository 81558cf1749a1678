"""Correcting invoices (§3.1): drafts reviewed then issued, credit notes, void. Nothing is ever deleted.

A credit note lowers what an invoice owes; voiding credits the whole amount not credited yet. Whatever the
client had already paid beyond what the invoice now owes becomes the client's credit for the next invoice.
"""

from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from saas.billing import late, services
from saas.billing.models import CreditEntry, CreditNote, Invoice, InvoiceStatus
from saas.billing.payments import credited, invoice_status, lock
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.i18n import format_money_filter
from saas.core.money import quantize
from saas.extensions import db


def issue_credit_note(invoice: Invoice, amount: Decimal | None, reason: str, user, *, void: bool = False) -> CreditNote:
    """Credit part of an invoice, or void it (amount None: all that is not credited yet), numbered CN-YYYY-NNNNNN.

    Drafts are only voided (they were never sent); a void invoice takes no more credit notes.
    """
    invoice = lock(Invoice, invoice.id)
    if invoice.status == InvoiceStatus.VOID:
        raise ServiceError(_("This invoice is void already."))
    if invoice.status == InvoiceStatus.DRAFT and not void:
        raise ServiceError(_("A draft is not sent to the client: issue it first, or void it."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the credit note."))
    creditable = invoice.total - credited(invoice)
    if creditable <= 0:  # a credit invoice (its total below zero) or one credited in full already
        raise ServiceError(_("This invoice carries nothing left to credit."))
    amount = creditable if void else quantize(amount or 0, invoice.currency)
    if not void and not 0 < amount <= creditable:
        most = format_money_filter(creditable, invoice.currency)
        raise ServiceError(_("A credit note is above zero and at most %(max)s.", max=most))
    tenant = invoice.contract.tenant
    today = local_today(tenant)
    counter = services.lock_numbers(tenant.id, today.year, series="CN")
    counter.last_value += 1
    note = CreditNote(
        tenant_id=invoice.tenant_id,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        number=f"CN-{today.year}-{counter.last_value:06d}",
        amount=amount,
        currency=invoice.currency,
        reason=reason,
        voids=void,
        issue_date=today,
        created_by_id=getattr(user, "id", None),
        created_at=now(),
    )
    db.session.add(note)
    db.session.flush()
    owed = invoice.balance - amount
    if owed < 0:  # already paid beyond what it now owes: the difference is the client's
        db.session.add(
            CreditEntry(
                tenant_id=invoice.tenant_id,
                client_id=invoice.client_id,
                amount=-owed,
                currency=invoice.currency,
                invoice_id=invoice.id,
                created_at=now(),
                note=note.number,
            )
        )
    invoice.balance = max(owed, Decimal(0))
    # credited in full, the invoice no longer stands: void, whether it was asked as a void or not
    invoice.status = InvoiceStatus.VOID if void or amount == creditable else invoice_status(invoice)
    if invoice.status == InvoiceStatus.VOID:
        late.withdraw_penalties(
            invoice, _("Its invoice %(number)s was voided by %(note)s.", number=invoice.number, note=note.number)
        )
    audit.record(
        "billing.invoice_voided" if void else "billing.credit_note_issued",
        tenant_id=invoice.tenant_id,
        target=invoice,
        credit_note=note.number,
        amount=str(amount),
        reason=reason,
    )
    db.session.flush()
    return note


def issue_draft(invoice: Invoice, user) -> None:
    """Send a reviewed draft to the client: dated today, due after the agreement's net days (§3.1.2), mailed."""
    invoice = lock(Invoice, invoice.id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ServiceError(_("Only a draft can be issued."))
    tenant = invoice.contract.tenant
    today = local_today(tenant)
    invoice.issue_date, invoice.due_date = today, today + timedelta(days=invoice.contract.payment_net_days)
    invoice.status = InvoiceStatus.ISSUED
    audit.record(
        "billing.invoice_issued", tenant_id=invoice.tenant_id, target=invoice, actor=user, number=invoice.number
    )
    db.session.flush()
    services.issued(tenant, [invoice.id])


def issue_drafts(tenant, user) -> int:
    """Issue every draft of the tenant waiting for review, oldest first; returns how many."""
    drafts = db.session.scalars(
        select(Invoice)
        .where(Invoice.tenant_id == tenant.id, Invoice.status == InvoiceStatus.DRAFT)
        .order_by(Invoice.id)
    ).all()
    for invoice in drafts:
        issue_draft(invoice, user)
    return len(drafts)
