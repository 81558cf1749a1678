"""Forms of the cheque plugin: the tenant's settings, recording a cheque, and each step with the bank."""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from saas.core.forms import CURRENCIES, AmountField, AppForm, DateField, PluginSettingsForm, choices, coerce_id


class ChequeSettingsForm(PluginSettingsForm):
    payee = StringField(_l("Cheques payable to"), validators=[DataRequired(), Length(max=200)])
    deposit_bank = StringField(_l("Bank where cheques are deposited"), validators=[Optional(), Length(max=200)])
    bounce_fee = AmountField(
        _l("Fee charged for a bounced cheque"),
        places=2,
        default=Decimal("0.00"),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    instructions = TextAreaField(_l("Instructions printed on invoices"), validators=[Optional(), Length(max=1000)])


class ChequeForm(AppForm):
    """A cheque handed over by a client, as billing staff read it off the paper."""

    client_id = SelectField(_l("Client"), coerce=coerce_id, validators=[DataRequired(_l("Choose a client."))])
    #: Filled per client by the view (its open invoices); 0 = the client's oldest open invoices.
    invoice_id = SelectField(_l("Invoice it pays"), coerce=coerce_id, default=0, validate_choice=False)
    number = StringField(_l("Cheque number"), validators=[DataRequired(), Length(max=40)])
    drawee_bank = StringField(_l("Bank it is drawn on"), validators=[DataRequired(), Length(max=100)])
    drawer_name = StringField(_l("Drawer (who signed it)"), validators=[DataRequired(), Length(max=200)])
    drawer_account = StringField(_l("Drawer's account number"), validators=[Optional(), Length(max=40)])
    cheque_date = DateField(_l("Date on the cheque"), validators=[InputRequired()])
    amount = AmountField(
        _l("Amount"), places=2, validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=10**12)]
    )
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES), default="CNY")
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])

    def validate_number(self, field):
        field.data = "".join((field.data or "").split())
        if not re.fullmatch(r"[0-9A-Za-z-]{4,20}", field.data):
            raise ValidationError(_l("Use 4 to 20 digits or letters, as printed on the cheque."))

    def validate_drawee_bank(self, field):
        field.data = " ".join((field.data or "").split())

    def validate_drawer_account(self, field):
        field.data = "".join((field.data or "").split())


class DepositForm(AppForm):
    on = DateField(_l("Deposited on"), validators=[InputRequired()])
    bank = StringField(_l("Deposited at"), validators=[Optional(), Length(max=200)])


class ClearForm(AppForm):
    on = DateField(_l("Cleared on"), validators=[InputRequired()])


class BounceForm(AppForm):
    on = DateField(_l("Returned on"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason the bank gave"), validators=[DataRequired(), Length(max=500)])
