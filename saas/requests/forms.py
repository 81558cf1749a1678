"""Forms of service requests: raising, logging, replying, visits, assignment, categories."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from saas.core.forms import AppForm, DateField, DateTimeLocalField, IntegerField, choices, coerce_id
from saas.requests.labels import CHANNEL_LABELS, KIND_LABELS, PRIORITY_LABELS
from saas.requests.models import Channel, Priority

LOCAL_TIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
PRIORITIES = choices((p.value, label) for p, label in PRIORITY_LABELS.items())


class RequestForm(AppForm):
    """A client raises a request in the portal."""

    category_id = SelectField(_l("Category"), coerce=coerce_id, validators=[DataRequired(_l("Choose a category."))])
    priority = SelectField(_l("Priority"), choices=PRIORITIES, default=Priority.NORMAL)
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=20000)])
    attachment = FileField(_l("Attach a file (screenshot, log)"))


class LogRequestForm(RequestForm):
    """Vendor staff log a request received by phone, e-mail or chat."""

    client_id = SelectField(_l("Client"), coerce=coerce_id, validators=[DataRequired(_l("Choose a client."))])
    channel = SelectField(
        _l("Received by"),
        choices=choices((c.value, CHANNEL_LABELS[c]) for c in (Channel.PHONE, Channel.EMAIL, Channel.CHAT)),
    )
    requester_name = StringField(_l("Caller or sender"), validators=[Optional(), Length(max=120)])
    requester_contact = StringField(_l("Phone or e-mail"), validators=[Optional(), Length(max=200)])
    received_at = DateTimeLocalField(
        _l("Received at"),
        format=LOCAL_TIME,
        validators=[Optional()],
        description=_l("Leave empty for now. The SLA clocks start here."),
    )


class ReplyForm(AppForm):
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=20000)])
    internal = BooleanField(_l("Internal note (not shown to the client)"))
    attachment = FileField(_l("Attach a file"))


class StatusForm(AppForm):
    to_status = StringField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class CloseForm(AppForm):
    reason = TextAreaField(_l("Why close it"), validators=[DataRequired(), Length(max=2000)])


class AssignForm(AppForm):
    member_id = SelectField(_l("Engineer"), coerce=coerce_id)


class VisitForm(AppForm):
    engineer_id = SelectField(_l("Engineer"), coerce=coerce_id)
    arrived_at = DateTimeLocalField(_l("Arrived at"), format=LOCAL_TIME, validators=[InputRequired()])
    departed_at = DateTimeLocalField(_l("Left at"), format=LOCAL_TIME, validators=[Optional()])
    note = TextAreaField(_l("Work done on site"), validators=[Optional(), Length(max=5000)])


def hours(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=2000)])


class CategoryForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(
        _l("Handling standard"),
        choices=choices((k.value, label) for k, label in KIND_LABELS.items()),
        description=_l("Decides which response hours of the contract apply."),
    )
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    calendar_id = SelectField(_l("SLA clock runs on"), coerce=coerce_id)
    resolution_urgent = hours(_l("Resolve urgent within (working hours)"))
    resolution_high = hours(_l("Resolve high within (working hours)"))
    resolution_normal = hours(_l("Resolve normal within (working hours)"))
    resolution_low = hours(_l("Resolve low within (working hours)"))
    active = BooleanField(_l("In use"), default=True)


class BreachForm(AppForm):
    """Vendor staff record by hand a service below the agreed standard (§8.1.1), with evidence."""

    happened_on = DateField(
        _l("Day it happened"), validators=[InputRequired(message=_l("Give the day the service fell short."))]
    )
    description = TextAreaField(
        _l("What was not provided or fell below the agreed standard"),
        validators=[
            DataRequired(message=_l("Say what was not provided or fell below the agreed standard.")),
            Length(max=5000),
        ],
    )
    evidence = MultipleFileField(_l("Evidence (files, up to 5 of 10 MB each)"))
