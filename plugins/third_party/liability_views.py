"""Screens of interventions (Part 2 §1.2, Part 2 §2, Part 2 §5), claims against subcontractors with their cap
(Part 2 §3.1, Part 2 §6.2, Part 2 §6.3) and disputes about third parties with the right to terminate (Part 2 §7). One
set of routes for both parties: the vendor's staff, and the client's admins for their own agreements only."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from plugins.third_party import deadlines, interventions, liability
from plugins.third_party.liability_forms import (
    ClaimAgreeForm,
    ClaimForm,
    ClaimRecoverForm,
    ClaimRejectForm,
    DisputeForm,
    InterventionForm,
    InterventionNoticeForm,
    ResolveForm,
    StepForm,
    TerminateForm,
)
from plugins.third_party.liability_models import (
    Cause,
    ClaimKind,
    Intervention,
    StepKind,
    ThirdPartyClaim,
    ThirdPartyClaimFile,
    ThirdPartyDispute,
)
from plugins.third_party.views import bp
from saas.contracts.models import Contract
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import VENDOR_ROLES, Role
from saas.core.rendering import evidence_download, is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db

#: Who sees these screens: the vendor's staff, and the client's admins (for their own client's agreements).
viewers = roles_required(*VENDOR_ROLES, Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def _load(model, ident: int, for_update: bool = False):
    """A row of the tenant, of the member's own client for a client admin; 404 otherwise."""
    return get_or_404(model, ident, current_tenant, client_id=visible_client_id(), for_update=for_update)


def _party(contract: Contract) -> str:
    """The party the signed-in member acts for on the agreement; 403 for one who only reads."""
    party = interventions.party_for(g.membership, contract)
    if party is None:
        abort(403)
    return party


def _refuse(form, exc: ServiceError, fallback: str) -> str | None:
    """Show a service's refusal beside the field it concerns; one about no field is returned, for the page's top."""
    if not getattr(exc, "field", ""):
        return str(exc)
    field = getattr(form, exc.field, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(exc)]
    return None


def _files(field) -> list[tuple[str, str, bytes]]:
    return [(f.filename, f.mimetype, f.read()) for f in (field.data or []) if getattr(f, "filename", "")]


def _back_to_contract(contract: Contract):
    page = "portal_contracts.portal_detail" if g.membership.role_enum.is_client else "contracts.detail"
    return redirect(url_for(page, contract_id=contract.id))


# Interventions (Part 2 §1.2, Part 2 §2, Part 2 §5)


def _sub_choices(contract: Contract, empty: str):
    """The subcontractors that work or worked on the agreement (never the vendor's others, which a client must not
    learn of), after the choice of an outside third party."""
    return choices([(0, empty)] + [(s.id, s.legal_name) for s in liability.claimable_subcontractors(contract)])


@bp.route("/contracts/<int:contract_id>/interventions/new", methods=["GET", "POST"])
@viewers
def intervention_new(contract_id):
    """Record a third party's intervention on the agreement: what, when, its cause and its effect."""
    contract = _load(Contract, contract_id)
    party = _party(contract)
    form = InterventionForm()
    form.subcontractor_id.choices = _sub_choices(contract, _("— an outside third party —"))
    refusal = None
    form.cause.choices = choices(
        [("", _("— choose —"))] + [(c.value, interventions.label(interventions.CAUSE_LABELS, c)) for c in Cause]
    )
    if form.validate_on_submit():
        try:
            row = interventions.record(contract, party, _me(), form.data)
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "description")
        else:
            db.session.commit()
            flash(_("Intervention recorded: send the other party its written notice (Part 2 §2.1)."), "success")
            return redirect(url_for("plugin_third_party.intervention_detail", tp_intervention_id=row.id))
    status = 422 if request.method == "POST" else 200
    return render("third_party/intervention_new.html", form=form, contract=contract, refusal=refusal, status=status)


