"""Screens of service credits (§8.2 for the vendor): billing staff's list, each credit with its evidence and the
decision, the contract's credit rule; the client's own credits in the portal."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.contracts.models import Contract
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, Role
from saas.core.money import percent_text
from saas.core.parsing import parse_ranked_cursor
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.credits import services
from saas.credits.forms import ConfirmCreditForm, CreditPolicyForm, WaiveCreditForm
from saas.credits.models import CreditStatus, ServiceCredit
from saas.extensions import db

bp = tenant_blueprint("credits", __name__, url_prefix="/credits", template_folder="templates")
portal_bp = tenant_blueprint("portal_credits", __name__, url_prefix="/portal/credits", template_folder="templates")
billing_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
client_only = roles_required(*CLIENT_ROLES)


def _status_filter() -> str:
    status = request.args.get("status", "")
    return status if status in CreditStatus.__members__.values() else ""


def _after() -> tuple[int, int] | None:
    """The keyset of the next page ("0-123": rank and id), or None."""
    return parse_ranked_cursor(request.args.get("after"))


def _list(template: str, endpoint: str, client_id: int | None):
    status, after = _status_filter(), _after()
    rows, next_after = services.list_credits(current_tenant, status=status, client_id=client_id, after=after)
    return render(
        template,
        block="rows" if after else "content",
        credits=rows,
        next_after=next_after,
        filters={"status": status or None},
        statuses=list(CreditStatus),
        labels=services.STATUS_LABELS,
        endpoint=endpoint,
        portal=endpoint.startswith("portal_"),
    )


@bp.get("/")
@billing_staff
def index():
    """The tenant's service credits, proposed first: what the vendor's breaches owe its clients (§8.2)."""
    return _list("credits/list.html", "credits.index", None)


def _detail(credit: ServiceCredit, portal: bool, status: int = 200, message=None, **forms):
    return render(
        "credits/detail.html",
        status=status,
        credit=credit,
        portal=portal,
        labels=services.STATUS_LABELS,
        rules=services.RULE_LABELS,
        confirm_form=forms.get("confirm_form") or ConfirmCreditForm(formdata=None),
        waive_form=forms.get("waive_form") or WaiveCreditForm(formdata=None),
        message=message,
    )


@bp.get("/<int:credit_id>")
@billing_staff
def detail(credit_id):
    """One credit: the line and period, how it was computed, the breaches it rests on, and the decision."""
    return _detail(get_or_404(ServiceCredit, credit_id, current_tenant), portal=False)


def _decided(credit: ServiceCredit, message: str, category: str = "success"):
    if is_fragment_request():
        return render(
            "credits/detail.html",
            block="decision",
            credit=credit,
            portal=False,
            labels=services.STATUS_LABELS,
            confirm_form=ConfirmCreditForm(formdata=None),
            waive_form=WaiveCreditForm(formdata=None),
            message=(message, category),
        )
    flash(message, category)
    return redirect(url_for("credits.detail", credit_id=credit.id))


@bp.post("/<int:credit_id>/confirm")
@billing_staff
def confirm(credit_id):
    """Confirm a proposed credit: it goes on the contract's next invoice as a negative line."""
    credit = get_or_404(ServiceCredit, credit_id, current_tenant)
    form = ConfirmCreditForm()
    if not form.validate_on_submit():
        return _detail(credit, portal=False, status=422, confirm_form=form)
    try:
        done = services.confirm(credit, current_user._get_current_object(), form.note.data or "")
    except ServiceError as exc:
        db.session.rollback()
        return _decided(credit, str(exc), "error")
    db.session.commit()
    return _decided(
        credit,
        _("Credit confirmed: it goes on the next invoice of %(number)s.", number=credit.contract.number)
        if done
        else _("This credit was confirmed already."),
    )


@bp.post("/<int:credit_id>/waive")
@billing_staff
def waive(credit_id):
    """Waive a proposed credit, for a reason the client reads: nothing is credited."""
    credit = get_or_404(ServiceCredit, credit_id, current_tenant)
    form = WaiveCreditForm()
    if not form.validate_on_submit():
        return _detail(credit, portal=False, status=422, waive_form=form)
    try:
        done = services.waive(credit, current_user._get_current_object(), form.reason.data)
    except ServiceError as exc:
        db.session.rollback()
        return _decided(credit, str(exc), "error")
    db.session.commit()
    return _decided(credit, _("Credit waived.") if done else _("This credit was waived already."))


@bp.route("/rule/<int:contract_id>", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def policy(contract_id):
    """The contract's credit rule: how the unperformed part of a line's fee is found (saas/credits/rules.py)."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    current = services.policy_of(contract)
    form = CreditPolicyForm(
        data={"rule": current.rule, "per_breach_percent": current.per_breach_share * 100}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        share = (form.per_breach_percent.data if form.per_breach_percent.data is not None else 10) / 100
        try:
            services.save_policy(contract, form.rule.data, share, current_user._get_current_object())
        except ServiceError as exc:
            db.session.rollback()
            form.rule.errors = [*form.rule.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Credit rule saved: it applies to the periods credited from now on."), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render(
        "credits/policy.html",
        status=422 if form.errors else 200,
        form=form,
        contract=contract,
        rules=services.RULE_LABELS,
        rate_percent=percent_text(contract.penalty_rate),  # "10", never "1E+1"
    )


def _my_client_id() -> int:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


@portal_bp.get("/")
@client_only
def portal_index():
    """The credits the vendor owes this client for its breaches, with their status and invoice."""
    return _list("credits/list.html", "portal_credits.portal_index", _my_client_id())


@portal_bp.get("/<int:credit_id>")
@client_only
def portal_detail(credit_id):
    """One of the client's credits with its evidence: the breaches it rests on and how it was computed."""
    return _detail(get_or_404(ServiceCredit, credit_id, current_tenant, _my_client_id()), portal=True)
