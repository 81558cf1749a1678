"""Forms of service credits: the decision on a proposed credit, and the contract's credit rule."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.core.forms import AmountField, AppForm, choices


class ConfirmCreditForm(AppForm):
    """Confirm a proposed credit, with a note if wanted."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WaiveCreditForm(AppForm):
    """Waive a proposed credit: the reason is required (the client reads it)."""

    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the credit is waived.")), Length(max=500)]
    )


class CreditPolicyForm(AppForm):
    """The rule by which the contract's service credits are computed (saas/credits/rules.py)."""

    rule = SelectField(_l("Credit rule"), choices=[])
    per_breach_percent = AmountField(
        _l("Share of the fee per breach (%)"),
        places=2,
        default=Decimal("10.00"),
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.01"), max=Decimal(100), message=_l("Between %(min)s%% and %(max)s%%.")),
        ],
        description=_l("Used by the per-breach rule only."),
    )

    def __init__(self, *args, **kwargs):
        from saas.credits.services import RULE_LABELS

        super().__init__(*args, **kwargs)
        self.rule.choices = choices([(rule.value, label) for rule, label in RULE_LABELS.items()])
