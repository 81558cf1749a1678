"""Forms of billing."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from saas.core.forms import AmountField, AppForm, DateField


class PaymentForm(AppForm):
    """Money received outside the payment plugins, recorded by billing staff."""

    amount = AmountField(
        _l("Amount received"), places=2, validators=[InputRequired(), NumberRange(min=0.01, max=10**12)]
    )
    reference = StringField(_l("Reference (bank transaction, receipt)"), validators=[DataRequired(), Length(max=120)])
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])


class CreditNoteForm(AppForm):
    """A correction of an issued invoice: how much it no longer owes, and why."""

    amount = AmountField(
        _l("Amount to credit"), places=2, validators=[InputRequired(), NumberRange(min=0.01, max=10**12)]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class VoidForm(AppForm):
    """Voiding an invoice: a credit note of all it still carries, with the reason."""

    reason = TextAreaField(_l("Reason for voiding"), validators=[DataRequired(), Length(max=1000)])
