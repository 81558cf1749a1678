"""Forms of a transfer of obligations (Part 2 §4.3): the transfer itself, a signature on its text, and its end."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from saas.core.forms import AppForm, DateField, IntegerField, coerce_id
from saas.core.parsing import MAX_ID


class TransferForm(AppForm):
    """Which subcontractor takes which part of a client's agreement, from which day."""

    #: Filled by the view: agreements in force, active subcontractors, the agreement's services, the categories.
    contract_id = SelectField(
        _l("Client's agreement"), coerce=coerce_id, validators=[DataRequired(_l("Choose an agreement."))]
    )
    subcontractor_id = SelectField(
        _l("Subcontractor"), coerce=coerce_id, validators=[DataRequired(_l("Choose a subcontractor."))]
    )
    service_ids = SelectMultipleField(
        _l("Services transferred"),
        coerce=coerce_id,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("Services of the agreement's fee schedule that its annex 6 agreement covers."),
    )
    category_ids = SelectMultipleField(
        _l("Only these request categories"),
        coerce=coerce_id,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("Leave all unticked for every category of those services."),
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired()])


class TransferSignForm(AppForm):
    """A signature on one stored text of the transfer: its id, the SHA-256 shown, and an explicit confirmation."""

    document_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    sha256 = StringField(validators=[DataRequired(), Length(min=64, max=64)])
    confirm = BooleanField(
        _l("I have read this transfer of obligations and sign it for my party."), validators=[DataRequired()]
    )


class TransferEndForm(AppForm):
    reason = TextAreaField(_l("Why the transfer ends"), validators=[DataRequired(), Length(max=2000)])
