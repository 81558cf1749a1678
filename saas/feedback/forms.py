"""Forms of client feedback (§12.2, §12.3): giving it in the portal, logging it by phone or e-mail, handling it."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.core.forms import AppForm, IntegerField, choices, coerce_id
from saas.core.parsing import MAX_ID
from saas.feedback.models import FeedbackChannel
from saas.feedback.services import KIND_LABELS

KIND_CHOICES = [(k.value, label) for k, label in KIND_LABELS.items()]


class PortalFeedbackForm(AppForm):
    """The client's own feedback, optionally about one of its requests."""

    kind = SelectField(_l("Kind"), choices=choices(KIND_CHOICES))
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("What would you like to tell us?"), validators=[Optional(), Length(max=10000)])
    request_id = SelectField(_l("About a request"), coerce=coerce_id, default=0, validators=[Optional()])


class LogFeedbackForm(AppForm):
    """Feedback the client gave by phone or e-mail, as the vendor's staff took it down."""

    client_id = SelectField(_l("Client"), coerce=coerce_id, validators=[DataRequired(_l("Choose a client."))])
    channel = SelectField(
        _l("Received by"),
        choices=choices([(FeedbackChannel.PHONE.value, _l("Phone")), (FeedbackChannel.EMAIL.value, _l("E-mail"))]),
    )
    kind = SelectField(_l("Kind"), choices=choices(KIND_CHOICES))
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("What the client said"), validators=[Optional(), Length(max=10000)])
    contact_name = StringField(_l("Who said it"), validators=[DataRequired(), Length(max=120)])
    contact_detail = StringField(_l("Phone or e-mail"), validators=[Optional(), Length(max=200)])
    request_number = IntegerField(
        _l("About request number"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
        description=_l("Optional: the number of one of this client's requests."),
    )


class NoteForm(AppForm):
    """Taking feedback up, or confirming its outcome: a note is optional."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class OutcomeForm(AppForm):
    outcome = TextAreaField(_l("How it was handled and the result"), validators=[DataRequired(), Length(max=10000)])


class RejectForm(AppForm):
    reason = TextAreaField(_l("Why the outcome does not settle it"), validators=[DataRequired(), Length(max=4000)])


class UpholdForm(AppForm):
    """The vendor upholds a complaint as its own breach below the agreed standard (§8.1.1)."""

    finding = TextAreaField(
        _l("What fell below the agreed standard"),
        validators=[
            DataRequired(message=_l("Say what was not provided or fell below the agreed standard.")),
            Length(max=5000),
        ],
    )
