"""Screens of contracts: the vendor's list, drafts, detail tabs, catalogue and defaults; the client's view."""

from decimal import Decimal

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from saas.contracts import changes, pages, services, signing
from saas.contracts.forms import (
    TERM_LABELS,
    AmendmentForm,
    ContractForm,
    DefaultsForm,
    ServiceForm,
    SignForm,
    TerminationForm,
)
from saas.contracts.models import TERM_FIELDS, Contract, ContractChange, ContractDocument, ContractStatus, Service
from saas.contracts.sign_form import sign_from_form
from saas.core import audit
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.plugins import merge_obligations, plugin_manager
from saas.core.rendering import attachment, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db

bp = tenant_blueprint("contracts", __name__, url_prefix="/contracts", template_folder="templates")
portal_bp = tenant_blueprint("portal_contracts", __name__, url_prefix="/portal/contracts", template_folder="templates")

EDITORS = (Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
vendor_only = roles_required(*VENDOR_ROLES)
TABS = ("terms", "fees", "signatures", "changes", "obligations", "history")


def _service_name(service: Service) -> str:
    return service.name_zh if str(get_locale()).startswith("zh") else service.name_en


def _service_label(service: Service) -> str:
    label = f"{service.code} · {_service_name(service)}"
    return label if service.active else label + _(" (no longer offered)")


def _prepare(form: ContractForm) -> dict[int, Service]:
    """Fill the form's choices; returns the tenant's active catalogue by id."""
    if hasattr(form, "client_id"):
        form.client_id.choices = choices([(0, _("— choose —")), *client_choices(current_tenant)])
    # Every service, not only those still offered: a line may name one that was withdrawn since.
    catalogue = {s.id: s for s in services.list_services(current_tenant)}
    line_choices = choices([(0, _("— other —")), *[(s.id, _service_label(s)) for s in catalogue.values()]])
    for entry in form.lines.entries:
        entry.form.service_id.choices = line_choices
    return catalogue


def _added_a_line(form) -> bool:
    """The "add a line" button: the form comes back with one more empty line, nothing saved."""
    if request.method != "POST" or not request.form.get("add_line"):
        return False
    form.lines.append_entry()
    _prepare(form)
    return True


def _fill_lines(form, contract: Contract) -> None:
    """Show a contract's fee lines in a form's line rows."""
    while len(form.lines.entries) < len(contract.lines):
        form.lines.append_entry()
    for entry, line in zip(form.lines.entries, contract.lines, strict=False):
        entry.form.process(obj=line)
        entry.form.service_id.data = line.service_id or 0


def _lines(form: ContractForm, catalogue: dict[int, Service]) -> list[dict]:
    """The filled-in lines, with a catalogue service's name and fee where the line leaves them empty."""
    lines = []
    for entry in form.lines.entries:
        line = entry.form
        if line.is_blank:
            continue
        service = catalogue.get(line.service_id.data)
        if line.service_id.data and service is None:
            raise ServiceError(_("Choose a service from your catalogue."))
        lines.append(
            {
                "service_id": service.id if service else None,
                "description": (line.description.data or "").strip() or _service_name(service),
                "quantity": line.quantity.data if line.quantity.data is not None else Decimal(1),
                "monthly_fee": line.monthly_fee.data
                if line.monthly_fee.data is not None
                else service.default_monthly_fee,
            }
        )
    if not lines:
        raise ServiceError(_("Add at least one line to the fee schedule."))
    return lines


@bp.get("/")
@vendor_only
def index():
    """The vendor's contracts: filter by status, client, expiring soon; newest first, keyset pages."""
    status = request.args.get("status", "")
    client_id = request.args.get("client", type=parse_id)
    expiring = request.args.get("expiring") == "1"
    query = request.args.get("q", "").strip()
    rows, next_after = services.list_contracts(
        current_tenant,
        client_id=client_id,
        status=status if status in ContractStatus.__members__.values() else "",
        expiring_days=90 if expiring else None,
        query=query,
        after=request.args.get("after", type=parse_id),
    )
    clients = client_choices(current_tenant)
    filters = {"status": status or None, "client": client_id, "expiring": "1" if expiring else None, "q": query or None}
    block = "rows" if request.args.get("after") else "content"
    return render(
        "contracts/list.html",
        block=block,
        contracts=pages.contract_rows(current_tenant, rows),
        next_after=next_after,
        clients=clients,
        filters=filters,
        statuses=list(ContractStatus),
    )


def _edit(contract: Contract | None):
    """Create or edit a draft; the "add a line" button re-renders the form with one more line."""
    defaults = services.defaults_for(current_tenant)
    if request.method == "GET":
        form = ContractForm(obj=contract or defaults)
        if contract is not None:
            form.client_id.data = contract.client_id
            _fill_lines(form, contract)
    else:
        form = ContractForm()
    catalogue = _prepare(form)
    if _added_a_line(form):
        return render("contracts/form.html", form=form, contract=contract)
    if form.validate_on_submit():
        try:
            data = {
                k: getattr(form, k).data
                for k in (
                    *TERM_FIELDS,
                    "title",
                    "effective_date",
                    "party_a_signatory",
                    "party_b_signatory",
                    "signing_place",
                )
            }
            lines = _lines(form, catalogue)
            if contract is None:
                contract = services.create_draft(current_tenant, form.client_id.data, data, lines, current_user)
            else:
                services.update_draft(contract, data, lines, current_user)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Contract %(number)s saved as a draft.", number=contract.number), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render("contracts/form.html", form=form, contract=contract)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    """Draft a new contract from the catalogue and the vendor's default terms."""
    return _edit(None)


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(contract_id):
    """Change a draft (a contract out for signature or signed is never edited)."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    if contract.status != ContractStatus.DRAFT:
        flash(_("Only a draft can be edited; a signed contract changes only by an amendment."), "error")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    return _edit(contract)


def obligations(contract: Contract):
    """The contract's measurable obligations, from every domain and plugin (one hook)."""
    return merge_obligations(plugin_manager().for_tenant(current_tenant).saas_contract_obligations(contract=contract))


def sections(contract: Contract) -> list:
    """Blocks other domains show on the contract's page (e.g. open requests once it has ended, §10.4)."""
    groups = (
        plugin_manager().for_tenant(current_tenant).saas_contract_sections(contract=contract, membership=g.membership)
    )
    return sorted((s for group in groups for s in group), key=lambda s: s.order)


def _detail(contract: Contract, template: str):
    """A contract's page with one tab open (or the tab alone for HTMX), from what pages.contract_page gathers."""
    tab = request.args.get("tab", "terms")
    tab = tab if tab in TABS else "terms"
    vendor_actions = request.blueprint == "contracts" and g.membership.role in EDITORS
    page = pages.contract_page(
        contract,
        tab,
        vendor_actions=vendor_actions,
        obligations=lambda: obligations(contract),
        sections=sections(contract),
    )
    return render(
        template,
        block="tab" if request.headers.get("HX-Target") == "contract-tab" else "content",
        contract=contract,
        page=page,
        tab=tab,
        tabs=TABS,
        confirm=ConfirmForm(),
        term_labels=TERM_LABELS,
        my_party=_my_party(contract),
        sign_form=SignForm(formdata=None),
    )


def _my_party(contract: Contract) -> str | None:
    """The party the signed-in person may sign for: B for a vendor admin, A for the contract's client admin."""
    role = g.membership.role
    if role == Role.VENDOR_ADMIN:
        return "B"
    if role == Role.CLIENT_ADMIN and g.membership.client_id == contract.client_id:
        return "A"
    return None


def _document(contract: Contract, document_id: int, as_pdf: bool):
    """Show or download a stored document of the contract; every view and download is audited (§7)."""
    document = db.session.scalar(
        select(ContractDocument).where(ContractDocument.id == document_id, ContractDocument.contract_id == contract.id)
    )
    if document is None:
        abort(404)
    action = "contracts.document_downloaded" if as_pdf else "contracts.document_viewed"
    audit.record(
        action,
        tenant_id=contract.tenant_id,
        target=document,
        number=contract.number,
        version=document.version,
        language=document.language,
    )
    db.session.commit()
    if as_pdf:
        response = make_response(signing.pdf(document))
        response.mimetype = "application/pdf"
        filename = f"{contract.number}-v{document.version}-{document.language}.pdf"
        attachment(response, filename)
    else:
        response = make_response(document.html)
    response.headers["X-Document-SHA256"] = document.sha256
    return response


def _sign_as_my_party(contract: Contract, sign, back_url: str):
    """Record the signed-in person's signature for their party on the text they saw; sign(party, …) does it."""
    party = _my_party(contract)
    if party is None:
        abort(403)
    return sign_from_form(
        SignForm(),
        lambda *signer: sign(party, *signer),
        back_url,
        lambda _done: _("Signed for Party A (the client).") if party == "A" else _("Signed for Party B (the vendor)."),
    )


def _sign(contract: Contract, endpoint: str):
    """Sign the agreement's current text."""
    return _sign_as_my_party(
        contract,
        lambda *args: signing.sign(contract, *args),
        url_for(endpoint, contract_id=contract.id, tab="signatures"),
    )


@bp.get("/<int:contract_id>/documents/<int:document_id>")
@vendor_only
def document(contract_id, document_id):
    """The agreement exactly as sent for signatures (HTML)."""
    return _document(get_or_404(Contract, contract_id, current_tenant), document_id, as_pdf=False)


@bp.get("/<int:contract_id>/documents/<int:document_id>/pdf")
@vendor_only
def document_pdf(contract_id, document_id):
    """The agreement as PDF."""
    return _document(get_or_404(Contract, contract_id, current_tenant), document_id, as_pdf=True)


@bp.post("/<int:contract_id>/sign")
@roles_required(Role.VENDOR_ADMIN)
def sign(contract_id):
    """A vendor admin signs for Party B (乙方)."""
    return _sign(get_or_404(Contract, contract_id, current_tenant), "contracts.detail")


@bp.get("/<int:contract_id>")
@vendor_only
def detail(contract_id):
    """A contract: terms, fee schedule, obligations and history (tabs load as HTMX fragments)."""
    return _detail(get_or_404(Contract, contract_id, current_tenant), "contracts/detail.html")


@bp.post("/<int:contract_id>/<any(submit, withdraw):action>")
@roles_required(*EDITORS)
def change_status(contract_id, action):
    """Send a draft for signatures, or take it back to draft."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "submit":
            signing.send_for_signatures(contract, current_user)
        else:
            signing.withdraw(contract, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Sent for signatures.") if action == "submit" else _("Back to draft."), "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.post("/<int:contract_id>/renew")
@roles_required(*EDITORS)
def renew(contract_id):
    """Draft the successor of a contract from its current terms (§1.2)."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        successor = services.renew(contract, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    db.session.commit()
    flash(_("Renewal drafted as %(number)s.", number=successor.number), "success")
    return redirect(url_for("contracts.edit", contract_id=successor.id))


@bp.get("/catalogue")
@vendor_only
def catalogue():
    """The vendor's service catalogue (§1.3, §2)."""
    return render("contracts/catalogue.html", services=services.list_services(current_tenant), confirm=ConfirmForm())


@bp.post("/catalogue/standard")
@roles_required(Role.VENDOR_ADMIN)
def add_standard():
    """Add the services the agreement names (§2) to the catalogue."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    added = services.add_standard_services(current_tenant)
    db.session.commit()
    flash(ngettext("%(num)d service added.", "%(num)d services added.", added), "success")
    return redirect(url_for("contracts.catalogue"))


@bp.route("/catalogue/new", methods=["GET", "POST"])
@bp.route("/catalogue/<int:service_id>", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def service(service_id=None):
    """Add or edit a catalogue entry."""
    row = get_or_404(Service, service_id, current_tenant) if service_id is not None else None
    form = ServiceForm(obj=row)
    if form.validate_on_submit():
        try:
            services.save_service(current_tenant, form.data, row)
        except ServiceError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("contracts.catalogue"))
    return render("contracts/service_form.html", form=form, service=row)


@bp.route("/defaults", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def defaults():
    """The vendor's default terms for new contracts (the agreement's blanks)."""
    row = services.defaults_for(current_tenant)
    form = DefaultsForm(obj=row)
    if form.validate_on_submit():
        services.save_defaults(current_tenant, form.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("contracts.defaults"))
    return render("contracts/defaults.html", form=form)


def _my_client_id() -> int:
    """The signed-in client member's organisation; a portal route never runs without one."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


