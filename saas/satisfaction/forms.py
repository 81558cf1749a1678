"""The rating form (§12.3): 1 to 5 and a comment."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from saas.core.forms import AppForm, choices

SCORE_LABELS = {
    "5": _l("5 · Very satisfied"),
    "4": _l("4 · Satisfied"),
    "3": _l("3 · Neither"),
    "2": _l("2 · Dissatisfied"),
    "1": _l("1 · Very dissatisfied"),
}


class RatingForm(AppForm):
    """How the client found the handling of a resolved request."""

    score = RadioField(
        _l("Your rating"),
        choices=choices(SCORE_LABELS.items()),
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])
