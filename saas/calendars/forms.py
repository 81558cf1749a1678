"""Forms of the service calendars."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from saas.core.forms import TIMEZONES, AppForm, DateField, IntegerField, choices

WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")]


class CalendarForm(AppForm):
    name = StringField(_l("Calendar name"), validators=[DataRequired(), Length(max=120)])
    timezone = SelectField(_l("Time zone"), choices=choices((t, t) for t in TIMEZONES), default="Asia/Shanghai")
    always = BooleanField(_l("Around the clock (7×24, §2.1.1)"))
    hours_0 = StringField(WEEKDAYS[0], validators=[Optional(), Length(max=120)])
    hours_1 = StringField(WEEKDAYS[1], validators=[Optional(), Length(max=120)])
    hours_2 = StringField(WEEKDAYS[2], validators=[Optional(), Length(max=120)])
    hours_3 = StringField(WEEKDAYS[3], validators=[Optional(), Length(max=120)])
    hours_4 = StringField(WEEKDAYS[4], validators=[Optional(), Length(max=120)])
    hours_5 = StringField(WEEKDAYS[5], validators=[Optional(), Length(max=120)])
    hours_6 = StringField(WEEKDAYS[6], validators=[Optional(), Length(max=120)])


class DayForm(AppForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"), choices=choices([("holiday", _l("Holiday")), ("workday", _l("Make-up working day"))])
    )
    name = StringField(_l("Note"), validators=[Optional(), Length(max=120)])


class PreviewForm(AppForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    start = StringField(_l("Raised at"), validators=[DataRequired()])
    hours = IntegerField(_l("Hours"), validators=[InputRequired(), NumberRange(min=1, max=720)])