def _client_contract(contract_id: int) -> Contract:
    """One of the client's own contracts, once sent to it (a vendor's draft is not shown to the client)."""
    contract = get_or_404(Contract, contract_id, current_tenant, client_id=_my_client_id())
    if contract.status == ContractStatus.DRAFT:
        abort(404)
    return contract


@portal_bp.get("/")
@roles_required(*CLIENT_ROLES)
def portal_index():
    """The client's own contracts with its vendor."""
    rows, next_after = services.list_contracts(
        current_tenant, client_id=_my_client_id(), after=request.args.get("after", type=parse_id), exclude_drafts=True
    )
    contracts = pages.contract_rows(current_tenant, rows)
    return render("contracts/portal_list.html", contracts=contracts, next_after=next_after)


@portal_bp.get("/<int:contract_id>")
@roles_required(*CLIENT_ROLES)
def portal_detail(contract_id):
    """One of the client's contracts, read-only."""
    contract = _client_contract(contract_id)
    return _detail(contract, "contracts/portal_detail.html")


@portal_bp.get("/<int:contract_id>/documents/<int:document_id>")
@roles_required(*CLIENT_ROLES)
def portal_document(contract_id, document_id):
    """The agreement as sent for signatures (HTML), for the client's people."""
    contract = _client_contract(contract_id)
    return _document(contract, document_id, as_pdf=False)


