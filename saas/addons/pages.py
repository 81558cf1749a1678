"""The add-on agreement's page, shared by the vendor's console and the client's portal, and signing it for the
signed-in person's party."""

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from saas.addons import services
from saas.addons.billing import usage_so_far
from saas.addons.labels import FEE_NAMES, STATUS_LABELS, fees, in_chinese, offer_name, terms_shown
from saas.addons.models import AddonAgreement, AddonStatus
from saas.contracts.forms import SignForm
from saas.contracts.sign_form import sign_from_form
from saas.core.clock import local_today
from saas.core.models import Role
from saas.core.rendering import render

TABS = ("terms", "signatures", "charges", "history")


def my_party(agreement: AddonAgreement) -> str | None:
    """The party the signed-in person signs for: B for a vendor admin, A for the client's own admin."""
    role = g.membership.role
    if role == Role.VENDOR_ADMIN:
        return "B"
    if role == Role.CLIENT_ADMIN and g.membership.client_id == agreement.client_id:
        return "A"
    return None


def unit_of(kind) -> str:
    if kind is None:
        return ""
    return kind.unit_zh if in_chinese() else kind.unit_en


def agreement_page(agreement: AddonAgreement, template: str):
    """One add-on agreement with a tab open (or the tab alone for HTMX)."""
    tab = request.args.get("tab", "terms")
    tab = tab if tab in TABS else "terms"
    kind = services.installed_types().get(agreement.addon_type)
    vendor_side = request.blueprint == "addons"
    sign_endpoint = "addons.sign" if vendor_side else "portal_addons.portal_sign"
    context = {
        "agreement": agreement,
        "contract": agreement.contract,
        "tab": tab,
        "tabs": TABS,
        "kind": kind,
        "type_label": services.type_label(kind, agreement.addon_type, in_chinese()),
        "offer_name": offer_name(agreement.offer),
        "statuses": STATUS_LABELS,
        "fees": fees(agreement, unit_of(kind)),
        "terms": terms_shown(agreement, kind),
        "unit": unit_of(kind),
        "vendor_side": vendor_side,
        "can_edit": vendor_side and g.membership.role in (Role.VENDOR_ADMIN, Role.VENDOR_BILLING),
    }
    if tab == "terms":
        context["usage"] = usage_so_far(agreement, local_today(agreement.contract.tenant), services.installed_types())
        context["amendments"] = services.amendments(agreement)
    elif tab == "signatures":
        context.update(
            docs=services.documents(agreement),
            sigs=services.signatures(agreement),
            heading=_("Add-on agreement %(number)s", number=agreement.number),
            sign_url=url_for(sign_endpoint, agreement_id=agreement.id),
            can_sign=agreement.status == AddonStatus.AWAITING_SIGNATURES,
            my_party=my_party(agreement),
            sign_form=SignForm(formdata=None),
        )
    elif tab == "charges":
        context["charges"] = services.charges_of(agreement)
        context["fee_names"] = FEE_NAMES
        context["invoice_numbers"] = services.invoice_numbers({c.invoice_id for c in context["charges"]})
    else:
        context["history"] = services.history(agreement)
    block = "tab" if request.headers.get("HX-Target") == "addon-tab" else "content"
    return render(template, block=block, **context)


def sign_as_my_party(agreement: AddonAgreement, back_url: str):
    """Record the signed-in person's signature for their party on the text they were shown."""
    party = my_party(agreement)
    if party is None:
        abort(403)
    return sign_from_form(
        SignForm(),
        lambda *signer: services.sign(agreement, party, *signer),
        back_url,
        lambda in_force: (
            _("Signed: the add-on is in force.") if in_force else _("Signed: waiting for the other party.")
        ),
    )
