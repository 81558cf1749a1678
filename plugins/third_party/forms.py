"""Forms of the third-party plugin: a subcontractor, its suspension, a qualification, a proposal and its decision."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.core.forms import AppForm, DateField, coerce_id, validate_uscc


class SubcontractorForm(AppForm):
    """A subcontractor's company and contact, the services it can take and where (Part 2 §1.1)."""

    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), validate_uscc])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=400)])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=40)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    #: Filled by the view with the tenant's catalogue.
    service_ids = SelectMultipleField(
        _l("Services it can take"),
        coerce=coerce_id,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    regions = TextAreaField(
        _l("Regions"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One a line, or separated by commas, e.g. 上海, 江苏, 浙江."),
    )


class SuspendForm(AppForm):
    reason = TextAreaField(_l("Why it is suspended"), validators=[DataRequired(), Length(max=1000)])


class QualificationForm(AppForm):
    name = StringField(_l("Qualification or certificate"), validators=[DataRequired(), Length(max=200)])
    number = StringField(_l("Certificate number"), validators=[Optional(), Length(max=100)])
    issuer = StringField(_l("Issued by"), validators=[Optional(), Length(max=200)])
    expires_on = DateField(
        _l("Expires on"), validators=[Optional()], description=_l("Leave empty if it does not expire.")
    )


class ProposeForm(AppForm):
    """The vendor proposes the subcontractor for one of a client's agreements in force (Part 2 §4.1)."""

    #: Filled by the view with the agreements in force.
    contract_id = SelectField(_l("Agreement"), coerce=coerce_id, validators=[DataRequired(_l("Choose an agreement."))])
    #: A refusal of the whole proposal (not of one field), shown where the form would be.
    refusal = ""
    scope = TextAreaField(_l("What it would do under the agreement"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(AppForm):
    """The client's admin approves or rejects a proposed subcontractor; a rejection says why."""

    reason = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=1000)])
