"""Screens of the cheque plugin (§3.2.2): the register, recording a cheque, its page and steps; the client's list."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from plugins.payments_cheque import services
from plugins.payments_cheque.forms import BounceForm, ChequeForm, ClearForm, DepositForm
from plugins.payments_cheque.models import Cheque, ChequeStatus
from saas.billing.models import PaymentStatus
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.i18n import format_money_filter
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.plugins import plugin_blueprint
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db

bp = plugin_blueprint(services.NAME, __name__)
staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
client_only = roles_required(*CLIENT_ROLES)

#: The console's badge colour for each status: waiting (amber), in (green), bounced (red).
BADGES = {
    ChequeStatus.RECEIVED: "issued",
    ChequeStatus.DEPOSITED: "partially_paid",
    ChequeStatus.CLEARED: "paid",
    ChequeStatus.BOUNCED: "overdue",
}
bp.add_app_template_filter(services.status_label, "cheque_status")
bp.add_app_template_filter(lambda status: BADGES.get(status, status), "cheque_badge")
#: The core payment behind a cheque, as staff read it on the cheque's page.
PAYMENT_LABELS = {
    PaymentStatus.PENDING: _l("pending until the cheque clears"),
    PaymentStatus.SUCCEEDED: _l("received and allocated"),
    PaymentStatus.FAILED: _l("failed"),
    PaymentStatus.REVERSED: _l("reversed"),
}
bp.add_app_template_filter(lambda status: str(PAYMENT_LABELS.get(status, status)), "cheque_payment_status")


def _me():
    return current_user._get_current_object()


@bp.get("/")
@staff
def index():
    """The cheque register, newest first, by status and client; keyset pages."""
    status = request.args.get("status", "")
    status = status if status in ChequeStatus.__members__.values() else ""
    client_id = request.args.get("client", type=parse_id)
    rows, next_after = services.list_cheques(
        current_tenant, client_id=client_id, status=status, after=request.args.get("after", type=parse_id)
    )
    filters = {"status": status or None, "client": client_id}
    return render(
        "payments_cheque/register.html",
        block="rows" if request.args.get("after") else "content",
        cheques=rows,
        next_after=next_after,
        filters=filters,
        statuses=list(ChequeStatus),
        clients=services.clients(current_tenant),
    )


def _invoice_choices(form: ChequeForm) -> None:
    """The chosen client's open invoices as choices (none: its oldest open invoices are paid first)."""
    invoices = services.open_invoices(current_tenant, form.client_id.data)
    form.invoice_id.choices = choices(
        [
            (0, _("None: the client's oldest open invoices first")),
            *[
                (
                    i.id,
                    _(
                        "%(number)s · balance %(balance)s",
                        number=i.number,
                        balance=format_money_filter(i.balance, i.currency),
                    ),
                )
                for i in invoices
            ],
        ]
    )


def _cheque_form(submitted: bool = True) -> ChequeForm:
    """The cheque form, from the request (or empty), with the tenant's clients to choose from."""
    form = ChequeForm() if submitted else ChequeForm(formdata=None)
    form.client_id.choices = choices([(0, _("— choose —")), *services.clients(current_tenant)])
    return form


@bp.route("/new", methods=["GET", "POST"])
@staff
def new():
    """Record a cheque a client handed over: whose, for which invoice, and what it says."""
    form = _cheque_form()
    if request.method == "GET":
        today = local_today(current_tenant)
        form.client_id.data = request.args.get("client_id", type=parse_id) or 0
        form.currency.data, form.received_on.data, form.cheque_date.data = current_tenant.currency, today, today
    _invoice_choices(form)
    if form.validate_on_submit():
        try:
            cheque = services.record(current_tenant, form.data, _me())
        except ServiceError as exc:
            db.session.rollback()
            field = getattr(form, getattr(exc, "field", None) or "number")
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Cheque %(number)s recorded; deposit it at the bank.", number=cheque.number), "success")
            return redirect(url_for("plugin_payments_cheque.detail", cheque_id=cheque.id))
    return render("payments_cheque/new.html", form=form, status=422 if request.method == "POST" else 200)


