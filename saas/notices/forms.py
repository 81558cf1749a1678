"""Forms of written notices: sending one, and acknowledging one received."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from saas.core.forms import AppForm, DateField, choices, coerce_id


class NoticeForm(AppForm):
    """A notice to the other party of an agreement, with its evidence."""

    contract_id = SelectField(_l("Agreement"), coerce=coerce_id, choices=[])
    kind = SelectField(_l("Kind of notice"), choices=[])
    clause = StringField(
        _l("Clause of the agreement"),
        validators=[Optional(), Length(max=24)],
        description=_l("e.g. 8.1.2 for a missed response deadline"),
    )
    subject = StringField(
        _l("Subject"), validators=[DataRequired(message=_l("Give the notice a subject.")), Length(max=200)]
    )
    body_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=20000)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=20000)])
    deadline = DateField(
        _l("Deadline"),
        validators=[Optional()],
        description=_l("By when the other party is to act. Left empty, the agreement's own deadline applies, if any."),
    )
    evidence = MultipleFileField(_l("Evidence (files, up to 5 of 10 MB each)"))

    def __init__(self, *args, contracts=(), **kwargs):
        from saas.notices.models import NoticeKind
        from saas.notices.services import KIND_LABELS

        super().__init__(*args, **kwargs)
        # a notice of termination is sent from the cure notice whose deadline passed (saas.notices.termination)
        self.kind.choices = choices(
            [(kind.value, label) for kind, label in KIND_LABELS.items() if kind != NoticeKind.TERMINATION]
        )
        self.contract_id.choices = choices([(c.id, f"{c.number} · {c.client.legal_name}") for c in contracts])


class AcknowledgeForm(AppForm):
    """The recipient's acknowledgement of receipt."""

    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class TerminationForm(AppForm):
    """A notice of termination for breach (§10.3), sent from the cure notice whose deadline passed."""

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
    evidence = MultipleFileField(_l("Evidence (files, up to 5 of 10 MB each)"))
