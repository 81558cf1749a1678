"""Forms of the evaluations: the vendor's weights and thresholds (§11.2), and an improvement measure's plan (§11.3)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from saas.core.forms import AppForm, DateField, IntegerField, coerce_id

PERCENT = _l("A whole number from %(min)s to %(max)s.")


def _percent(label, description=None):
    return IntegerField(
        label,
        validators=[InputRequired(message=PERCENT), NumberRange(min=0, max=100, message=PERCENT)],
        description=description,
    )


class PolicyForm(AppForm):
    """How the evaluations weigh the criteria of §11.1 and when one falls short."""

    weight_response = _percent(_l("Weight of the response time (%)"))
    weight_resolution = _percent(_l("Weight of the resolution speed (%)"))
    weight_quality = _percent(_l("Weight of the service quality (%)"))
    weight_survey = _percent(_l("Weight of the satisfaction survey (%)"))
    threshold = _percent(
        _l("Threshold of the overall score"), _l("An evaluation below it opens improvement measures (§11.3).")
    )
    floor_response = _percent(_l("Threshold of the response time"), _l("Below it, a measure on the response time."))
    floor_resolution = _percent(
        _l("Threshold of the resolution speed"), _l("Below it, a measure on the resolution speed.")
    )
    floor_quality = _percent(_l("Threshold of the service quality"), _l("Below it, a measure on the service quality."))
    floor_survey = _percent(
        _l("Threshold of the satisfaction survey"), _l("Below it, a measure on the client's satisfaction.")
    )
    survey_days = IntegerField(
        _l("Days the survey stays open"),
        validators=[InputRequired(message=PERCENT), NumberRange(min=1, max=60, message=PERCENT)],
        description=_l("The period is evaluated when its survey closes."),
    )
    measure_days = IntegerField(
        _l("Days to carry out a measure"),
        validators=[InputRequired(message=PERCENT), NumberRange(min=1, max=365, message=PERCENT)],
    )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        weights = [self.weight_response, self.weight_resolution, self.weight_quality, self.weight_survey]
        if ok and sum(f.data for f in weights) != 100:
            self.weight_survey.errors = [
                *self.weight_survey.errors,
                _l("The weights add up to %(total)s; they must add up to 100.", total=sum(f.data for f in weights)),
            ]
            return False
        return ok


class MeasureForm(AppForm):
    """The owner's plan for an improvement measure."""

    what = TextAreaField(
        _l("What will be done"), validators=[DataRequired(message=_l("Say what will be done.")), Length(max=2000)]
    )
    why = TextAreaField(_l("Why, and what it should change"), validators=[Optional(), Length(max=2000)])
    owner_id = SelectField(_l("Owner"), coerce=coerce_id, choices=[])
    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Give the due date."))])
    status = SelectField(_l("Status"), choices=[])
