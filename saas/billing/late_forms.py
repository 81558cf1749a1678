"""Forms of the decisions on §8.2 penalties."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class ConfirmPenaltyForm(FlaskForm):
    """Confirm a proposed penalty, with a note if wanted."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WaivePenaltyForm(FlaskForm):
    """Waive a proposed penalty: the reason is required."""

    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why the penalty is waived.")),
                                                   Length(max=500)])  # fmt: skip
