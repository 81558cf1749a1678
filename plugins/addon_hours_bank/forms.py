"""The form an engineer logs time with on a request's page."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from plugins.addon_hours_bank.models import EntryKind
from plugins.addon_hours_bank.services import KIND_LABELS
from saas.core.forms import AppForm, DateField, choices


class TimeForm(AppForm):
    """Hours worked on the request on one day, remote or on site. The hours are read by services.parse_hours (so the
    form and the service refuse the same things with the same words)."""

    hours = StringField(_l("Hours"), validators=[InputRequired(_l("Give the hours worked.")), Length(max=20)])
    worked_on = DateField(_l("Day worked"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=choices((k.value, KIND_LABELS[k]) for k in EntryKind),
        default=EntryKind.REMOTE.value,
    )
    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=1000)])
