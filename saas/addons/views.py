"""The vendor's add-on screens (§13): offers of the types its enabled plugins provide, add-on agreements (list and
detail with tabs: terms, signatures, charges, history), proposing, signing for Party B, amending and ending one."""

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.addons import services
from saas.addons.forms import AmendForm, EndForm, OfferForm, ProposeForm, terms_from
from saas.addons.labels import FEE_COLUMNS, STATUS_LABELS, fees, in_chinese, offer_name
from saas.addons.models import AddonAgreement, AddonOffer, AddonStatus
from saas.addons.pages import agreement_page, sign_as_my_party, unit_of
from saas.contracts.models import Contract
from saas.core.clients import choices as client_choices
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.extensions import db

bp = tenant_blueprint("addons", __name__, url_prefix="/addons", template_folder="templates")
vendor_staff = roles_required(*VENDOR_ROLES)
editors = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)


def _me():
    return current_user._get_current_object()


@bp.get("/")
@vendor_staff
def index():
    """The tenant's add-on agreements, newest first (keyset pages), by status or client."""
    status = request.args.get("status", "")
    status = status if status in AddonStatus.__members__.values() else ""
    client_id = request.args.get("client", type=parse_id)
    after = request.args.get("after", type=parse_id)
    rows, next_after = services.list_agreements(current_tenant, client_id=client_id, status=status, after=after)
    return render(
        "addons/list.html",
        block="rows" if after else "content",
        agreements=rows,
        next_after=next_after,
        statuses=STATUS_LABELS,
        clients=client_choices(current_tenant),
        filters={"status": status or None, "client": client_id},
        offer_name=offer_name,
        portal=False,
    )


@bp.get("/offers")
@vendor_staff
def offers():
    """The vendor's offers, and the add-on services its enabled plugins provide."""
    return render(
        "addons/offers.html",
        offers=services.list_offers(current_tenant),
        kinds=services.types_for(current_tenant),
        installed=services.installed_types(),
        offer_name=offer_name,
        fee_rows=lambda offer, kind: fees(offer, unit_of(kind)),
        zh=in_chinese(),
    )


def _offer_data(form: OfferForm, kind) -> dict:
    data = {name: getattr(form, name).data for name in ("name_zh", "name_en", "description_zh", "description_en")}
    data.update({column: (getattr(form, column).data or "").strip() for column in FEE_COLUMNS.values()})
    data.update(addon_type=kind.name, active=form.active.data, terms=terms_from(kind, request.form))
    return data


@bp.route("/offers/new", methods=["GET", "POST"])
@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
@editors
def offer(offer_id=None):
    """Make or change an offer: names and descriptions in both languages, the fees its type allows, default terms."""
    existing = get_or_404(AddonOffer, offer_id, current_tenant) if offer_id else None
    kinds = services.types_for(current_tenant)
    name = existing.addon_type if existing else request.values.get("addon_type", "")
    kind = kinds.get(name)
    if kind is None:
        abort(404)  # a type not enabled for the tenant is not offered, nor its offers changed
    form = OfferForm(obj=existing) if request.method == "GET" else OfferForm()
    form.addon_type.choices = choices([(kind.name, kind.label_zh if in_chinese() else kind.label_en)])
    form.addon_type.data = kind.name
    values = dict(existing.default_terms or {}) if existing else {t.name: t.default for t in kind.terms}
    status, error = 200, None
    if request.method == "POST":
        values.update(terms_from(kind, request.form))
        if form.validate_on_submit():
            try:
                services.save_offer(current_tenant, _offer_data(form, kind), _me(), existing)
            except ServiceError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Offer saved."), "success")
                return redirect(url_for("addons.offers"))
        status = 422
    return render(
        "addons/offer_form.html",
        status=status,
        error=error,
        form=form,
        kind=kind,
        offer=existing,
        values=values,
        zh=in_chinese(),
        offer_name=offer_name(existing) if existing else "",
    )


def _contracts_in_force() -> list[Contract]:
    return db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.client))  # each choice names its client
        .where(Contract.tenant_id == current_tenant.id, Contract.status.in_(services.IN_FORCE))
        .order_by(Contract.number)
    ).all()


