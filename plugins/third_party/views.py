"""Screens of the third-party plugin: the vendor's subcontractor registry (Part 2 §1.1) and proposals, and the
client admin's decision on the subcontractors proposed for its agreements (Part 2 §4.1)."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from plugins.third_party import services
from plugins.third_party.forms import DecisionForm, ProposeForm, QualificationForm, SubcontractorForm, SuspendForm
from plugins.third_party.models import Proposal, ProposalStatus, Qualification, Subcontractor, SubcontractorStatus
from saas.contracts.models import Contract
from saas.contracts.services import list_services
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.plugins import plugin_blueprint
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db

bp = plugin_blueprint(services.NAME, __name__)
vendor_only = roles_required(*VENDOR_ROLES)
admin_only = roles_required(Role.VENDOR_ADMIN)
client_admin_only = roles_required(Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def service_name(service) -> str:
    return service.name_zh if str(get_locale()).startswith("zh") else service.name_en


def _error_to_form(form, exc: ServiceError, fallback: str) -> None:
    """Show a service's refusal beside the field it concerns (or the fallback field)."""
    field = getattr(form, getattr(exc, "field", "") or fallback, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(exc)]


@bp.get("/")
@vendor_only
def index():
    """The vendor's subcontractors, newest first, by status, service and name; keyset pages."""
    status = request.args.get("status", "")
    status = status if status in SubcontractorStatus.__members__.values() else ""
    service_id = parse_id(request.args.get("service", ""))
    q = " ".join(request.args.get("q", "").split())[:100]
    after = parse_id(request.args.get("after", ""))
    rows, next_after = services.list_subcontractors(
        current_tenant, status=status, service_id=service_id, q=q, after=after
    )
    return render(
        "third_party/list.html",
        block="rows" if after else "content",
        subcontractors=rows,
        next_after=next_after,
        filters={"status": status or None, "service": service_id, "q": q or None},
        statuses=list(SubcontractorStatus),
        catalogue=[(s.id, service_name(s)) for s in list_services(current_tenant)],
    )


def _subcontractor_form(obj: Subcontractor | None = None, submitted: bool = True) -> SubcontractorForm:
    if submitted and request.method == "POST":
        form = SubcontractorForm()
    elif obj is not None:
        form = SubcontractorForm(
            formdata=None,
            obj=obj,
            data={"service_ids": [s.id for s in obj.services], "regions": "\n".join(obj.regions or [])},
        )
    else:
        form = SubcontractorForm(formdata=None)
    form.service_ids.choices = choices((s.id, service_name(s)) for s in list_services(current_tenant))
    return form


