"""The client's add-on screens (§13): its add-ons with their usage, the vendor's offers, requesting one (the text
is frozen for both signatures) and signing for Party A."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.addons import services
from saas.addons.billing import usage_so_far
from saas.addons.forms import RequestForm, terms_from
from saas.addons.labels import STATUS_LABELS, fees, in_chinese, offer_description, offer_name
from saas.addons.models import AddonAgreement, AddonOffer
from saas.addons.pages import agreement_page, sign_as_my_party, unit_of
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db

portal_bp = tenant_blueprint("portal_addons", __name__, url_prefix="/portal/addons", template_folder="templates")
client_members = roles_required(*CLIENT_ROLES)


def _client_id() -> int:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


@portal_bp.get("/")
@client_members
def portal_index():
    """The client's add-ons (with this period's usage so far) and what the vendor offers."""
    client_id = _client_id()
    after = request.args.get("after", type=parse_id)
    rows, next_after = services.list_agreements(current_tenant, client_id=client_id, after=after)
    if after:
        return render(
            "addons/portal_list.html",
            block="rows",
            agreements=rows,
            next_after=next_after,
            statuses=STATUS_LABELS,
            offer_name=offer_name,
        )
    today, kinds = local_today(current_tenant), services.installed_types()
    usage = {a.id: usage_so_far(a, today, kinds) for a in rows if a.status == "active"}
    offers = services.list_offers(current_tenant, offered_only=True)
    enabled = services.types_for(current_tenant)
    return render(
        "addons/portal_list.html",
        agreements=rows,
        next_after=next_after,
        statuses=STATUS_LABELS,
        offer_name=offer_name,
        offer_description=offer_description,
        usage=usage,
        units={name: unit_of(kind) for name, kind in kinds.items()},
        offers=[(o, fees(o, unit_of(enabled.get(o.addon_type)))) for o in offers],
        contract=services.main_agreement_of(current_tenant, client_id),
        zh=in_chinese(),
    )


@portal_bp.route("/request/<int:offer_id>", methods=["GET", "POST"])
@roles_required(Role.CLIENT_ADMIN)
def portal_request(offer_id):
    """The client's admin asks for an add-on on offer under its agreement in force: the text is frozen and both
    parties sign it."""
    client_id = _client_id()
    offer = get_or_404(AddonOffer, offer_id, current_tenant)
    kind = services.types_for(current_tenant).get(offer.addon_type)
    if kind is None or not offer.active:
        abort(404)  # not on offer (its plugin disabled, or the offer withdrawn)
    contract = services.main_agreement_of(current_tenant, client_id)
    form = RequestForm()
    values = dict(offer.default_terms or {})
    status, error = 200, None
    if request.method == "POST":
        values.update(terms_from(kind, request.form))
        if form.validate_on_submit():
            try:
                if contract is None:
                    raise ServiceError(_("An add-on is signed under an agreement in force."))
                agreement = services.propose(
                    contract,
                    offer,
                    {"starts_on": form.starts_on.data, "terms": values},
                    current_user._get_current_object(),
                    by_client=True,
                )
            except ServiceError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Requested: sign %(number)s, then the vendor signs it.", number=agreement.number), "success")
                return redirect(url_for("portal_addons.portal_detail", agreement_id=agreement.id, tab="signatures"))
        status = 422
    return render(
        "addons/portal_request.html",
        status=status,
        error=error,
        form=form,
        kind=kind,
        offer=offer,
        offer_name=offer_name(offer),
        offer_description=offer_description(offer),
        fees=fees(offer, unit_of(kind)),
        values=values,
        contract=contract,
    )


@portal_bp.get("/<int:agreement_id>")
@client_members
def portal_detail(agreement_id):
    """One of the client's add-on agreements."""
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant, client_id=_client_id())
    return agreement_page(agreement, "addons/portal_detail.html")


@portal_bp.post("/<int:agreement_id>/sign")
@roles_required(Role.CLIENT_ADMIN)
def portal_sign(agreement_id):
    """The client's admin signs the add-on's text for Party A (甲方)."""
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant, client_id=_client_id())
    return sign_as_my_party(
        agreement, url_for("portal_addons.portal_detail", agreement_id=agreement.id, tab="signatures")
    )
