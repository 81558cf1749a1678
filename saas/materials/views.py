"""Screens of Party A's materials (Part 3, 说明二 1.2): the vendor asks on a request's page and follows its asks in a
list with each one's timeline; the client supplies them on its request's page; both see the client's breaches, and
billing staff propose, confirm or waive their §8.2 penalties."""

from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.contracts.models import ContractLine
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.materials import breaches, penalties, services
from saas.materials.forms import (
    AskForm,
    ConfirmPenaltyForm,
    ProposePenaltyForm,
    SupplyForm,
    WaivePenaltyForm,
    WithdrawForm,
)
from saas.materials.models import ClientBreach, MaterialsPenalty, MaterialsRequest, MaterialsStatus
from saas.requests.models import ServiceRequest

bp = tenant_blueprint("materials", __name__, url_prefix="/materials", template_folder="templates")
portal_bp = tenant_blueprint("portal_materials", __name__, url_prefix="/portal/materials", template_folder="templates")
vendor_only = roles_required(*VENDOR_ROLES)
billing_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
client_only = roles_required(*CLIENT_ROLES)
#: At most this many files with one supply, 10 MB each (the request attachments' limit).
MAX_FILES = 5


def _to_utc(local_value):
    """A wall-clock time typed in the tenant's time zone, as UTC."""
    if local_value is None:
        return None
    return local_value.replace(tzinfo=ZoneInfo(current_tenant.timezone)).astimezone(ZoneInfo("UTC"))


def _uploads(field) -> list[tuple[str, str, bytes]]:
    return [(f.filename, f.mimetype, f.read()) for f in (field.data or []) if getattr(f, "filename", "")]


def section_html(req: ServiceRequest, vendor: bool, **forms) -> str:
    """The asks of a request as a block of its page (saas_request_sections), with the ask or supply forms."""
    return render_template("materials/_request_section.html", **_section_context(req, vendor, **forms))


def _section_context(req: ServiceRequest, vendor: bool, message=None, **forms) -> dict:
    asks = services.of_request(req)
    supply_forms = {
        m.id: forms.get("supply_forms", {}).get(m.id) or SupplyForm(formdata=None, prefix=f"m{m.id}")
        for m in asks
        if m.status in (MaterialsStatus.ASKED, MaterialsStatus.OVERDUE)
    }
    return {
        "req": req,
        "asks": asks,
        "vendor": vendor,
        "ask_form": forms.get("ask_form") or AskForm(formdata=None),
        "supply_forms": supply_forms,
        "labels": services.STATUS_LABELS,
        "message": message,
        "can_ask": vendor and req.status not in ("resolved", "closed"),
    }


def _section_answer(
    req: ServiceRequest, vendor: bool, message: str, category: str, status: int = 200, in_form: bool = False, **forms
):
    """The request's materials block again (HTMX), or back to the request's page with the message.

    `in_form`: the message is the form's own errors, which the block shows beside their fields."""
    if is_fragment_request():
        return render(
            "materials/_request_section.html",
            block="section",
            status=status,
            **_section_context(req, vendor, message=None if in_form else (message, category), **forms),
        )
    flash(message, category)
    page = "requests.detail" if vendor else "portal_requests.portal_detail"
    return redirect(url_for(page, request_id=req.id))


@bp.post("/ask/<int:request_id>")
@vendor_only
def ask(request_id):
    """Ask the client for the materials the request needs, by a deadline: its clocks stop until they come."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = AskForm()
    if not form.validate_on_submit():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _section_answer(req, True, errors, "error", status=422, in_form=True, ask_form=form)
    try:
        services.ask(req, current_user._get_current_object(), form.what.data, _to_utc(form.due_at.data))
    except ServiceError as exc:
        db.session.rollback()
        return _section_answer(req, True, str(exc), "error", status=422, ask_form=form)
    db.session.commit()
    return _section_answer(
        req, True, _("Materials asked: the client's admins are told, and the clocks stand still."), "success"
    )


@bp.post("/<int:materials_id>/withdraw")
@vendor_only
def withdraw(materials_id):
    """Withdraw an ask no longer needed, saying why: its pause of the request's clocks ends."""
    materials = get_or_404(MaterialsRequest, materials_id, current_tenant)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.reason.errors) or _("Say why the materials are no longer needed."), "error")
        return redirect(url_for("materials.detail", materials_id=materials.id))
    try:
        done = services.withdraw(materials, current_user._get_current_object(), form.reason.data)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Ask withdrawn.") if done else _("This ask was withdrawn already."), "success")
    return redirect(url_for("materials.detail", materials_id=materials.id))


def _status_filter() -> str:
    status = request.args.get("status", "")
    return status if status in MaterialsStatus.__members__.values() else ""


