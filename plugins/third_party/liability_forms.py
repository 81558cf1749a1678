"""Forms of interventions (Part 2 §1.2, Part 2 §2, Part 2 §5), claims against a subcontractor (Part 2 §3.1,
Part 2 §6.2, Part 2 §6.3) and disputes about a third party with the termination their deadline allows (Part 2 §7)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from saas.core.forms import AmountField, AppForm, DateField, choices, coerce_id


class InterventionForm(AppForm):
    """A third party's intervention: who, what and when, its cause (Part 2 §5.1) and its effect (Part 2 §5.2)."""

    subcontractor_id = SelectField(_l("Subcontractor of the vendor"), coerce=coerce_id, choices=[])
    third_party_name = StringField(
        _l("Or an outside third party"),
        validators=[Optional(), Length(max=200)],
        description=_l("Its name, when it is not one of the vendor's subcontractors."),
    )
    occurred_on = DateField(
        _l("Day it happened"), validators=[InputRequired(message=_l("Give the day it happened: today or earlier."))]
    )
    description = TextAreaField(
        _l("What happened"), validators=[DataRequired(message=_l("Say what happened.")), Length(max=5000)]
    )
    cause = SelectField(_l("Cause (Part 2 §5.1)"), choices=[])
    effect_time = TextAreaField(_l("Effect on time (Part 2 §5.2)"), validators=[Optional(), Length(max=2000)])
    effect_cost = TextAreaField(_l("Effect on cost"), validators=[Optional(), Length(max=2000)])
    effect_cost_amount = AmountField(
        _l("Added cost"), places=2, validators=[Optional()], description=_l("In the agreement's currency, if known.")
    )
    effect_service = TextAreaField(_l("Effect on the service"), validators=[Optional(), Length(max=2000)])


class InterventionNoticeForm(AppForm):
    """The written notice of the intervention to the other party, with its evidence (Part 2 §2.1)."""

    subject = StringField(
        _l("Subject"), validators=[DataRequired(message=_l("Give the notice a subject.")), Length(max=200)]
    )
    body_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=20000)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=20000)])
    evidence = MultipleFileField(_l("Evidence (files, up to 5 of 10 MB each)"))


class StepForm(AppForm):
    """A dated entry of the negotiation (Part 2 §2.2) or a measure taken (Part 2 §2.3)."""

    kind = SelectField(
        _l("Entry"),
        choices=choices(
            [("negotiation", _l("Negotiation (Part 2 §2.2)")), ("measure", _l("Measure taken (Part 2 §2.3)"))]
        ),
    )
    happened_on = DateField(_l("Day"), validators=[InputRequired(message=_l("Give the day: today or earlier."))])
    text = TextAreaField(
        _l("What was discussed, agreed or done"),
        validators=[DataRequired(message=_l("Write what was discussed, agreed or done.")), Length(max=5000)],
    )


class ResolveForm(AppForm):
    """The outcome of the measures taken (Part 2 §2.3)."""

    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(message=_l("Say how it ended.")), Length(max=5000)])


class ClaimForm(AppForm):
    """A claim against a subcontractor for its breach: a penalty or damages, direct and indirect loss, evidence."""

    subcontractor_id = SelectField(_l("Subcontractor"), coerce=coerce_id, choices=[])
    kind = SelectField(_l("Claim for"), choices=[])
    direct_amount = AmountField(_l("Direct loss"), places=2, validators=[InputRequired(message=_l("Give the amount."))])
    direct_description = TextAreaField(
        _l("How the direct loss arose"),
        validators=[DataRequired(message=_l("Describe the direct loss.")), Length(max=5000)],
    )
    direct_files = MultipleFileField(_l("Evidence of the direct loss (files)"))
    indirect_amount = AmountField(_l("Indirect loss"), places=2, validators=[Optional()])
    indirect_description = TextAreaField(_l("How the indirect loss arose"), validators=[Optional(), Length(max=5000)])
    indirect_files = MultipleFileField(_l("Evidence of the indirect loss (files)"))


class ClaimAgreeForm(AppForm):
    """The subcontractor's agreement to pay: in full (no amount) or the amount agreed."""

    amount = AmountField(
        _l("Amount agreed"), places=2, validators=[Optional()], description=_l("Leave empty: agreed in full.")
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ClaimRejectForm(AppForm):
    """The subcontractor's refusal, with its reason."""

    note = StringField(
        _l("Why the subcontractor refused"),
        validators=[DataRequired(message=_l("Say why the subcontractor refused.")), Length(max=500)],
    )


class ClaimRecoverForm(AppForm):
    """The day the agreed amount was recovered."""

    on = DateField(_l("Recovered on"), validators=[InputRequired(message=_l("Give the day it was recovered."))])


class DisputeForm(AppForm):
    """A dispute between the parties about a third party (Part 2 §7.1), opened on the ladder (§9)."""

    subcontractor_id = SelectField(_l("Subcontractor of the vendor"), coerce=coerce_id, choices=[])
    third_party_name = StringField(_l("Or an outside third party"), validators=[Optional(), Length(max=200)])
    intervention_id = SelectField(_l("Intervention it concerns"), coerce=coerce_id, choices=[])
    arose_on = DateField(_l("Day the dispute arose"), validators=[Optional()], description=_l("Today if left empty."))
    summary = TextAreaField(
        _l("What is disputed and why"),
        validators=[DataRequired(message=_l("Say what is disputed and why.")), Length(max=5000)],
    )


class TerminateForm(AppForm):
    """The notice of termination under Part 2 §7.2."""

    last_day = DateField(
        _l("Last day in force"),
        validators=[InputRequired(message=_l("Give the last day the agreement is in force."))],
        description=_l("Today or later; the agreement ends after this day."),
    )
    subject = StringField(
        _l("Subject"), validators=[DataRequired(message=_l("Give the notice a subject.")), Length(max=200)]
    )
    body_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=20000)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=20000)])
