"""Forms of the contracts domain: catalogue entries, default terms, contracts with their fee lines."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from saas.contracts.models import TERM_FIELDS, Calendar, ContractStatus, ServiceKind
from saas.contracts.services import MAX_NOTICE_MONTHS
from saas.core.forms import AmountField, AppForm, DateField, IntegerField, choices, coerce_id
from saas.core.parsing import MAX_ID

KIND_LABELS = {
    ServiceKind.REMOTE_SUPPORT: _l("Remote support (§2.1.1)"),
    ServiceKind.ONSITE_SUPPORT: _l("On-site support (§2.1.2)"),
    ServiceKind.TRAINING: _l("Training (§2.1.3)"),
    ServiceKind.MONITORING: _l("System monitoring (§2.2.1)"),
    ServiceKind.FAULT_HANDLING: _l("Fault handling (§2.2.2)"),
    ServiceKind.UPGRADE: _l("Upgrade and optimisation (§2.2.3)"),
    ServiceKind.CONSULTING: _l("Consulting (§2.3)"),
    ServiceKind.OTHER: _l("Other service"),
}
STATUS_LABELS = {
    ContractStatus.DRAFT: _l("Draft"),
    ContractStatus.AWAITING_SIGNATURES: _l("Awaiting signatures"),
    ContractStatus.ACTIVE: _l("In force"),
    ContractStatus.EXPIRING: _l("Renewal window"),
    ContractStatus.EXPIRED: _l("Expired"),
    ContractStatus.TERMINATED: _l("Terminated"),
}
EVENT_LABELS = {
    "created": _l("Drafted"),
    "edited": _l("Draft edited"),
    "sent_for_signatures": _l("Sent for signatures"),
    "withdrawn": _l("Taken back to draft"),
    "renewal_window": _l("Entered the renewal window"),
    "renewal_drafted": _l("Renewal drafted"),
    "renewal_window_left": _l("Out of the renewal window (term extended)"),
    "signed": _l("Signed by both parties"),
    "terminated": _l("Terminated by agreement"),
    "terminated_for_breach": _l("Terminated for breach, by notice"),
    "amended": _l("Amended"),
    "amendment_proposed": _l("Amendment proposed"),
    "termination_proposed": _l("Termination proposed"),
    "amendment_withdrawn": _l("Amendment withdrawn"),
    "termination_withdrawn": _l("Termination withdrawn"),
    "expired": _l("Expired"),
    "status": _l("Status changed"),
}
CALENDAR_LABELS = {Calendar.ALWAYS: _l("Around the clock (7×24)"), Calendar.BUSINESS_HOURS: _l("Business hours")}


#: The most units of one service a fee line may have.
MAX_QUANTITY = 10_000


def hours(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=720)])


class ServiceForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, label) for k, label in KIND_LABELS.items()))
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    default_monthly_fee = AmountField(
        _l("Default monthly fee"), places=2, validators=[InputRequired(), NumberRange(min=0, max=10**12)]
    )
    calendar = SelectField(
        _l("SLA clock runs"), choices=choices((c.value, label) for c, label in CALENDAR_LABELS.items())
    )
    active = BooleanField(_l("Offered"), default=True)


class TermsForm(AppForm):
    """The agreement's parameters (the seed's blanks and the rest)."""

    term_years = IntegerField(_l("Term in years (§1.2)"), validators=[InputRequired(), NumberRange(min=1, max=20)])
    renewal_notice_months = IntegerField(
        _l("Renewal talks start, months before expiry (§1.2)"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_NOTICE_MONTHS)],
    )
    service_response_hours = hours(_l("Service response, hours (§4.1)"))
    onsite_arrival_hours = hours(_l("On-site arrival, hours (§2.1.2)"))
    fault_response_hours = hours(_l("Fault response, hours (§2.2.2)"))
    consult_response_hours = hours(_l("Consulting response, hours (§2.3.2)"))
    penalty_rate = AmountField(
        _l("Penalty rate (§8.2)"),
        places=4,
        validators=[InputRequired(), NumberRange(min=0, max=1)],
        description=_l("0.10 means ten per cent of the fee of the service not performed."),
    )
    dispute_deadline_months = IntegerField(
        _l("Third-party dispute deadline, months (Part 2 §7.2)"), validators=[InputRequired(), NumberRange(1, 60)]
    )
    payment_net_days = IntegerField(
        _l("Invoices due after, days (§3.1.2)"), validators=[InputRequired(), NumberRange(min=0, max=180)]
    )
    confidentiality_years = IntegerField(
        _l("Confidentiality after the end, years (§7.2)"), validators=[InputRequired(), NumberRange(min=0, max=30)]
    )
    mediation_venue = StringField(_l("Mediation committee (§9.2)"), validators=[Optional(), Length(max=200)])
    court_venue = StringField(_l("Court (§9.4)"), validators=[Optional(), Length(max=200)])


class DefaultsForm(TermsForm):
    number_pattern = StringField(
        _l("Contract number pattern"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("{year} and {seq} are replaced, e.g. HT-{year}-{seq} gives HT-2026-0001."),
    )

    def validate_number_pattern(self, field):
        if "{seq}" not in field.data:
            raise ValidationError(_l("The pattern needs {seq}, or two contracts would get the same number."))


class LineForm(Form):
    """One line of the fee schedule; a line with neither a service nor a description is ignored."""

    service_id = SelectField(_l("Service"), coerce=coerce_id, validate_choice=False, default=0)
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    #: A bound on the quantity too: quantity × fee must fit an invoice line (NUMERIC(18, 2)).
    quantity = AmountField(
        _l("Quantity"), places=2, default=Decimal("1"), validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)]
    )
    monthly_fee = AmountField(_l("Monthly fee"), places=2, validators=[Optional(), NumberRange(min=0, max=10**12)])

    @property
    def is_blank(self) -> bool:
        return not self.service_id.data and not (self.description.data or "").strip()


class ContractForm(TermsForm):
    client_id = SelectField(_l("Client (Party A)"), coerce=coerce_id, validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    effective_date = DateField(_l("Effective date"), validators=[InputRequired()])
    party_a_signatory = StringField(_l("Signs for Party A"), validators=[Optional(), Length(max=120)])
    party_b_signatory = StringField(_l("Signs for Party B"), validators=[Optional(), Length(max=120)])
    signing_place = StringField(_l("Place of signing (§14.3)"), validators=[Optional(), Length(max=200)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=100)

    def validate_client_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose one of your clients."))

    def validate_lines(self, field):
        for entry in field.entries:
            line = entry.form
            if line.is_blank:
                continue
            if line.monthly_fee.data is None and not line.service_id.data:
                line.monthly_fee.errors.append(_l("Give the monthly fee."))
                raise ValidationError(_l("Check the fee schedule."))


#: The label of each term, for the screens that show a contract's parameters.
TERM_LABELS = {name: getattr(TermsForm, name).args[0] for name in TERM_FIELDS}


class SignForm(AppForm):
    """Signing one document: its id and the SHA-256 the signer was shown, and an explicit confirmation."""

    document_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    sha256 = StringField(validators=[DataRequired(), Length(min=64, max=64)])
    confirm = BooleanField(
        _l("I have read this version of the agreement and sign it for my party."), validators=[DataRequired()]
    )


class AmendmentForm(TermsForm):
    """A change agreement (§10.2): the terms and fee lines as they will be, from a date, and why."""

    effective_date = DateField(_l("Applies from"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=100)
    validate_lines = ContractForm.validate_lines


class TerminationForm(AppForm):
    """A termination by mutual agreement (§10.3): the last day in force, and why."""

    last_day = DateField(_l("Last day in force"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


CHANGE_STATUS_LABELS = {
    "awaiting_signatures": _l("Awaiting signatures"),
    "signed": _l("Signed by both parties"),
    "withdrawn": _l("Withdrawn"),
}