@bp.get("/new/invoices")
@staff
def invoice_choices():
    """The invoice field for the client just chosen (an HTMX fragment of the form)."""
    form = _cheque_form(submitted=False)
    form.client_id.data = request.args.get("client_id", type=parse_id) or 0
    _invoice_choices(form)
    return render("payments_cheque/new.html", block="invoice_field", form=form)


def _page(cheque: Cheque, status: int = 200, **forms):
    """The cheque with its history and the forms of the steps it may take next."""
    today, bank = local_today(current_tenant), services.settings(current_tenant)["deposit_bank"]
    context = {
        "deposit_form": DepositForm(formdata=None, on=today, bank=bank),
        "clear_form": ClearForm(formdata=None, on=today),
        "bounce_form": BounceForm(formdata=None, on=today),
        **forms,
    }
    return render(
        "payments_cheque/cheque.html", status=status, cheque=cheque, steps=services.allowed_steps(cheque), **context
    )


@bp.get("/<int:cheque_id>")
@staff
def detail(cheque_id):
    """One cheque: what it says, the invoice it pays, its history and the next steps."""
    return _page(get_or_404(Cheque, cheque_id, current_tenant))


def _step(cheque_id: int, form, form_name: str, action, done: str, already: str):
    """Take one step on a locked cheque: two clicks or two people at once take turns, the second changes nothing."""
    cheque = get_or_404(Cheque, cheque_id, current_tenant, for_update=True)
    if form.validate_on_submit():
        try:
            moved = action(cheque)
        except ServiceError as exc:
            db.session.rollback()
            field = getattr(form, getattr(exc, "field", None) or "", None)
            if field is None:
                flash(str(exc), "error")
                return redirect(url_for("plugin_payments_cheque.detail", cheque_id=cheque_id))
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            flash(done if moved else already, "success" if moved else "info")
            return redirect(url_for("plugin_payments_cheque.detail", cheque_id=cheque_id))
    return _page(cheque, status=422, **{form_name: form})


@bp.post("/<int:cheque_id>/deposit")
@staff
def deposit(cheque_id):
    """The cheque was paid in at the bank."""
    form = DepositForm()
    return _step(
        cheque_id,
        form,
        "deposit_form",
        lambda c: services.deposit(current_tenant, c, form.on.data, _me(), form.bank.data),
        _("Cheque deposited; mark it cleared when the bank has paid."),
        _("This cheque was already deposited."),
    )


@bp.post("/<int:cheque_id>/clear")
@staff
def clear(cheque_id):
    """The bank paid the cheque: the core allocates the money."""
    form = ClearForm()
    return _step(
        cheque_id,
        form,
        "clear_form",
        lambda c: services.clear(current_tenant, c, form.on.data, _me()),
        _("Cheque cleared; the payment is allocated."),
        _("This cheque was already cleared."),
    )


@bp.post("/<int:cheque_id>/bounce")
@staff
def bounce(cheque_id):
    """The bank refused or returned the cheque, for a reason."""
    form = BounceForm()
    return _step(
        cheque_id,
        form,
        "bounce_form",
        lambda c: services.bounce(current_tenant, c, form.on.data, form.reason.data, _me()),
        _("Cheque marked bounced."),
        _("This cheque was already marked bounced."),
    )


@bp.get("/portal")
@client_only
def portal():
    """The client's own cheques and where each stands (read only)."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    rows, next_after = services.list_cheques(
        current_tenant, client_id=client_id, after=request.args.get("after", type=parse_id)
    )
    return render(
        "payments_cheque/portal.html",
        block="rows" if request.args.get("after") else "content",
        cheques=rows,
        next_after=next_after,
    )