def _list(portal: bool):
    client_id = visible_client_id() if portal else parse_id(request.args.get("client", ""))
    status, after = _status_filter(), parse_id(request.args.get("after", ""))
    rows, next_after = services.list_asks(current_tenant, client_id=client_id, status=status, after=after)
    filters = {"status": status or None, **({} if portal else {"client": client_id})}
    return render(
        "materials/list.html",
        block="rows" if after else "content",
        asks=rows,
        next_after=next_after,
        filters=filters,
        statuses=list(MaterialsStatus),
        labels=services.STATUS_LABELS,
        clients=[] if portal else client_choices(current_tenant),
        portal=portal,
        endpoint="portal_materials.portal_index" if portal else "materials.index",
    )


@bp.get("/")
@vendor_only
def index():
    """Every ask for materials across the vendor's clients, newest first, by status and client."""
    return _list(portal=False)


def _detail(materials: MaterialsRequest, portal: bool):
    return render(
        "materials/detail.html",
        materials=materials,
        steps=services.timeline(materials),
        breach=breaches.breach_of(materials),
        labels=services.STATUS_LABELS,
        portal=portal,
        withdraw_form=WithdrawForm(formdata=None),
    )


@bp.get("/<int:materials_id>")
@vendor_only
def detail(materials_id):
    """One ask: what, by when, its timeline (asked, reminded, overdue, supplied or withdrawn) and its breach."""
    return _detail(get_or_404(MaterialsRequest, materials_id, current_tenant), portal=False)


def _breaches(portal: bool):
    client_id = visible_client_id() if portal else parse_id(request.args.get("client", ""))
    after = parse_id(request.args.get("after", ""))
    rows, next_after = breaches.list_breaches(current_tenant, client_id=client_id, after=after)
    return render(
        "materials/breaches.html",
        block="rows" if after else "content",
        rows=rows,
        next_after=next_after,
        filters={} if portal else {"client": client_id},
        clients=[] if portal else client_choices(current_tenant),
        labels=penalties.STATUS_LABELS,
        portal=portal,
        endpoint="portal_materials.portal_breaches" if portal else "materials.breaches_index",
    )


@bp.get("/breaches")
@vendor_only
def breaches_index():
    """The clients' breaches of materials (Part 3, 说明二 1.2), newest first, with their penalties."""
    return _breaches(portal=False)


def _propose_form(breach: ClientBreach, formdata=None) -> ProposePenaltyForm:
    form = ProposePenaltyForm(formdata=formdata)
    currency = breach.contract.currency
    form.line_id.choices = choices(
        [(0, _("An amount I state below"))]
        + [
            (
                line.id,
                f"{line.description} · {(line.quantity * line.monthly_fee).quantize(line.monthly_fee)} {currency}",
            )
            for line in breach.contract.lines
        ]
    )
    return form


def _breach_context(breach: ClientBreach, portal: bool, message=None, **forms) -> dict:
    return {
        "breach": breach,
        "penalty": penalties.of_breach(breach),
        "labels": penalties.STATUS_LABELS,
        "portal": portal,
        "message": message,
        "propose_form": forms.get("propose_form") or _propose_form(breach),
        "confirm_form": forms.get("confirm_form") or ConfirmPenaltyForm(formdata=None),
        "waive_form": forms.get("waive_form") or WaivePenaltyForm(formdata=None),
        "billing": not portal and g.membership.role in (Role.VENDOR_ADMIN, Role.VENDOR_BILLING),
    }


@bp.get("/breaches/<int:client_breach_id>")
@vendor_only
def breach(client_breach_id):
    """A client breach with its evidence, and its §8.2 penalty: proposed, decided, billed."""
    return render(
        "materials/breach.html", **_breach_context(get_or_404(ClientBreach, client_breach_id, current_tenant), False)
    )


def _penalty_answer(breach: ClientBreach, message: str, category: str, status: int = 200, **forms):
    """The breach's penalty block again (HTMX), or back to the breach's page with the message."""
    if is_fragment_request():
        return render(
            "materials/breach.html",
            block="penalty",
            status=status,
            **_breach_context(breach, False, message=(message, category), **forms),
        )
    flash(message, category)
    return redirect(url_for("materials.breach", client_breach_id=breach.id))