@portal_bp.get("/<int:contract_id>/documents/<int:document_id>/pdf")
@roles_required(*CLIENT_ROLES)
def portal_document_pdf(contract_id, document_id):
    """The agreement as PDF, for the client's people."""
    contract = _client_contract(contract_id)
    return _document(contract, document_id, as_pdf=True)


@portal_bp.post("/<int:contract_id>/sign")
@roles_required(Role.CLIENT_ADMIN)
def portal_sign(contract_id):
    """The client's admin signs for Party A (甲方)."""
    contract = _client_contract(contract_id)
    return _sign(contract, "portal_contracts.portal_detail")


def _change_page(contract: Contract, change: ContractChange, template: str):
    vendor_side = request.blueprint == "contracts"
    sign_endpoint = "contracts.change_sign" if vendor_side else "portal_contracts.portal_change_sign"
    return render(
        template,
        contract=contract,
        change=change,
        term_labels=TERM_LABELS,
        docs=signing.documents_for(contract, change.subject),
        sigs=signing.signatures_for(contract, change.subject),
        vendor_side=vendor_side,
        sign_url=url_for(sign_endpoint, contract_id=contract.id, change_id=change.id),
        can_sign=change.status == "awaiting_signatures",
        my_party=_my_party(contract),
        sign_form=SignForm(formdata=None),
        confirm=ConfirmForm(),
        heading=_("Change agreement %(number)s", number=change.number),
    )


