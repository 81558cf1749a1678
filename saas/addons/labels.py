"""How add-ons read on screen: their statuses, names and fees in the reader's language."""

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from saas.addons.models import AddonAgreement, AddonStatus, Fee

STATUS_LABELS = {
    AddonStatus.DRAFT: _l("Draft"),
    AddonStatus.AWAITING_SIGNATURES: _l("Awaiting signatures"),
    AddonStatus.ACTIVE: _l("In force"),
    AddonStatus.ENDED: _l("Ended"),
}
FEE_NAMES = {
    Fee.ONE_OFF: _l("One-off fee"),
    Fee.MONTHLY: _l("Monthly fee"),
    Fee.YEARLY: _l("Yearly fee"),
    Fee.USAGE: _l("Unit price"),
}
FEE_COLUMNS = {
    Fee.ONE_OFF: "one_off_fee",
    Fee.MONTHLY: "monthly_fee",
    Fee.YEARLY: "yearly_fee",
    Fee.USAGE: "unit_price",
}


def in_chinese() -> bool:
    return str(get_locale()).startswith("zh")


def offer_name(offer) -> str:
    """The offer's name in the reader's language."""
    return offer.name_zh if in_chinese() else offer.name_en


def offer_description(offer) -> str:
    return offer.description_zh if in_chinese() else offer.description_en


def fees(priced, unit: str = "") -> list[tuple[str, object, str]]:
    """(label, amount, per what) of each fee an offer or agreement sets."""
    found = []
    for fee, column in FEE_COLUMNS.items():
        value = getattr(priced, column)
        if value is not None:
            found.append((FEE_NAMES[fee], value, unit if fee == Fee.USAGE else ""))
    return found


def terms_shown(agreement: AddonAgreement, kind) -> list[tuple[str, object]]:
    """(label, value) of each of the agreement's terms, in the type's order (a choice by its label)."""
    if kind is None:
        return sorted(agreement.terms.items())
    shown = []
    for term in kind.terms:
        if term.name not in agreement.terms:
            continue
        value = agreement.terms[term.name]
        if term.kind == "choice":
            value = dict(term.choices).get(value, value)
        elif term.kind == "bool":
            value = _("Yes") if value else _("No")
        shown.append((term.label, value))
    return shown
