"""Forms of disputes: opening one, escalating it a step, its minutes, its resolution or withdrawal."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.core.forms import AmountField, AppForm, DateField, choices, coerce_id


class OpenDisputeForm(AppForm):
    """A dispute about a credit, a penalty, an invoice, a breach, or something else under an agreement."""

    subject = HiddenField()
    subject_id = HiddenField()
    contract_id = SelectField(_l("Agreement"), coerce=coerce_id, choices=[])
    summary = TextAreaField(
        _l("What is disputed, and why"),
        validators=[DataRequired(message=_l("Say what is disputed and why.")), Length(max=5000)],
    )
    amount = AmountField(
        _l("Amount in dispute"),
        places=2,
        validators=[Optional()],
        description=_l("For an invoice: the part you dispute (held meanwhile: no penalty, no reminder for it)."),
    )
    deadline = DateField(
        _l("Negotiation deadline"), validators=[Optional()], description=_l("Empty: 30 days from today.")
    )

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = choices([(c.id, f"{c.number} · {c.client.legal_name}") for c in contracts])


class EscalateForm(AppForm):
    """Close the current step, unsettled, and open the next one."""

    result = StringField(
        _l("How this step ended"), validators=[DataRequired(message=_l("Say how this step ended.")), Length(max=200)]
    )
    venue = StringField(
        _l("Where the next step takes place"),
        validators=[Optional(), Length(max=200)],
        description=_l("Empty: the venue the agreement names (mediation committee, court)."),
    )
    deadline = DateField(_l("Deadline of the next step"), validators=[Optional()])


class MinutesForm(AppForm):
    minutes = TextAreaField(
        _l("Minutes"), validators=[DataRequired(message=_l("Write the minutes.")), Length(max=10000)]
    )


class ResolveForm(AppForm):
    """The dispute's outcome, applied through the services of what it is about."""

    outcome = SelectField(_l("Outcome"), choices=[])
    note = TextAreaField(
        _l("What was decided or agreed"),
        validators=[DataRequired(message=_l("Say what was decided or agreed.")), Length(max=5000)],
    )
    amount = AmountField(
        _l("Amount agreed"),
        places=2,
        validators=[Optional()],
        default=None,
        description=_l("For a settled dispute about an invoice or a claim: the amount credited or agreed."),
    )

    def __init__(self, *args, **kwargs):
        from saas.disputes.services import OUTCOME_LABELS

        super().__init__(*args, **kwargs)
        self.outcome.choices = choices([(o.value, label) for o, label in OUTCOME_LABELS.items()])


class WithdrawForm(AppForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the dispute is withdrawn.")), Length(max=500)]
    )
