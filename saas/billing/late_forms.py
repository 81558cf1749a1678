"""Forms of the billing settings and of the decisions on §8.2 penalties."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from saas.billing.tenant_settings import FIRST_DAY, LAST_DAY, format_reminder_days, parse_reminder_days
from saas.core.forms import AppForm


class BillingSettingsForm(AppForm):
    """The vendor admin's billing choices."""

    review_invoices = BooleanField(
        _l("Review invoices before they go out"),
        description=_l(
            "New invoices wait as drafts until billing staff issue them; otherwise they are issued and mailed at once."
        ),
    )
    reminder_days = StringField(
        _l("Payment reminder days"),
        validators=[Optional(), Length(max=100)],
        description=_l(
            "Days from the due date, comma-separated, from %(first)d to %(last)d: -3 is three days "
            "before, 0 the due date, 7 a week after. Leave empty to send no reminders.",
            first=FIRST_DAY,
            last=LAST_DAY,
        ),
    )

    def validate_reminder_days(self, field):
        try:
            days = parse_reminder_days(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if len(format_reminder_days(days)) > 100:
            raise ValidationError(_l("Too many reminder days."))


class ConfirmPenaltyForm(AppForm):
    """Confirm a proposed penalty, with a note if wanted."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WaivePenaltyForm(AppForm):
    """Waive a proposed penalty: the reason is required."""

    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the penalty is waived.")), Length(max=500)]
    )