def _intervention_page(row: Intervention, status: int = 200, block: str = "content", refusal=None, **forms):
    party = interventions.party_for(g.membership, row.contract)
    return render(
        "third_party/intervention.html",
        block=block,
        status=status,
        refusal=refusal,
        fragment=is_fragment_request(),
        row=row,
        contract=row.contract,
        party=party,
        today=local_today(current_tenant),
        causes=interventions.CAUSE_LABELS,
        statuses=interventions.STATUS_LABELS,
        steps=interventions.STEP_LABELS,
        parties=interventions.notices.PARTY_LABELS,
        notice_form=forms.get("notice_form") or InterventionNoticeForm(formdata=None),
        step_form=forms.get("step_form") or StepForm(formdata=None, data={"happened_on": local_today(current_tenant)}),
        resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
        portal=g.membership.role_enum.is_client,
    )


@bp.get("/interventions/<int:tp_intervention_id>")
@viewers
def intervention_detail(tp_intervention_id):
    """One intervention as both parties see it: its facts, notice, negotiation, measures and outcome, in order."""
    return _intervention_page(_load(Intervention, tp_intervention_id))


@bp.post("/interventions/<int:tp_intervention_id>/notify")
@viewers
def intervention_notify(tp_intervention_id):
    """Send the other party the written notice of the intervention with its evidence (Part 2 §2.1)."""
    row = _load(Intervention, tp_intervention_id)
    party = _party(row.contract)
    form = InterventionNoticeForm()
    refusal = None
    if form.validate_on_submit():
        try:
            interventions.notify(row, party, _me(), form.data, _files(form.evidence))
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "subject")
        else:
            db.session.commit()
            flash(_("Written notice sent to the other party."), "success")
            return redirect(url_for("plugin_third_party.intervention_detail", tp_intervention_id=row.id))
    return _intervention_page(_load(Intervention, tp_intervention_id), status=422, refusal=refusal, notice_form=form)


@bp.post("/interventions/<int:tp_intervention_id>/steps")
@viewers
def intervention_step(tp_intervention_id):
    """Add a dated negotiation entry (Part 2 §2.2) or a measure taken (Part 2 §2.3); an HTMX fragment of the page."""
    row = _load(Intervention, tp_intervention_id)
    party = _party(row.contract)
    form = StepForm()
    status, refusal = 422, None
    if form.validate_on_submit():
        action = interventions.negotiate if form.kind.data == StepKind.NEGOTIATION else interventions.take_measure
        try:
            action(row, party, _me(), form.happened_on.data, form.text.data)
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "text")
        else:
            db.session.commit()
            status, form = 200, None
            if not is_fragment_request():
                return redirect(url_for("plugin_third_party.intervention_detail", tp_intervention_id=row.id))
    row = _load(Intervention, tp_intervention_id)
    return _intervention_page(row, status=status, block="steps", refusal=refusal, step_form=form)


@bp.post("/interventions/<int:tp_intervention_id>/resolve")
@viewers
def intervention_resolve(tp_intervention_id):
    """Close the intervention with the outcome of the measures taken (Part 2 §2.3)."""
    row = _load(Intervention, tp_intervention_id)
    party = _party(row.contract)
    form = ResolveForm()
    refusal = None
    if form.validate_on_submit():
        try:
            interventions.resolve(row, party, _me(), form.outcome.data)
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "outcome")
        else:
            db.session.commit()
            flash(_("Intervention resolved."), "success")
            return redirect(url_for("plugin_third_party.intervention_detail", tp_intervention_id=row.id))
    return _intervention_page(_load(Intervention, tp_intervention_id), status=422, refusal=refusal, resolve_form=form)


# Claims against subcontractors and the cap (Part 2 §3.1, Part 2 §6.2, Part 2 §6.3)


