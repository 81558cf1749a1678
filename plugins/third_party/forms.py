"""Forms of the third-party plugin: a subcontractor, its suspension, a qualification, a proposal and its decision; an
annex 6 agreement, a person of the subcontractor, an assignment, and the subcontractor's own work on a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.core.forms import AmountField, AppForm, DateField, IntegerField, coerce_id, validate_uscc


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


class AgreementForm(AppForm):
    """The vendor's agreement with a subcontractor for one client's agreement (Part 2 §4.2, annex 6)."""

    #: Filled by the view: agreements in force, subcontractors, the catalogue and the categories.
    contract_id = SelectField(
        _l("Client's agreement"), coerce=coerce_id, validators=[DataRequired(_l("Choose an agreement."))]
    )
    subcontractor_id = SelectField(
        _l("Subcontractor"), coerce=coerce_id, validators=[DataRequired(_l("Choose a subcontractor."))]
    )
    service_ids = SelectMultipleField(
        _l("Services it takes on"),
        coerce=coerce_id,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    category_ids = SelectMultipleField(
        _l("Only these request categories"),
        coerce=coerce_id,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("Leave all unticked for every category of those services."),
    )
    regions = TextAreaField(_l("Regions"), validators=[Optional(), Length(max=2000)])
    monthly_fee = AmountField(
        _l("Monthly fee to the subcontractor"),
        places=2,
        validators=[InputRequired(message=_l("Give the monthly fee paid to the subcontractor (0 or more)."))],
    )
    response_hours = IntegerField(
        _l("Hours to answer the vendor"),
        validators=[InputRequired(), NumberRange(min=1, max=2160)],
        description=_l("Working hours of the request's calendar, from the moment the request is given to it."),
    )
    resolution_hours = IntegerField(_l("Hours to resolve"), validators=[InputRequired(), NumberRange(min=1, max=2160)])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    document = FileField(_l("The signed agreement (file)"))


class AgreementStatusForm(AppForm):
    reason = TextAreaField(_l("Why"), validators=[Optional(), Length(max=1000)])


class PersonForm(AppForm):
    """A person of the subcontractor who works on its requests (Part 2 §8.2)."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])


class AssignForm(AppForm):
    #: Filled by the view with the subcontractors approved for the request's agreement.
    subcontractor_id = SelectField(
        _l("Give it to"), coerce=coerce_id, validators=[DataRequired(_l("Choose a subcontractor."))]
    )


class WorkReplyForm(AppForm):
    body = TextAreaField(_l("Reply"), validators=[Optional(), Length(max=20000)])
    attachment = FileField(_l("Attach a file"))


class ResolveForm(AppForm):
    # Not "note": the visit form beside it on the same page has a "note" (one id, two fields).
    resolution = TextAreaField(_l("How it was resolved"), validators=[DataRequired(), Length(max=5000)])


class VisitNoteForm(AppForm):
    note = TextAreaField(_l("Work done on site"), validators=[Optional(), Length(max=5000)])


class ThirdPartyBreachForm(AppForm):
    """A subcontractor's breach recorded by hand, with evidence (Part 2 §6.1.1, §6.1.4)."""

    kind = SelectField(_l("What it did"), choices=[])
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=5000)])
    happened_on = DateField(_l("On"), validators=[InputRequired()])
    evidence = MultipleFileField(_l("Evidence (files, up to 5 of 10 MB each)"))


class TieChangeForm(AppForm):
    """An amendment of the agreement raised because of a third party (Part 2 §9.1)."""

    change_id = SelectField(_l("Amendment"), coerce=coerce_id, validators=[DataRequired(_l("Choose an amendment."))])
    subcontractor_id = SelectField(
        _l("Because of"), coerce=coerce_id, validators=[DataRequired(_l("Choose a subcontractor."))]
    )
    reason = TextAreaField(_l("How the third party makes it necessary"), validators=[DataRequired(), Length(max=2000)])


class ThirdPartyTerminationForm(AppForm):
    """Ending the agreement because of a third party (Part 2 §10), by a termination agreement both parties sign."""

    subcontractor_id = SelectField(
        _l("Because of"), coerce=coerce_id, validators=[DataRequired(_l("Choose a subcontractor."))]
    )
    last_day = DateField(_l("Last day in force"), validators=[InputRequired()])
    reason = TextAreaField(_l("Why the agreement ends"), validators=[DataRequired(), Length(max=2000)])
