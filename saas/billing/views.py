"""Screens of billing: the vendor's invoices, runs and the dry run; the client's invoices."""

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from saas.billing import corrections, document, methods, payments, receivables, services, tasks
from saas.billing.forms import CreditNoteForm, PaymentForm, VoidForm
from saas.billing.models import BillingRun, Invoice, InvoiceStatus
from saas.core.clients import choices as client_choices
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm
from saas.core.links import external_url
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import attachment, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db

bp = tenant_blueprint("billing", __name__, url_prefix="/billing", template_folder="templates")
portal_bp = tenant_blueprint("portal_billing", __name__, url_prefix="/portal/invoices", template_folder="templates")
billing_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
client_only = roles_required(*CLIENT_ROLES)


@bp.get("/")
@billing_staff
def index():
    """The tenant's invoices, newest first, by status and client; keyset pages."""
    status = request.args.get("status", "")
    status = status if status in InvoiceStatus.__members__.values() else ""
    client_id = request.args.get("client", type=parse_id)
    rows, next_after = services.list_invoices(
        current_tenant, client_id=client_id, status=status, after=request.args.get("after", type=parse_id)
    )
    clients = client_choices(current_tenant)
    filters = {"status": status or None, "client": client_id}
    return render(
        "billing/invoices.html",
        block="rows" if request.args.get("after") else "content",
        invoices=rows,
        next_after=next_after,
        clients=clients,
        filters=filters,
        statuses=list(InvoiceStatus),
        portal=False,
        confirm=ConfirmForm(),
    )


def _invoice_page(invoice: Invoice, portal: bool, **context):
    """The invoice screen, for the vendor or the client: lines, totals, payments, credit notes, how to pay."""
    owed = invoice.status in payments.OPEN_INVOICES and invoice.balance > 0  # how to pay only what is owed
    return render(
        "billing/invoice.html",
        invoice=invoice,
        portal=portal,
        paid=payments.payments_of(invoice),
        credit_notes=document.credit_notes(invoice),
        instructions=methods.instructions(current_tenant, invoice) if owed else [],
        online=methods.online_methods(current_tenant) if owed else [],
        pdf_languages=document.LANGUAGES,
        confirm=ConfirmForm(),
        **context,
    )


def _pdf(invoice: Invoice, language: str):
    """The invoice as a PDF download in one language."""
    if language not in document.LANGUAGES:
        abort(404)
    response = make_response(document.render_pdf(invoice, language))
    response.mimetype = "application/pdf"
    return attachment(response, document.pdf_filename(invoice, language))


@bp.get("/<int:invoice_id>")
@billing_staff
def detail(invoice_id):
    """One invoice: parties, period, lines, totals, payments, credit notes; record a payment, credit or void it."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant)
    return _invoice_page(
        invoice,
        portal=False,
        payment_form=PaymentForm(formdata=None),
        credit_form=CreditNoteForm(formdata=None),
        void_form=VoidForm(formdata=None),
    )


def _correct(invoice_id: int, form, apply) -> object:
    """Run a correction of an invoice from a posted form; errors are flashed in the user's language."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant, for_update=True)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("billing.detail", invoice_id=invoice.id))
    try:
        message = apply(invoice)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("billing.detail", invoice_id=invoice_id))


@bp.post("/<int:invoice_id>/credit-notes")
@billing_staff
def credit_note(invoice_id):
    """Issue a credit note lowering what an invoice owes (§3.1); what was paid beyond it becomes the client's credit."""
    form = CreditNoteForm()

    def apply(invoice):
        note = corrections.issue_credit_note(invoice, form.amount.data, form.reason.data, current_user)
        return _("Credit note %(number)s issued.", number=note.number)

    return _correct(invoice_id, form, apply)


@bp.post("/<int:invoice_id>/void")
@billing_staff
def void(invoice_id):
    """Void an invoice with a credit note of all it still carries; it stays on record, never deleted."""
    form = VoidForm()

    def apply(invoice):
        note = corrections.issue_credit_note(invoice, None, form.reason.data, current_user, void=True)
        return _("Invoice voided by credit note %(number)s.", number=note.number)

    return _correct(invoice_id, form, apply)


@bp.post("/<int:invoice_id>/issue")
@billing_staff
def issue(invoice_id):
    """Issue a reviewed draft: the client sees it and its billing contacts get it by mail."""

    def apply(invoice):
        corrections.issue_draft(invoice, current_user)
        return _("Invoice %(number)s issued.", number=invoice.number)

    return _correct(invoice_id, ConfirmForm(), apply)


