"""Screens of late payment and billing settings: the vendor admin's billing settings; the §8.2 penalties that
billing staff confirm or waive, with the evidence of each breach (§8.1.4)."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.billing import late
from saas.billing.late_forms import BillingSettingsForm, ConfirmPenaltyForm, WaivePenaltyForm
from saas.billing.penalty_models import LatePenalty, PenaltyStatus
from saas.billing.services import settings_of
from saas.billing.tenant_settings import save_settings
from saas.core.errors import ServiceError
from saas.core.models import Role
from saas.core.parsing import parse_ranked_cursor
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.extensions import db

settings_bp = tenant_blueprint(
    "billing_settings", __name__, url_prefix="/billing/settings", template_folder="templates"
)
bp = tenant_blueprint("penalties", __name__, url_prefix="/billing/penalties", template_folder="templates")
billing_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)


@settings_bp.route("/", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def edit():
    """The tenant's billing settings: review invoices before they go out, and the payment reminder days."""
    row = settings_of(current_tenant)
    form = BillingSettingsForm(obj=row)
    if form.validate_on_submit():
        save_settings(current_tenant, form.review_invoices.data, form.reminder_days.data or "")
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("billing_settings.edit"))
    return render("billing/settings.html", form=form, status=422 if form.errors else 200)


def _status_filter() -> str:
    status = request.args.get("status", "")
    return status if status in PenaltyStatus.__members__.values() else ""


def _after() -> tuple[int, int] | None:
    """The keyset of the next page ("0-123": rank and id), or None."""
    return parse_ranked_cursor(request.args.get("after"))


@bp.get("/")
@billing_staff
def index():
    """The tenant's §8.2 penalties, proposed first, by status; each with its breach's evidence (§8.1.4)."""
    status, after = _status_filter(), _after()
    rows, next_after = late.list_penalties(current_tenant, status=status, after=after)
    return _page(rows, next_after, status, block="rows" if after else "content")


def _page(rows, next_after, status, block="content", http_status=200, forms=None):
    return render(
        "billing/penalties.html",
        block=block,
        status=http_status,
        penalties=rows,
        next_after=next_after,
        filters={"status": status or None},
        statuses=list(PenaltyStatus),
        forms=forms or {},
        labels=late.STATUS_LABELS,
    )


def _decided(penalty: LatePenalty, message: str = "", category: str = "success", forms: dict | None = None):
    """After a decision: for HTMX, the penalty's row with the message; otherwise the list again, or on a refused
    form the page with the message where it was typed and nothing lost."""
    http_status = 422 if forms else 200
    if is_fragment_request():
        return render(
            "billing/penalties.html",
            block="row",
            status=http_status,
            p=penalty,
            forms=forms or {},
            message=(message, category) if message else None,
            labels=late.STATUS_LABELS,
        )
    if forms:
        rows, next_after = late.list_penalties(current_tenant, status=_status_filter())
        rows = rows if penalty in rows else [penalty, *rows]  # the refused one shown, wherever its page
        return _page(rows, next_after, _status_filter(), http_status=http_status, forms=forms)
    flash(message, category)
    return redirect(url_for("penalties.index", status=_status_filter() or None))


@bp.post("/<int:penalty_id>/confirm")
@billing_staff
def confirm(penalty_id):
    """Confirm a proposed penalty: it goes on the contract's next invoice (§8.2)."""
    penalty = get_or_404(LatePenalty, penalty_id, current_tenant)
    form = ConfirmPenaltyForm()
    if not form.validate_on_submit():
        return _decided(penalty, forms={penalty.id: {"confirm": form}})
    try:
        done = late.confirm(penalty, current_user._get_current_object(), form.note.data or "")
    except ServiceError as exc:
        db.session.rollback()
        return _decided(penalty, str(exc), "error")
    db.session.commit()
    return _decided(
        penalty,
        _("Penalty confirmed: it goes on the next invoice of %(number)s.", number=penalty.contract.number)
        if done
        else _("This penalty was confirmed already."),
    )


@bp.post("/<int:penalty_id>/waive")
@billing_staff
def waive(penalty_id):
    """Waive a proposed penalty, for a reason: nothing is billed."""
    penalty = get_or_404(LatePenalty, penalty_id, current_tenant)
    form = WaivePenaltyForm()
    if not form.validate_on_submit():
        return _decided(penalty, forms={penalty.id: {"waive": form}})
    try:
        done = late.waive(penalty, current_user._get_current_object(), form.reason.data)
    except ServiceError as exc:
        db.session.rollback()
        return _decided(penalty, str(exc), "error")
    db.session.commit()
    return _decided(penalty, _("Penalty waived.") if done else _("This penalty was waived already."))
