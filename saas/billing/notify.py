"""E-mail about invoices: each issued invoice goes to the client's billing contacts with its PDF, after the commit.

Services note the invoices they issue in the outbox (saas/core/outbox.py); once the change commits,
`mail_invoices` runs per batch and mails each contact once per invoice (the mail dedupe key), so a retried
job sends nothing twice.
"""

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.billing import document
from saas.billing.models import Invoice
from saas.core.i18n import format_money_filter
from saas.core.mail import MailAttachment, both_languages, send_mail
from saas.core.models import ClientContact
from saas.core.outbox import send_after_commit
from saas.extensions import db
from saas.jobs import task


def note_issued(invoice_ids: list[int]) -> None:
    """Mail these invoices, issued in this transaction, once it commits (saas/core/outbox.py)."""
    send_after_commit(mail_invoices, invoice_ids, key="invoice-mail")


def billing_contacts(client_ids: set[int]) -> dict[int, list[str]]:
    """The e-mail addresses of each client's billing contacts (§3.1: invoices go to them)."""
    rows = db.session.execute(
        select(ClientContact.client_id, ClientContact.email)
        .where(ClientContact.client_id.in_(client_ids), ClientContact.is_billing, ClientContact.email != "")
        .order_by(ClientContact.id)
    ).all()
    found: dict[int, list[str]] = {}
    for client_id, email in rows:
        found.setdefault(client_id, []).append(email)
    return found


@task
def mail_invoices(invoice_ids: list[int]) -> int:
    """Mail issued invoices to their clients' billing contacts, with the PDF in both languages; returns mails."""
    invoices = db.session.scalars(
        select(Invoice)
        .options(selectinload(Invoice.contract), selectinload(Invoice.client))
        .where(Invoice.id.in_(invoice_ids))
        .order_by(Invoice.id)
    ).all()
    contacts = billing_contacts({i.client_id for i in invoices})
    sent = 0
    for invoice in invoices:
        attachments = pdf_attachments(invoice)
        for email in contacts.get(invoice.client_id, []):
            send_invoice(invoice, email, attachments)
            sent += 1
    return sent


def pdf_attachments(invoice: Invoice) -> tuple[MailAttachment, ...]:
    """The invoice's PDF in both languages, each made at most once however many contacts it goes to."""

    def made_once(language):
        return cache(lambda: document.render_pdf(invoice, language))

    return tuple(
        MailAttachment(document.pdf_filename(invoice, language), "application/pdf", made_once(language))
        for language in document.LANGUAGES
    )


def send_invoice(invoice: Invoice, email: str, attachments: tuple[MailAttachment, ...]) -> None:
    """One invoice to one contact, once."""
    vendor = invoice.contract.tenant
    link = document.pay_link(invoice)

    def body():
        return _(
            "%(vendor)s has issued invoice %(number)s for agreement %(contract)s, period %(start)s to %(end)s.\n\n"
            "Amount: %(amount)s\nDue by: %(due)s\n\nSee the invoice and how to pay it: %(link)s\n"
            "The invoice is attached as PDF.",
            vendor=vendor.legal_name,
            number=invoice.number,
            contract=invoice.contract.number,
            start=invoice.period_start.isoformat(),
            end=invoice.period_last_day.isoformat(),
            amount=format_money_filter(invoice.balance, invoice.currency),
            due=invoice.due_date.isoformat(),
            link=link,
        )

    send_mail(
        dedupe_key=f"invoice:{invoice.id}:{email}",
        to=email,
        tenant_id=invoice.tenant_id,
        subject=both_languages(lambda: _("Invoice %(number)s", number=invoice.number), " / "),
        body=both_languages(body),
        attachments=attachments,
    )
