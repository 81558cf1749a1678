"""Screens of annex 6 (Part 2 §4.2): the vendor's third-party agreements, their signed files and their suspension or
end, the agreement's annex 6 as the client sees it, and the subcontractor's people (Part 2 §8.2)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from plugins.third_party import agreements, services
from plugins.third_party.forms import AgreementForm, AgreementStatusForm, PersonForm
from plugins.third_party.models import Agreement, AgreementStatus, Member, Subcontractor
from plugins.third_party.views import _error_to_form, admin_only, bp, service_name, vendor_only
from saas.contracts.models import Contract
from saas.contracts.services import list_services
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES
from saas.core.parsing import parse_id
from saas.core.rendering import evidence_download, is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db
from saas.requests.services import categories

client_only = roles_required(*CLIENT_ROLES)


def _me():
    return current_user._get_current_object()


@bp.get("/agreements")
@vendor_only
def agreements_index():
    """Every third-party agreement of the vendor (annex 6 of its clients' agreements), newest first; keyset pages."""
    after = parse_id(request.args.get("after", ""))
    rows, next_after = agreements.list_agreements(current_tenant, after=after)
    return render(
        "third_party/agreements.html",
        block="rows" if after else "content",
        rows=rows,
        next_after=next_after,
        today=local_today(current_tenant),
    )


def _agreement_form(submitted: bool) -> AgreementForm:
    if submitted:
        form = AgreementForm()
    else:
        form = AgreementForm(
            formdata=None,
            data={
                "contract_id": parse_id(request.args.get("contract", "")) or 0,
                "subcontractor_id": parse_id(request.args.get("subcontractor", "")) or 0,
            },
        )
    form.contract_id.choices = choices(
        [(0, _("— choose —"))]
        + [(c.id, f"{c.number} · {c.client.legal_name}") for c in services.proposable_contracts(current_tenant)]
    )
    form.subcontractor_id.choices = choices(
        [(0, _("— choose —"))] + [(s.id, s.legal_name) for s in services.active_subcontractors(current_tenant)]
    )
    form.service_ids.choices = choices((s.id, service_name(s)) for s in list_services(current_tenant))
    form.category_ids.choices = choices(
        (c.id, c.name_zh if _is_zh() else c.name_en) for c in categories(current_tenant)
    )
    return form


def _is_zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "").startswith("zh")


@bp.route("/agreements/new", methods=["GET", "POST"])
@admin_only
def agreement_new():
    """Attach a signed third-party agreement to a client's agreement as annex 6 (Part 2 §4.2)."""
    form = _agreement_form(request.method == "POST")
    if form.validate_on_submit():
        upload = form.document.data
        file = (upload.filename, upload.mimetype, upload.read()) if getattr(upload, "filename", "") else None
        try:
            made = agreements.create_agreement(
                Contract.get_in(current_tenant, form.contract_id.data),
                Subcontractor.get_in(current_tenant, form.subcontractor_id.data),
                form.data,
                file,
                _me(),
            )
        except ServiceError as exc:
            db.session.rollback()
            _error_to_form(form, exc, "contract_id")
        else:
            db.session.commit()
            flash(_("Agreement %(number)s attached as annex 6.", number=made.number), "success")
            return redirect(url_for("plugin_third_party.agreement_detail", tp_agreement_id=made.id))
    status = 422 if request.method == "POST" else 200
    return render("third_party/agreement_form.html", form=form, status=status)


def _detail(agreement: Agreement, status: int = 200, form: AgreementStatusForm | None = None):
    return render(
        "third_party/agreement_detail.html",
        status=status,
        agreement=agreement,
        services_of=agreements.services_of(agreement),
        categories_of=agreements.categories_of(agreement),
        today=local_today(current_tenant),
        status_form=form or AgreementStatusForm(formdata=None),
        statuses=AgreementStatus,
    )


@bp.get("/agreements/<int:tp_agreement_id>")
@vendor_only
def agreement_detail(tp_agreement_id):
    """One third-party agreement: scope, fee, back-to-back hours, term, the signed file and its SHA-256."""
    return _detail(get_or_404(Agreement, tp_agreement_id, current_tenant))


@bp.get("/agreements/<int:tp_agreement_id>/document")
@vendor_only
def agreement_document(tp_agreement_id):
    """The signed file of a third-party agreement, as it was attached."""
    agreement = get_or_404(Agreement, tp_agreement_id, current_tenant)
    return evidence_download(agreement.data, agreement.filename)


@bp.post("/agreements/<int:tp_agreement_id>/status")
@admin_only
def agreement_status(tp_agreement_id):
    """Suspend, end or reinstate a third-party agreement, saying why; both parties are told."""
    agreement = get_or_404(Agreement, tp_agreement_id, current_tenant, for_update=True)
    form = AgreementStatusForm()
    wanted = request.form.get("status", "")
    if not form.validate_on_submit():
        return _detail(agreement, status=422, form=form)
    try:
        changed = agreements.set_status(agreement, wanted, form.reason.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "reason")
        return _detail(get_or_404(Agreement, tp_agreement_id, current_tenant), status=422, form=form)
    db.session.commit()
    flash(_("Agreement updated; both parties are told.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("plugin_third_party.agreement_detail", tp_agreement_id=agreement.id))


@bp.get("/portal/agreements/<int:tp_agreement_id>/document")
@client_only
def portal_agreement_document(tp_agreement_id):
    """The client's copy of a third-party agreement its agreement rests on (annex 6)."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    agreement = get_or_404(Agreement, tp_agreement_id, current_tenant, client_id=client_id)
    return evidence_download(agreement.data, agreement.filename)


# --- the subcontractor's people ---------------------------------------------------------------------------------


def people_context(subcontractor: Subcontractor, form: PersonForm | None = None, message=None) -> dict:
    return {
        "subcontractor": subcontractor,
        "people": agreements.people_of(subcontractor),
        "person_state": agreements.person_state,
        "person_form": form or PersonForm(formdata=None),
        "people_message": message,
    }


def _people_answer(subcontractor: Subcontractor, message: str, category: str, status: int = 200, form=None):
    if is_fragment_request():
        return render(
            "third_party/_people.html",
            block="people",
            status=status,
            admin=True,
            **people_context(subcontractor, form, (message, category) if message else None),
        )
    if message:
        flash(message, category)
    return redirect(url_for("plugin_third_party.detail", subcontractor_id=subcontractor.id))


@bp.post("/<int:subcontractor_id>/people")
@admin_only
def add_person(subcontractor_id):
    """Place a person of the subcontractor on its work: they see only the requests given to it (Part 2 §8.2)."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant, for_update=True)
    form = PersonForm()
    if not form.validate_on_submit():
        return _people_answer(subcontractor, "", "error", status=422, form=form)
    try:
        member = agreements.add_person(subcontractor, form.email.data, form.name.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "email")
        return _people_answer(get_or_404(Subcontractor, subcontractor_id, current_tenant), "", "error", 422, form)
    db.session.commit()
    return _people_answer(subcontractor, _("%(email)s works on its requests now.", email=member.email), "success")


@bp.post("/people/<int:tp_member_id>/remove")
@admin_only
def remove_person(tp_member_id):
    """Take a person off the subcontractor's work."""
    member = get_or_404(Member, tp_member_id, current_tenant, for_update=True)
    subcontractor = member.subcontractor
    agreements.remove_person(member, _me())
    db.session.commit()
    return _people_answer(subcontractor, _("Removed."), "success")
