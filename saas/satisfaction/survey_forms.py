"""Forms of the period's survey (annex 9): the vendor's questions, the answers (their 1–5 scores are read from the
submitted form, one `q<key>` per frozen question), and the panel's buttons."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from saas.core.forms import AppForm, choices
from saas.satisfaction.models import Criterion

CRITERION_LABELS = {
    Criterion.RESPONSE.value: _l("Response time"),
    Criterion.RESOLUTION.value: _l("Resolution speed"),
    Criterion.QUALITY.value: _l("Service quality"),
    Criterion.SURVEY.value: _l("Overall satisfaction"),
}

SCORE_LABELS = (
    ("1", _l("1 · Very dissatisfied")),
    ("2", _l("2 · Dissatisfied")),
    ("3", _l("3 · Neither")),
    ("4", _l("4 · Satisfied")),
    ("5", _l("5 · Very satisfied")),
)


class QuestionForm(AppForm):
    """One question of the survey, in both languages, under one criterion."""

    criterion = SelectField(_l("Criterion"), choices=choices(CRITERION_LABELS.items()))
    text_zh = StringField(
        _l("Question in Chinese"),
        validators=[
            InputRequired(message=_l("Write the question in Chinese.")),
            Length(max=300, message=_l("At most %(max)d characters.")),
        ],
    )
    text_en = StringField(
        _l("Question in English"),
        validators=[
            InputRequired(message=_l("Write the question in English.")),
            Length(max=300, message=_l("At most %(max)d characters.")),
        ],
    )


class AnswerForm(AppForm):
    """The comment of a response (and its CSRF token); the scores come with it as q<key>."""

    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


class ButtonForm(AppForm):
    """A button that changes one thing (reorder, deactivate, panel): only its CSRF token."""
