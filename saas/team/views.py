"""Screens of the support team (§5, Annex 2): members and certificates, availability, assignment rules, and
the engineers named for a contract. Vendor staff see them; vendor admins change them."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from saas.contracts.models import Contract
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, choices
from saas.core.models import VENDOR_ROLES, Role
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.extensions import db
from saas.requests import services
from saas.requests.models import RequestCategory
from saas.team import services as team
from saas.team.forms import (
    AVAILABILITY_LABELS,
    TEAM_ROLE_LABELS,
    AvailabilityForm,
    CertificateForm,
    ContractEngineersForm,
    MemberForm,
    RuleForm,
)
from saas.team.models import AssignmentRule, TeamCertificate, TeamMember

bp = tenant_blueprint("team", __name__, url_prefix="/team", template_folder="templates")
vendor_only = roles_required(*VENDOR_ROLES)
admin_only = roles_required(Role.VENDOR_ADMIN)


def _is_admin() -> bool:
    return g.membership.role == Role.VENDOR_ADMIN


def _labels() -> dict:
    return {"role_labels": TEAM_ROLE_LABELS, "availability_labels": AVAILABILITY_LABELS, "is_admin": _is_admin()}


def _may_set_availability(member: TeamMember) -> bool:
    """Admins set anyone's availability; an engineer sets their own (going on leave, back from training)."""
    return _is_admin() or (member.user_id is not None and member.user_id == current_user.id)


def _category_name(category: RequestCategory) -> str:
    return category.name_zh if str(get_locale()).startswith("zh") else category.name_en


@bp.get("/")
@vendor_only
def index():
    """The team: role, skills, availability, open requests held, certificates with their expiry."""
    rows = team.members(current_tenant)
    ids = [m.id for m in rows]
    return render(
        "team/index.html",
        members=rows,
        load=team.open_load(current_tenant.id, ids),
        certificates=team.certificates(current_tenant, ids),
        today=local_today(current_tenant),
        state=team.certificate_state,
        contracts=team.contracts_in_force(current_tenant),
        availability_form=AvailabilityForm(formdata=None),
        may_set=_may_set_availability,
        **_labels(),
    )


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:member_id>", methods=["GET", "POST"])
@vendor_only
def member(member_id=None):
    """A member's page: details and certificates; vendor admins add and edit members here."""
    row = get_or_404(TeamMember, member_id, current_tenant) if member_id is not None else None
    if (row is None or request.method == "POST") and not _is_admin():
        abort(403)
    form = MemberForm(obj=row)
    form.user_id.choices = choices(
        [(0, _("— nobody —")), *[(u.id, f"{u.name} <{u.email}>") for u in team.vendor_users(current_tenant)]]
    )
    if request.method == "GET" and row is not None:
        form.user_id.data = row.user_id or 0
    if form.validate_on_submit():
        try:
            row = team.save_member(current_tenant, form.data, row)
        except ServiceError as exc:
            db.session.rollback()
            field = form[getattr(exc, "field", "name")]
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("team.member", member_id=row.id))
    status = 422 if request.method == "POST" else 200
    return _member_page(row, form, CertificateForm(formdata=None), status)


def _member_page(row, form, cert_form, status=200):
    certs = team.certificates(current_tenant, [row.id]).get(row.id, []) if row is not None else []
    load = team.open_load(current_tenant.id, [row.id]).get(row.id, 0) if row is not None else 0
    return render(
        "team/member.html",
        member=row,
        form=form,
        cert_form=cert_form,
        certificates=certs,
        load=load,
        today=local_today(current_tenant),
        state=team.certificate_state,
        confirm=ConfirmForm(),
        status=status,
        **_labels(),
    )


@bp.post("/<int:member_id>/availability")
@vendor_only
def availability(member_id):
    """Quick change of a member's availability (an HTMX row swap on the team list)."""
    row = get_or_404(TeamMember, member_id, current_tenant)
    if not _may_set_availability(row):
        abort(403)
    form = AvailabilityForm()
    if form.validate_on_submit():
        team.set_availability(row, form.availability.data)
        db.session.commit()
    if not is_fragment_request():
        return redirect(url_for("team.index"))
    certs = team.certificates(current_tenant, [row.id])
    return render(
        "team/index.html",
        block="member_row",
        m=row,
        load=team.open_load(current_tenant.id, [row.id]),
        certificates=certs,
        today=local_today(current_tenant),
        state=team.certificate_state,
        availability_form=AvailabilityForm(formdata=None),
        may_set=_may_set_availability,
        **_labels(),
    )