def _sign_change(contract: Contract, change: ContractChange, endpoint: str):
    """Sign a change agreement."""
    return _sign_as_my_party(
        contract,
        lambda *args: changes.sign_change(change, *args),
        url_for(endpoint, contract_id=contract.id, change_id=change.id),
    )


@bp.route("/<int:contract_id>/amend", methods=["GET", "POST"])
@roles_required(*EDITORS)
def amend(contract_id):
    """Propose a change agreement (§10.2): new terms and fees from a date, signed by both."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    if request.method == "GET":
        form = AmendmentForm(obj=contract)
        form.effective_date.data = None
        _fill_lines(form, contract)
    else:
        form = AmendmentForm()
    catalogue = _prepare(form)
    if _added_a_line(form):
        return render("contracts/amend.html", form=form, contract=contract)
    if form.validate_on_submit():
        try:
            terms = {name: getattr(form, name).data for name in TERM_FIELDS}
            lines = _lines(form, catalogue)
            change = changes.propose_amendment(
                contract, terms, lines, form.effective_date.data, form.reason.data or "", current_user
            )
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Change agreement %(number)s sent for signatures.", number=change.number), "success")
            return redirect(url_for("contracts.change", contract_id=contract.id, change_id=change.id))
    return render("contracts/amend.html", form=form, contract=contract)


@bp.route("/<int:contract_id>/terminate", methods=["GET", "POST"])
@roles_required(*EDITORS)
def terminate(contract_id):
    """Propose ending the contract by mutual agreement (§10.3)."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    form = TerminationForm()
    if form.validate_on_submit():
        try:
            change = changes.propose_termination(contract, form.last_day.data, form.reason.data or "", current_user)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Change agreement %(number)s sent for signatures.", number=change.number), "success")
            return redirect(url_for("contracts.change", contract_id=contract.id, change_id=change.id))
    return render("contracts/terminate.html", form=form, contract=contract)


