"""Screens of billing: the vendor's invoices, runs and the dry run; the client's invoices."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.billing import services, tasks
from saas.billing.models import BillingRun, Invoice, InvoiceStatus
from saas.contracts.services import local_today
from saas.core.forms import ConfirmForm
from saas.core.models import CLIENT_ROLES, Client, Role
from saas.core.rendering import render
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
    client_id = request.args.get("client", type=int)
    rows, next_after = services.list_invoices(current_tenant, client_id=client_id, status=status,
                                              after=request.args.get("after", type=int))  # fmt: skip
    clients = db.session.execute(select(Client.id, Client.legal_name).where(Client.tenant_id == current_tenant.id)
                                 .order_by(Client.legal_name)).all()  # fmt: skip
    filters = {"status": status or None, "client": client_id}
    return render("billing/invoices.html", block="rows" if request.args.get("after") else "content",
                  invoices=rows, next_after=next_after, clients=clients, filters=filters,
                  statuses=list(InvoiceStatus), portal=False)  # fmt: skip


@bp.get("/<int:invoice_id>")
@billing_staff
def detail(invoice_id):
    """One invoice: parties, period, lines, totals, what was paid against it, and recording a payment."""
    from saas.billing import payments
    from saas.billing.forms import PaymentForm

    invoice = get_or_404(Invoice, invoice_id, current_tenant)
    return render("billing/invoice.html", invoice=invoice, portal=False, paid=payments.payments_of(invoice),
                  payment_form=PaymentForm(formdata=None))  # fmt: skip


@bp.get("/runs")
@billing_staff
def runs():
    """The billing run history, and what the next run would bill (a dry run: nothing is written)."""
    history = db.session.scalars(select(BillingRun).where(BillingRun.tenant_id == current_tenant.id)
                                 .order_by(BillingRun.run_day.desc()).limit(60)).all()  # fmt: skip
    preview = services.dry_run(current_tenant)
    return render("billing/runs.html", runs=history, preview=preview, today=local_today(current_tenant),
                  confirm=ConfirmForm())  # fmt: skip


@bp.post("/runs")
@roles_required(Role.VENDOR_ADMIN)
def run_now():
    """Bill now what today's run would bill (the same run as the nightly one: nothing is billed twice)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        chunks = tasks.start_run(current_tenant.id)
        flash(_("Billing started in %(num)d part(s).", num=chunks) if chunks else _("Nothing to bill today."),
              "success")
    return redirect(url_for("billing.runs"))


@portal_bp.get("/")
@client_only
def portal_index():
    """The client's invoices with status and balance."""
    rows, next_after = services.list_invoices(current_tenant, client_id=visible_client_id(),
                                              after=request.args.get("after", type=int))  # fmt: skip
    return render("billing/invoices.html", block="rows" if request.args.get("after") else "content",
                  invoices=rows, next_after=next_after, filters={}, portal=True)  # fmt: skip


@portal_bp.get("/<int:invoice_id>")
@client_only
def portal_detail(invoice_id):
    """One of the client's invoices."""
    from saas.billing import payments

    invoice = get_or_404(Invoice, invoice_id, current_tenant, visible_client_id())
    return render("billing/invoice.html", invoice=invoice, portal=True, paid=payments.payments_of(invoice))


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


@bp.post("/<int:invoice_id>/payments")
@billing_staff
def record_payment(invoice_id):
    """Record money received outside the payment plugins (a transfer seen on the account) against this invoice."""
    from saas.billing import payments
    from saas.billing.forms import PaymentForm
    from saas.core.errors import ServiceError

    invoice = get_or_404(Invoice, invoice_id, current_tenant, for_update=True)
    form = PaymentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("billing.detail", invoice_id=invoice.id))
    try:
        payment, created = payments.record(current_tenant, invoice.client_id, "manual", form.reference.data.strip(),
                                           form.amount.data, invoice.currency, invoice_id=invoice.id,
                                           received_on=form.received_on.data, note=form.note.data or "")
        payments.succeed(payment, [invoice])
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Payment recorded.") if created else _("This payment was recorded already."), "success")
    return redirect(url_for("billing.detail", invoice_id=invoice.id))
