"""Forms of the add-on screens: the vendor's offers, proposing, amending and ending an add-on agreement, and the
client's request. An add-on type's own terms are fields named `term_<name>`, read by `terms_from`."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from saas.core.forms import AppForm, DateField, coerce_id
from saas.core.plugins import AddonType

TERM_PREFIX = "term_"


def terms_from(kind: AddonType, formdata) -> dict:
    """The type's terms as submitted (a box not ticked is "no"); the service checks each against its kind."""
    found = {}
    for term in kind.terms:
        key = TERM_PREFIX + term.name
        if term.kind == "bool":
            found[term.name] = formdata.get(key) in ("y", "on", "1", "true")
        elif key in formdata:
            found[term.name] = formdata.get(key, "")
    return found


class FeesForm(AppForm):
    """The fees an add-on may set, each left empty when it does not apply; amounts are checked by the service (in
    the currency's minor unit)."""

    one_off_fee = StringField(_l("One-off fee"), validators=[Optional(), Length(max=24)])
    monthly_fee = StringField(
        _l("Monthly fee"),
        validators=[Optional(), Length(max=24)],
        description=_l("Per period of the main agreement, prorated by day."),
    )
    yearly_fee = StringField(
        _l("Yearly fee"),
        validators=[Optional(), Length(max=24)],
        description=_l("Billed on each anniversary of the add-on's first day."),
    )
    unit_price = StringField(
        _l("Unit price"), validators=[Optional(), Length(max=24)], description=_l("Per unit of measured usage.")
    )


class OfferForm(FeesForm):
    """An add-on the vendor sells, of a type its enabled plugins provide."""

    addon_type = SelectField(_l("Add-on service"), choices=[], validate_choice=False)
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Offered to clients"), default=True)


class ProposeForm(AppForm):
    """An add-on agreement under a main agreement, from one of the offers."""

    contract_id = SelectField(_l("Main agreement"), coerce=coerce_id, choices=[], validate_choice=False)
    offer_id = SelectField(_l("Add-on"), coerce=coerce_id, choices=[], validate_choice=False)
    starts_on = DateField(
        _l("First day"), validators=[Optional()], description=_l("Left empty: today, or the agreement's first day.")
    )
    last_day = DateField(
        _l("Last day"), validators=[Optional()], description=_l("Left empty: the main agreement's last day.")
    )


class RequestForm(AppForm):
    """The client's request for an add-on on offer; the vendor then signs it too."""

    starts_on = DateField(_l("From"), validators=[Optional()], description=_l("Left empty: from today."))


class AmendForm(FeesForm):
    """New terms or fees of a signed add-on from a day on."""

    starts_on = DateField(
        _l("Changes apply from"), validators=[InputRequired(message=_l("Give the day the changes apply from."))]
    )


class EndForm(AppForm):
    """Ending an add-on early (or withdrawing one not signed yet)."""

    from_day = DateField(
        _l("First day it no longer runs"),
        validators=[InputRequired(message=_l("Give the first day it no longer runs."))],
    )
    reason = TextAreaField(
        _l("Why it ends"), validators=[DataRequired(message=_l("Say why the add-on ends.")), Length(max=2000)]
    )