@bp.route("/contracts/<int:contract_id>/claims/new", methods=["GET", "POST"])
@viewers
def claim_new(contract_id):
    """Claim a penalty or damages from a subcontractor, within what remains of Part 2 §3.1's cap."""
    contract = _load(Contract, contract_id)
    party = _party(contract)
    form = ClaimForm()
    form.subcontractor_id.choices = choices(
        [(0, _("— choose —"))] + [(s.id, s.legal_name) for s in liability.claimable_subcontractors(contract)]
    )
    form.kind.choices = choices([(k.value, str(liability.KIND_LABELS[k])) for k in ClaimKind])
    refusal = None
    if form.validate_on_submit():
        files = [("direct", *f) for f in _files(form.direct_files)] + [
            ("indirect", *f) for f in _files(form.indirect_files)
        ]
        try:
            claim = liability.submit(contract, party, _me(), form.data, files)
        except liability.ClaimError as exc:
            db.session.rollback()
            refusal = str(exc)  # the cap's figure, above the form
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "direct_amount")
        else:
            db.session.commit()
            flash(_("Claim submitted."), "success")
            return redirect(url_for("plugin_third_party.claim_detail", tp_claim_id=claim.id))
        contract = _load(Contract, contract_id)
    status = 422 if request.method == "POST" else 200
    return render(
        "third_party/claim_new.html",
        form=form,
        contract=contract,
        cap=liability.cap_of(contract),
        refusal=refusal,
        status=status,
    )


def _claim_page(claim: ThirdPartyClaim, status: int = 200, refusal: str | None = None, **forms):
    party = interventions.party_for(g.membership, claim.contract)
    return render(
        "third_party/claim.html",
        status=status,
        claim=claim,
        contract=claim.contract,
        cap=liability.cap_of(claim.contract),
        may_answer=liability.may_answer(claim, party),
        kinds=liability.KIND_LABELS,
        statuses=liability.STATUS_LABELS,
        parties=interventions.notices.PARTY_LABELS,
        refusal=refusal,
        agree_form=forms.get("agree_form") or ClaimAgreeForm(formdata=None),
        reject_form=forms.get("reject_form") or ClaimRejectForm(formdata=None),
        recover_form=forms.get("recover_form") or ClaimRecoverForm(formdata=None),
    )


@bp.get("/claims/<int:tp_claim_id>")
@viewers
def claim_detail(tp_claim_id):
    """One claim: its losses and evidence, its state, and the cap with what is recovered and what remains."""
    return _claim_page(_load(ThirdPartyClaim, tp_claim_id))


def _answer(tp_claim_id: int, form_class, key: str, act):
    claim = _load(ThirdPartyClaim, tp_claim_id)
    party = interventions.party_for(g.membership, claim.contract)
    form = form_class()
    refusal = None
    if form.validate_on_submit():
        try:
            act(claim, party, form)
        except liability.ClaimError as exc:
            db.session.rollback()
            refusal = str(exc)
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, next(iter(form.data)))
        else:
            db.session.commit()
            flash(_("Claim updated."), "success")
            return redirect(url_for("plugin_third_party.claim_detail", tp_claim_id=tp_claim_id))
    return _claim_page(_load(ThirdPartyClaim, tp_claim_id), status=422, refusal=refusal, **{key: form})


@bp.post("/claims/<int:tp_claim_id>/agree")
@viewers
def claim_agree(tp_claim_id):
    """Record that the subcontractor agrees to pay (in full or an amount), within the cap."""
    return _answer(
        tp_claim_id,
        ClaimAgreeForm,
        "agree_form",
        lambda c, p, f: liability.agree(c, p, _me(), f.amount.data, f.note.data),
    )


@bp.post("/claims/<int:tp_claim_id>/reject")
@viewers
def claim_reject(tp_claim_id):
    """Record that the subcontractor refuses the claim, and why."""
    return _answer(
        tp_claim_id, ClaimRejectForm, "reject_form", lambda c, p, f: liability.reject(c, p, _me(), f.note.data)
    )


@bp.post("/claims/<int:tp_claim_id>/recover")
@viewers
def claim_recover(tp_claim_id):
    """Record the day the agreed amount was recovered from the subcontractor."""
    return _answer(
        tp_claim_id, ClaimRecoverForm, "recover_form", lambda c, p, f: liability.recover(c, p, _me(), f.on.data)
    )