def _save(form: SubcontractorForm, subcontractor: Subcontractor | None):
    try:
        saved = services.save_subcontractor(current_tenant, form.data, _me(), subcontractor)
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "legal_name")
        return None
    db.session.commit()
    return saved


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def new():
    """Put a subcontractor on file: its company, contact, services and regions."""
    form = _subcontractor_form()
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash(_("Subcontractor %(name)s added.", name=saved.legal_name), "success")
            return redirect(url_for("plugin_third_party.detail", subcontractor_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render("third_party/form.html", form=form, subcontractor=None, status=status)


@bp.route("/<int:subcontractor_id>/edit", methods=["GET", "POST"])
@admin_only
def edit(subcontractor_id):
    """Edit a subcontractor's details."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=request.method == "POST")
    form = _subcontractor_form(subcontractor)
    if form.validate_on_submit() and _save(form, subcontractor) is not None:
        flash(_("Subcontractor saved."), "success")
        return redirect(url_for("plugin_third_party.detail", subcontractor_id=subcontractor.id))
    status = 422 if request.method == "POST" else 200
    return render("third_party/form.html", form=form, subcontractor=subcontractor, status=status)


def _detail_context(subcontractor: Subcontractor, **forms) -> dict:
    propose_form = forms.pop("propose_form", None) or ProposeForm(formdata=None)
    propose_form.contract_id.choices = choices(
        [(0, _("— choose —"))]
        + [(c.id, f"{c.number} · {c.client.legal_name}") for c in services.proposable_contracts(current_tenant)]
    )
    from plugins.third_party import agreements, transfers, work
    from plugins.third_party.forms import PersonForm

    return {
        "subcontractor": subcontractor,
        "today": local_today(current_tenant),
        "proposals": services.proposals_of(subcontractor),
        "tp_agreements": agreements.agreements_of(subcontractor),
        "agreement_status": agreements.status_label,
        "people": agreements.people_of(subcontractor),
        "person_state": agreements.person_state,
        "person_form": PersonForm(formdata=None),
        "people_message": None,
        "tp_breaches": work.breaches_of(subcontractor=subcontractor),
        "tp_transfers": transfers.transfers_of(subcontractor),
        "breach_label": work.breach_label,
        "performance": work.performance(subcontractor),
        "suspend_form": SuspendForm(formdata=None),
        "qualification_form": QualificationForm(formdata=None),
        "propose_form": propose_form,
        "admin": g.membership.role == Role.VENDOR_ADMIN,
        **forms,
    }


@bp.get("/<int:subcontractor_id>")
@vendor_only
def detail(subcontractor_id):
    """One subcontractor: its details, qualifications and proposals, and (for admins) what may be done next."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant)
    return render("third_party/detail.html", **_detail_context(subcontractor))


def _back(subcontractor_id: int):
    return redirect(url_for("plugin_third_party.detail", subcontractor_id=subcontractor_id))


@bp.post("/<int:subcontractor_id>/suspend")
@admin_only
def suspend(subcontractor_id):
    """Suspend the subcontractor, saying why (audited): it may no longer be proposed nor work on agreements."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=True)
    form = SuspendForm()
    if not form.validate_on_submit():
        return render("third_party/detail.html", status=422, **_detail_context(subcontractor, suspend_form=form))
    changed = services.suspend(subcontractor, form.reason.data, _me())
    db.session.commit()
    flash(_("Subcontractor suspended.") if changed else _("This subcontractor was suspended already."), "success")
    return _back(subcontractor.id)


@bp.post("/<int:subcontractor_id>/reactivate")
@admin_only
def reactivate(subcontractor_id):
    """Lift the subcontractor's suspension."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=True)
    changed = services.reactivate(subcontractor, _me())
    db.session.commit()
    flash(_("Subcontractor active again.") if changed else _("This subcontractor was active already."), "success")
    return _back(subcontractor.id)


def _qualifications_answer(subcontractor: Subcontractor, status: int = 200, **forms):
    """The qualifications block again (HTMX), or back to the subcontractor's page."""
    if is_fragment_request():
        return render(
            "third_party/detail.html", block="qualifications", status=status, **_detail_context(subcontractor, **forms)
        )
    if status != 200:
        return render("third_party/detail.html", status=status, **_detail_context(subcontractor, **forms))
    return _back(subcontractor.id)


@bp.post("/<int:subcontractor_id>/qualifications")
@admin_only
def add_qualification(subcontractor_id):
    """Record a qualification or certificate of the subcontractor (an HTMX fragment of its page)."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=True)
    form = QualificationForm()
    if not form.validate_on_submit():
        return _qualifications_answer(subcontractor, status=422, qualification_form=form)
    try:
        services.add_qualification(subcontractor, form.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "name")
        return _qualifications_answer(subcontractor, status=422, qualification_form=form)
    db.session.commit()
    if not is_fragment_request():
        flash(_("Qualification recorded."), "success")
    return _qualifications_answer(subcontractor)


@bp.post("/qualifications/<int:qualification_id>/remove")
@admin_only
def remove_qualification(qualification_id):
    """Take a qualification off the subcontractor's file (an HTMX fragment of its page)."""
    qualification = get_or_404(Qualification, qualification_id, current_tenant)
    subcontractor = qualification.subcontractor
    services.remove_qualification(qualification, _me())
    db.session.commit()
    if not is_fragment_request():
        flash(_("Qualification removed."), "success")
    return _qualifications_answer(subcontractor)


@bp.post("/<int:subcontractor_id>/propose")
@admin_only
def propose(subcontractor_id):
    """Propose the subcontractor for one of a client's agreements in force; the client's admins decide (Part 2 §4.1)."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=True)
    form = ProposeForm()
    form.contract_id.choices = choices(
        [(0, "")] + [(c.id, c.number) for c in services.proposable_contracts(current_tenant)]
    )
    if form.validate_on_submit():
        contract = Contract.get_in(current_tenant, form.contract_id.data)
        try:
            services.propose(subcontractor, contract, form.scope.data, _me())
        except ServiceError as exc:
            db.session.rollback()
            if getattr(exc, "field", None) or subcontractor.active:
                _error_to_form(form, exc, "contract_id")
            else:  # the form is not shown for a suspended subcontractor: the refusal stands above the table
                form.refusal = str(exc)
        else:
            db.session.commit()
            flash(_("Subcontractor proposed: the client's admins are asked to approve it."), "success")
            return _back(subcontractor.id)
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant)
    return render("third_party/detail.html", status=422, **_detail_context(subcontractor, propose_form=form))


@bp.post("/proposals/<int:tp_proposal_id>/withdraw")
@admin_only
def withdraw(tp_proposal_id):
    """Take a proposal back, before or after the client decided."""
    proposal = get_or_404(Proposal, tp_proposal_id, current_tenant, for_update=True)
    changed = services.withdraw(proposal, _me())
    db.session.commit()
    flash(_("Proposal withdrawn.") if changed else _("This proposal no longer stands."), "success")
    return _back(proposal.subcontractor_id)


@bp.get("/portal")
@client_admin_only
def portal():
    """The subcontractors the vendor proposes for the client's agreements, newest first; keyset pages."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    status = request.args.get("status", "")
    status = status if status in ProposalStatus.__members__.values() else ""
    after = parse_id(request.args.get("after", ""))
    rows, next_after = services.list_proposals(current_tenant, client_id=client_id, status=status, after=after)
    return render(
        "third_party/portal.html",
        block="rows" if after else "content",
        proposals=rows,
        next_after=next_after,
        filters={"status": status or None},
        statuses=list(ProposalStatus),
    )


def _portal_proposal(tp_proposal_id: int, for_update: bool = False) -> Proposal:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return get_or_404(Proposal, tp_proposal_id, current_tenant, client_id=client_id, for_update=for_update)


def _portal_page(proposal: Proposal, status: int = 200, form: DecisionForm | None = None):
    return render(
        "third_party/portal_detail.html",
        status=status,
        proposal=proposal,
        subcontractor=proposal.subcontractor,
        today=local_today(current_tenant),
        decision_form=form or DecisionForm(formdata=None),
    )


@bp.get("/portal/<int:tp_proposal_id>")
@client_admin_only
def portal_detail(tp_proposal_id):
    """One proposal as the client's admin sees it: the subcontractor, its qualifications, and the decision."""
    return _portal_page(_portal_proposal(tp_proposal_id))


def _decide(tp_proposal_id: int, approve: bool):
    proposal = _portal_proposal(tp_proposal_id, for_update=True)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _portal_page(proposal, status=422, form=form)
    try:
        changed = services.decide(proposal, approve, form.reason.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        if getattr(exc, "field", None):
            _error_to_form(form, exc, "reason")
            return _portal_page(_portal_proposal(tp_proposal_id), status=422, form=form)
        flash(str(exc), "error")
        return redirect(url_for("plugin_third_party.portal_detail", tp_proposal_id=tp_proposal_id))
    db.session.commit()
    if not changed:
        flash(_("This proposal was decided already."), "info")
    elif approve:
        flash(_("Subcontractor approved: it may now work on this agreement."), "success")
    else:
        flash(_("Subcontractor rejected; the vendor is told why."), "success")
    return redirect(url_for("plugin_third_party.portal_detail", tp_proposal_id=tp_proposal_id))


@bp.post("/portal/<int:tp_proposal_id>/approve")
@client_admin_only
def approve(tp_proposal_id):
    """The client's admin approves the subcontractor for this agreement."""
    return _decide(tp_proposal_id, approve=True)


@bp.post("/portal/<int:tp_proposal_id>/reject")
@client_admin_only
def reject(tp_proposal_id):
    """The client's admin rejects the subcontractor, saying why."""
    return _decide(tp_proposal_id, approve=False)


from plugins.third_party import (  # noqa: E402, F401  (their routes join bp)
    agreement_views,
    change_views,
    liability_views,  # noqa: E402, F401  (interventions, claims, disputes: Part 2 §1.2–§7.2)
    transfer_views,  # noqa: E402, F401  (transfers of obligations: Part 2 §4.3)
    work_views,
)