@bp.post("/contracts/<int:contract_id>/settle")
@billing_staff
def settle(contract_id):
    """Issue the final account of an ended agreement now, with what is still owed either way (§10.4)."""
    from saas.billing.settlement import settle as settle_contract
    from saas.contracts.models import Contract

    contract = get_or_404(Contract, contract_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invoice = settle_contract(contract, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    db.session.commit()
    if invoice is None:
        flash(_("Nothing is owed either way: no settlement was needed."), "info")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    flash(_("Final settlement %(number)s issued.", number=invoice.number), "success")
    return redirect(url_for("billing.detail", invoice_id=invoice.id))


@bp.post("/drafts/issue")
@billing_staff
def issue_drafts():
    """Issue every draft waiting for review."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    issued = corrections.issue_drafts(current_tenant, current_user)
    db.session.commit()
    flash(ngettext("%(num)d invoice issued.", "%(num)d invoices issued.", issued), "success")
    return redirect(url_for("billing.index", status=InvoiceStatus.DRAFT.value))


@bp.get("/receivables")
@billing_staff
def receivables_page():
    """What clients owe, aged by days past due (not due, 0–30, 31–60, 61–90, over 90), with their credit."""
    today = local_today(current_tenant)
    rows, totals = receivables.ageing(current_tenant, today)
    return render("billing/receivables.html", rows=rows, totals=totals, today=today, buckets=receivables.BUCKETS)


@bp.get("/<int:invoice_id>/pdf/<language>")
@billing_staff
def pdf(invoice_id, language):
    """The invoice as PDF, in Chinese or English."""
    return _pdf(get_or_404(Invoice, invoice_id, current_tenant), language)


@bp.get("/runs")
@billing_staff
def runs():
    """The billing run history, and what the next run would bill (a dry run: nothing is written)."""
    history = db.session.scalars(
        select(BillingRun)
        .where(BillingRun.tenant_id == current_tenant.id)
        .order_by(BillingRun.run_day.desc())
        .limit(60)
    ).all()
    preview = services.dry_run(current_tenant)
    return render(
        "billing/runs.html", runs=history, preview=preview, today=local_today(current_tenant), confirm=ConfirmForm()
    )


@bp.post("/runs")
@roles_required(Role.VENDOR_ADMIN)
def run_now():
    """Bill now what today's run would bill (the same run as the nightly one: nothing is billed twice)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        chunks = tasks.start_run(current_tenant.id)
        flash(
            _("Billing started in %(num)d part(s).", num=chunks) if chunks else _("Nothing to bill today."), "success"
        )
    return redirect(url_for("billing.runs"))


@portal_bp.get("/")
@client_only
def portal_index():
    """The client's invoices with status and balance."""
    rows, next_after = services.list_invoices(
        current_tenant, client_id=visible_client_id(), issued_only=True, after=request.args.get("after", type=parse_id)
    )
    return render(
        "billing/invoices.html",
        block="rows" if request.args.get("after") else "content",
        invoices=rows,
        next_after=next_after,
        filters={},
        portal=True,
    )


@portal_bp.get("/<int:invoice_id>")
@client_only
def portal_detail(invoice_id):
    """One of the client's invoices, with how to pay it and a Pay button for each online method."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant, visible_client_id())
    if invoice.status == InvoiceStatus.DRAFT:
        abort(404)  # drafts wait for the vendor's review
    # Back from a provider: its return URL proves nothing; the status shown is what its notification recorded.
    returned = request.args.get("returned") == "1"
    return _invoice_page(invoice, portal=True, returned=returned)


@portal_bp.get("/<int:invoice_id>/pdf/<language>")
@client_only
def portal_pdf(invoice_id, language):
    """One of the client's invoices as PDF, in Chinese or English."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant, visible_client_id())
    if invoice.status == InvoiceStatus.DRAFT:
        abort(404)
    return _pdf(invoice, language)


@portal_bp.post("/<int:invoice_id>/pay")
@client_only
def pay(invoice_id):
    """Pay an invoice online: the method's plugin starts the payment and the payer goes on to its provider."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant, visible_client_id(), for_update=True)
    back = redirect(url_for("portal_billing.portal_detail", invoice_id=invoice.id))
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return back
    if invoice.status not in payments.OPEN_INVOICES or invoice.balance <= 0:
        flash(_("This invoice has nothing left to pay."), "info")
        return back
    return_url = external_url(
        "portal_billing.portal_detail", tenant=current_tenant.slug, invoice_id=invoice.id, returned=1
    )
    try:
        url = methods.start_payment(current_tenant, invoice, request.form.get("method", ""), g.membership, return_url)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    if url is None:
        db.session.rollback()
        flash(_("This payment method is not available."), "error")
        return back
    db.session.commit()
    return redirect(url)


STATUS_LABELS = {
    InvoiceStatus.DRAFT: _l("Draft"),
    InvoiceStatus.ISSUED: _l("Issued"),
    InvoiceStatus.PARTIALLY_PAID: _l("Partially paid"),
    InvoiceStatus.PAID: _l("Paid"),
    InvoiceStatus.OVERDUE: _l("Overdue"),
    InvoiceStatus.VOID: _l("Void"),
}
bp.add_app_template_filter(lambda code: str(STATUS_LABELS.get(code, code)), "invoice_status")
#: How a payment came, by the provider that recorded it.
METHOD_LABELS = {
    "manual": _l("Recorded by staff"),
    "payments_bank": _l("Bank transfer"),
    "payments_cheque": _l("Cheque"),
    "payments_epay": _l("Online payment"),
}
bp.add_app_template_filter(lambda code: str(METHOD_LABELS.get(code, code)), "payment_method")
#: The ageing buckets' column titles (receivables.BUCKETS).
BUCKET_LABELS = {
    "not_due": _l("Not yet due"),
    "d0_30": _l("0–30 days"),
    "d31_60": _l("31–60 days"),
    "d61_90": _l("61–90 days"),
    "d90_plus": _l("Over 90 days"),
}
bp.add_app_template_global(lambda key: str(BUCKET_LABELS[key]), "bucket_label")


@bp.post("/<int:invoice_id>/payments")
@billing_staff
def record_payment(invoice_id):
    """Record money received outside the payment plugins (a transfer seen on the account) against this invoice."""
    invoice = get_or_404(Invoice, invoice_id, current_tenant, for_update=True)
    form = PaymentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("billing.detail", invoice_id=invoice.id))
    try:
        payment, created = payments.record(
            current_tenant,
            invoice.client_id,
            "manual",
            form.reference.data.strip(),
            form.amount.data,
            invoice.currency,
            invoice_id=invoice.id,
            received_on=form.received_on.data,
            note=form.note.data or "",
        )
        payments.succeed(payment, [invoice])
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Payment recorded.") if created else _("This payment was recorded already."), "success")
    return redirect(url_for("billing.detail", invoice_id=invoice.id))
