"""The invoice as a document people read (§3.1): HTML and PDF in Chinese or English, with how to pay it."""

from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from saas.billing import methods
from saas.billing.models import CreditNote, Invoice, PaymentAllocation
from saas.core.links import external_url
from saas.extensions import db

LANGUAGES = ("zh_Hans_CN", "en")
DOCUMENT_CSS = "/static/css/document.css"


def pay_link(invoice: Invoice) -> str:
    """Where the client opens this invoice to pay it online (the portal page), for the QR code and mail."""
    return external_url("portal_billing.portal_detail", tenant=invoice.contract.tenant.slug, invoice_id=invoice.id)


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG (segno): sharp in the PDF, no image file to fetch."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=3, border=2, dark="#1d2430")


def credit_notes(invoice: Invoice) -> list[CreditNote]:
    """The credit notes issued against an invoice, oldest first."""
    return list(
        db.session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id).order_by(CreditNote.id))
    )


def paid_amount(invoice: Invoice) -> Decimal:
    """What payments and applied credit have paid of an invoice (reversals netted)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(PaymentAllocation.invoice_id == invoice.id)
    ) or Decimal(0)


def render_html(invoice: Invoice, language: str) -> str:
    """The invoice in one language as a self-contained HTML document (the PDF's source)."""
    if language not in LANGUAGES:
        raise ValueError(language)
    tenant = invoice.contract.tenant
    with force_locale(language):
        online = bool(methods.online_methods(tenant))
        link = pay_link(invoice)
        return current_app.jinja_env.get_template("billing/document.html").render(
            invoice=invoice,
            vendor=tenant,
            client=invoice.client,
            instructions=methods.instructions(tenant, invoice),
            credit_notes=credit_notes(invoice),
            paid=paid_amount(invoice),
            pay_link=link,
            qr=qr_svg(link) if online else "",
            css_url=DOCUMENT_CSS,
            language=language,
        )


def render_pdf(invoice: Invoice, language: str) -> bytes:
    """The invoice as PDF (WeasyPrint, CJK fonts embedded)."""
    from saas.core.pdf import html_to_pdf

    return html_to_pdf(render_html(invoice, language))


def pdf_filename(invoice: Invoice, language: str) -> str:
    return f"{invoice.number}-{'zh' if language.startswith('zh') else 'en'}.pdf"