@bp.get("/claim-files/<int:tp_claim_file_id>")
@viewers
def claim_file(tp_claim_file_id):
    """A file of a claim's evidence, as a download."""
    row = _load(ThirdPartyClaimFile, tp_claim_file_id)
    return evidence_download(row.data, row.filename)


# Disputes about third parties and Part 2 §7.2's right to terminate


@bp.route("/contracts/<int:contract_id>/disputes/new", methods=["GET", "POST"])
@viewers
def dispute_new(contract_id):
    """Raise a dispute with the other party about a third party (Part 2 §7.1): on the ladder, with its notice."""
    contract = _load(Contract, contract_id)
    party = _party(contract)
    form = DisputeForm()
    form.subcontractor_id.choices = _sub_choices(contract, _("— an outside third party —"))
    refusal = None
    form.intervention_id.choices = choices(
        [(0, _("— none —"))]
        + [(i.id, f"#{i.id} {i.occurred_on.isoformat()} {i.party_name}") for i in interventions.of_contract(contract)]
    )
    if form.validate_on_submit():
        try:
            row = deadlines.open_about(contract, party, _me(), form.data)
        except ServiceError as exc:
            db.session.rollback()
            refusal = _refuse(form, exc, "summary")
        else:
            db.session.commit()
            flash(
                _(
                    "Dispute %(number)s opened; unresolved by %(day)s it allows termination (Part 2 §7.2).",
                    number=row.dispute.number,
                    day=row.deadline.isoformat(),
                ),
                "success",
            )
            return _back_to_contract(contract)
    status = 422 if request.method == "POST" else 200
    return render("third_party/dispute_new.html", form=form, contract=contract, refusal=refusal, status=status)


@bp.route("/disputes/<int:tp_dispute_id>/terminate", methods=["GET", "POST"])
@viewers
def dispute_terminate(tp_dispute_id):
    """Terminate the agreement under Part 2 §7.2, by a notice of termination referring to the dispute's notice."""
    row = _load(ThirdPartyDispute, tp_dispute_id)
    party = _party(row.contract)
    form = TerminateForm()
    refusal = deadlines.refusal(row, party, local_today(current_tenant))  # not yet, or not this party's right
    can = refusal is None
    if can and form.validate_on_submit():
        try:
            notice = deadlines.terminate(row, party, _me(), form.data)
        except ServiceError as exc:
            db.session.rollback()
            refusal = str(exc)
        else:
            db.session.commit()
            flash(_("Notice %(number)s sent: the agreement is terminated.", number=notice.number), "success")
            return _back_to_contract(row.contract)
        row = _load(ThirdPartyDispute, tp_dispute_id)
    status = 422 if request.method == "POST" else 200
    return render("third_party/dispute_terminate.html", form=form, row=row, refusal=refusal, can=can, status=status)


def contract_section(contract: Contract, membership):
    """The agreement page's section of Part 2 §1.2–§7.2, for the saas_contract_sections hook."""
    from flask import render_template
    from markupsafe import Markup

    from saas.core.plugins import ContractSection

    role = membership.role_enum
    if not (role.is_vendor or (role == Role.CLIENT_ADMIN and membership.client_id == contract.client_id)):
        return []
    today = local_today(contract.tenant)
    html = render_template(
        "third_party/_liability_section.html",
        contract=contract,
        party=interventions.party_for(membership, contract),
        interventions=interventions.of_contract(contract),
        intervention_statuses=interventions.STATUS_LABELS,
        claims=liability.of_contract(contract),
        claim_statuses=liability.STATUS_LABELS,
        cap=liability.cap_of(contract),
        disputes=[(row, deadlines.holder(row, today)) for row in deadlines.of_contract(contract)],
        parties=interventions.notices.PARTY_LABELS,
    )
    return [ContractSection(_("Third parties: interventions, liability and disputes"), Markup(html), order=41)]  # noqa: S704