@bp.post("/breaches/<int:client_breach_id>/penalty")
@billing_staff
def propose(client_breach_id):
    """Propose the §8.2 penalty of a client breach: a base (a line's monthly fee, or an amount) × the penalty rate."""
    breach = get_or_404(ClientBreach, client_breach_id, current_tenant)
    form = _propose_form(breach, formdata=request.form)
    if not form.validate_on_submit():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _penalty_answer(breach, errors, "error", status=422, propose_form=form)
    line = None
    if form.line_id.data:
        line = db.session.get(ContractLine, form.line_id.data)
        if line is None or line.contract_id != breach.contract_id:
            abort(404)
    try:
        penalty = penalties.propose(
            breach,
            current_user._get_current_object(),
            line=line,
            basis=form.basis.data,
            basis_note=form.basis_note.data or "",
        )
    except ServiceError as exc:
        db.session.rollback()
        return _penalty_answer(breach, str(exc), "error", status=422, propose_form=form)
    db.session.commit()
    return _penalty_answer(
        breach,
        _("Penalty of %(amount)s %(currency)s proposed.", amount=penalty.amount, currency=penalty.currency),
        "success",
    )


@bp.post("/penalties/<int:materials_penalty_id>/confirm")
@billing_staff
def confirm(materials_penalty_id):
    """Confirm a proposed penalty: it goes on the agreement's next invoice."""
    penalty = get_or_404(MaterialsPenalty, materials_penalty_id, current_tenant)
    form = ConfirmPenaltyForm()
    if not form.validate_on_submit():
        return _penalty_answer(penalty.breach, _("Check the note."), "error", status=422, confirm_form=form)
    try:
        done = penalties.confirm(penalty, current_user._get_current_object(), form.note.data or "")
    except ServiceError as exc:
        db.session.rollback()
        return _penalty_answer(penalty.breach, str(exc), "error")
    db.session.commit()
    return _penalty_answer(
        penalty.breach,
        _("Penalty confirmed: it goes on the next invoice of %(number)s.", number=penalty.contract.number)
        if done
        else _("This penalty was confirmed already."),
        "success",
    )


@bp.post("/penalties/<int:materials_penalty_id>/waive")
@billing_staff
def waive(materials_penalty_id):
    """Waive a proposed penalty, for a reason the client reads: nothing is billed."""
    penalty = get_or_404(MaterialsPenalty, materials_penalty_id, current_tenant)
    form = WaivePenaltyForm()
    if not form.validate_on_submit():
        errors = " ".join(str(e) for e in form.reason.errors)
        return _penalty_answer(penalty.breach, errors, "error", status=422, waive_form=form)
    try:
        done = penalties.waive(penalty, current_user._get_current_object(), form.reason.data)
    except ServiceError as exc:
        db.session.rollback()
        return _penalty_answer(penalty.breach, str(exc), "error")
    db.session.commit()
    return _penalty_answer(
        penalty.breach, _("Penalty waived.") if done else _("This penalty was waived already."), "success"
    )


# The client's portal ------------------------------------------------------------------------------


def _my_client_id() -> int:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


@portal_bp.get("/")
@client_only
def portal_index():
    """The materials the vendor asked of this client, newest first, with their deadlines."""
    return _list(portal=True)


@portal_bp.get("/<int:materials_id>")
@client_only
def portal_detail(materials_id):
    """One ask of the client: what, by when, and what came of it."""
    return _detail(get_or_404(MaterialsRequest, materials_id, current_tenant, _my_client_id()), portal=True)


@portal_bp.post("/<int:materials_id>/supply")
@client_only
def portal_supply(materials_id):
    """The client supplies the materials asked: a note and/or files; the ask's pause of the clocks ends."""
    materials = get_or_404(MaterialsRequest, materials_id, current_tenant, _my_client_id())
    req = materials.request
    form = SupplyForm(prefix=f"m{materials.id}")
    if not form.validate_on_submit():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _section_answer(req, False, errors, "error", status=422, in_form=True, supply_forms={materials.id: form})
    files = _uploads(form.files)
    try:
        if len(files) > MAX_FILES:
            raise services.MaterialsError(_("Send at most %(num)d files at once.", num=MAX_FILES))
        done = services.supply(materials, current_user._get_current_object(), form.note.data or "", files)
    except ServiceError as exc:
        db.session.rollback()
        return _section_answer(req, False, str(exc), "error", status=422, supply_forms={materials.id: form})
    db.session.commit()
    return _section_answer(
        req,
        False,
        _("Thank you: the materials are with the vendor.") if done else _("These were supplied already."),
        "success",
    )


@portal_bp.get("/breaches")
@client_only
def portal_breaches():
    """This client's breaches of materials recorded by the vendor, with their penalties."""
    _my_client_id()
    return _breaches(portal=True)


@portal_bp.get("/breaches/<int:client_breach_id>")
@client_only
def portal_breach(client_breach_id):
    """One of the client's breaches with its evidence and its penalty, which the client admin may contest."""
    row = get_or_404(ClientBreach, client_breach_id, current_tenant, _my_client_id())
    return render("materials/breach.html", **_breach_context(row, True))