@bp.post("/<int:member_id>/certificates")
@admin_only
def add_certificate(member_id):
    """Record a certificate the member holds (§5.2, Annex 2)."""
    row = get_or_404(TeamMember, member_id, current_tenant)
    cert_form = CertificateForm()
    if cert_form.validate_on_submit():
        try:
            team.add_certificate(row, cert_form.data)
        except ServiceError as exc:
            db.session.rollback()
            cert_form.expires_on.errors = [*cert_form.expires_on.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Certificate added."), "success")
            return redirect(url_for("team.member", member_id=row.id))
    form = MemberForm(obj=row, formdata=None)
    form.user_id.choices = choices(
        [(0, _("— nobody —")), *[(u.id, f"{u.name} <{u.email}>") for u in team.vendor_users(current_tenant)]]
    )
    form.user_id.data = row.user_id or 0
    return _member_page(row, form, cert_form, 422)


@bp.post("/<int:member_id>/certificates/<int:certificate_id>/delete")
@admin_only
def remove_certificate(member_id, certificate_id):
    """Take a certificate off the member's record."""
    row = get_or_404(TeamMember, member_id, current_tenant)
    cert = get_or_404(TeamCertificate, certificate_id, current_tenant)
    if cert.member_id != row.id or not ConfirmForm().validate_on_submit():
        abort(404)
    team.remove_certificate(cert)
    db.session.commit()
    flash(_("Certificate removed."), "success")
    return redirect(url_for("team.member", member_id=row.id))


@bp.route("/rules", methods=["GET", "POST"])
@vendor_only
def rules():
    """Assignment rules (§5.1): which team role takes each category's new requests; contracts' named engineers."""
    if request.method == "POST" and not _is_admin():
        abort(403)
    form = RuleForm()
    categories = services.categories(current_tenant)
    form.category_id.choices = choices([(0, _("— choose —")), *[(c.id, _category_name(c)) for c in categories]])
    if form.validate_on_submit():
        try:
            team.save_rule(current_tenant, form.data)
        except ServiceError as exc:
            db.session.rollback()
            form.category_id.errors = [*form.category_id.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("team.rules"))
    status = 422 if request.method == "POST" else 200
    by_category = {r.category_id: r for r in team.rules(current_tenant)}
    return render(
        "team/rules.html",
        form=form,
        rules=by_category,
        categories=categories,
        confirm=ConfirmForm(),
        contracts=team.contracts_in_force(current_tenant),
        category_name=_category_name,
        status=status,
        **_labels(),
    )


@bp.post("/rules/<int:rule_id>/delete")
@admin_only
def delete_rule(rule_id):
    """Stop assigning a category's requests by role."""
    rule = get_or_404(AssignmentRule, rule_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    team.delete_rule(rule)
    db.session.commit()
    flash(_("Rule removed."), "success")
    return redirect(url_for("team.rules"))


@bp.route("/contracts/<int:contract_id>", methods=["GET", "POST"])
@vendor_only
def contract(contract_id):
    """The engineers named for a contract (Annex 2): preferred when its requests are assigned."""
    row = get_or_404(Contract, contract_id, current_tenant)
    if request.method == "POST" and not _is_admin():
        abort(403)
    form = ContractEngineersForm()
    error = None
    if form.validate_on_submit():
        try:
            team.set_contract_engineers(row, form.member_ids.data or [])
        except ServiceError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("team.contract", contract_id=row.id))
    named = {m.id for m in team.contract_engineers(row)}
    return render(
        "team/contract.html",
        contract=row,
        form=form,
        named=named,
        error=error,
        members=team.members(current_tenant),
        status=422 if request.method == "POST" else 200,
        **_labels(),
    )