@bp.route("/propose", methods=["GET", "POST"])
@editors
def propose():
    """Propose an add-on agreement under a main agreement in force: its text is frozen for both signatures."""
    offers = services.list_offers(current_tenant, offered_only=True)
    contracts = _contracts_in_force()
    form = ProposeForm()
    if request.method == "GET":
        form.contract_id.data = request.args.get("contract", type=parse_id) or 0
        form.offer_id.data = request.args.get("offer", type=parse_id) or (offers[0].id if offers else 0)
    form.contract_id.choices = choices(
        [(0, _("— choose —")), *[(c.id, f"{c.number} · {c.client.legal_name}") for c in contracts]]
    )
    form.offer_id.choices = choices([(o.id, offer_name(o)) for o in offers])
    chosen = next((o for o in offers if o.id == form.offer_id.data), None)
    kind = services.types_for(current_tenant).get(chosen.addon_type) if chosen else None
    values = dict(chosen.default_terms or {}) if chosen else {}
    status, error = 200, None
    if request.method == "POST" and not request.form.get("refresh"):
        if kind is not None:
            values.update(terms_from(kind, request.form))
        contract = next((c for c in contracts if c.id == form.contract_id.data), None)
        if form.validate_on_submit():
            try:
                if contract is None or chosen is None:
                    raise ServiceError(_("Choose the main agreement and the add-on."))
                agreement = services.propose(
                    contract,
                    chosen,
                    {
                        "starts_on": form.starts_on.data,
                        "ends_on": form.last_day.data + timedelta(days=1) if form.last_day.data else None,
                        "terms": values,
                    },
                    _me(),
                )
            except ServiceError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Add-on agreement %(number)s sent for signatures.", number=agreement.number), "success")
                return redirect(url_for("addons.detail", agreement_id=agreement.id, tab="signatures"))
        status = 422
    return render(
        "addons/propose.html",
        status=status,
        error=error,
        form=form,
        kind=kind,
        offer=chosen,
        values=values,
        offers=offers,
    )


@bp.get("/<int:agreement_id>")
@vendor_staff
def detail(agreement_id):
    """An add-on agreement: its terms, signatures, charges and history (tabs load as HTMX fragments)."""
    return agreement_page(get_or_404(AddonAgreement, agreement_id, current_tenant), "addons/detail.html")


@bp.post("/<int:agreement_id>/sign")
@roles_required(Role.VENDOR_ADMIN)
def sign(agreement_id):
    """A vendor admin signs the add-on's text for Party B (乙方)."""
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant)
    return sign_as_my_party(agreement, url_for("addons.detail", agreement_id=agreement.id, tab="signatures"))


@bp.route("/<int:agreement_id>/amend", methods=["GET", "POST"])
@editors
def amend(agreement_id):
    """Propose an amendment: new terms or fees from a day on, in its own text signed by both parties."""
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant)
    kind = services.types_for(current_tenant).get(agreement.addon_type)
    if kind is None:
        abort(404)
    form = AmendForm(obj=agreement) if request.method == "GET" else AmendForm()
    if request.method == "GET":  # changes apply from today, unless the add-on has not begun yet
        form.starts_on.data = max(local_today(current_tenant), agreement.starts_on)
    values = dict(agreement.terms or {})
    status, error = 200, None
    if request.method == "POST":
        values.update(terms_from(kind, request.form))
        if form.validate_on_submit():
            data = {column: (getattr(form, column).data or "").strip() or None for column in FEE_COLUMNS.values()}
            data = {column: value for column, value in data.items() if column != "one_off_fee"}
            try:
                amendment = services.amend(
                    agreement, {"starts_on": form.starts_on.data, "terms": values, **data}, _me()
                )
            except ServiceError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Amendment %(number)s sent for signatures.", number=amendment.number), "success")
                return redirect(url_for("addons.detail", agreement_id=amendment.id, tab="signatures"))
        status = 422
    return render(
        "addons/amend.html", status=status, error=error, form=form, kind=kind, agreement=agreement, values=values
    )


@bp.route("/<int:agreement_id>/end", methods=["GET", "POST"])
@editors
def end(agreement_id):
    """End an add-on early from a day, saying why (nothing is billed from then on), or withdraw one not signed."""
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant)
    form = EndForm()
    if request.method == "GET":
        form.from_day.data = max(agreement.starts_on, local_today(current_tenant))
    status, error = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.end(agreement, form.from_day.data, form.reason.data, _me())
            except ServiceError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Add-on %(number)s ended.", number=agreement.number), "success")
                return redirect(url_for("addons.detail", agreement_id=agreement.id))
        status = 422
    return render("addons/end.html", status=status, error=error, form=form, agreement=agreement)