def _change(contract: Contract, change_id: int) -> ContractChange:
    """A change agreement of this contract, or 404."""
    change = db.session.scalar(
        select(ContractChange).where(ContractChange.id == change_id, ContractChange.contract_id == contract.id)
    )
    if change is None:
        abort(404)
    return change


@bp.get("/<int:contract_id>/changes/<int:change_id>")
@vendor_only
def change(contract_id, change_id):
    """A change agreement: what it changes, its texts and signatures."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    return _change_page(contract, _change(contract, change_id), "contracts/change.html")


@bp.post("/<int:contract_id>/changes/<int:change_id>/sign")
@roles_required(Role.VENDOR_ADMIN)
def change_sign(contract_id, change_id):
    """A vendor admin signs a change agreement for Party B."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    return _sign_change(contract, _change(contract, change_id), "contracts.change")


@bp.post("/<int:contract_id>/changes/<int:change_id>/withdraw")
@roles_required(*EDITORS)
def change_withdraw(contract_id, change_id):
    """Withdraw a change agreement nobody has signed."""
    contract = get_or_404(Contract, contract_id, current_tenant)
    change = _change(contract, change_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        changes.withdraw_change(change, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Withdrawn."), "success")
    return redirect(url_for("contracts.change", contract_id=contract.id, change_id=change.id))


@portal_bp.get("/<int:contract_id>/changes/<int:change_id>")
@roles_required(*CLIENT_ROLES)
def portal_change(contract_id, change_id):
    """A change agreement of one of the client's contracts."""
    contract = _client_contract(contract_id)
    return _change_page(contract, _change(contract, change_id), "contracts/change.html")


@portal_bp.post("/<int:contract_id>/changes/<int:change_id>/sign")
@roles_required(Role.CLIENT_ADMIN)
def portal_change_sign(contract_id, change_id):
    """The client's admin signs a change agreement for Party A."""
    contract = _client_contract(contract_id)
    return _sign_change(contract, _change(contract, change_id), "portal_contracts.portal_change")
