"""Form for a vendor bank account."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from saas.core.forms import CURRENCIES, choices


class BankAccountForm(FlaskForm):
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=200)])
    branch = StringField(_l("Branch"), validators=[Optional(), Length(max=200)])
    account_name = StringField(_l("Account name"), validators=[DataRequired(), Length(max=200)])
    account_number = StringField(_l("Account number"), validators=[DataRequired(), Length(max=40)])
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES), default="CNY")
    is_default = BooleanField(_l("Default account for this currency"))

    def validate_account_number(self, field):
        if not re.fullmatch(r"[0-9A-Za-z ]{6,40}", field.data or ""):
            raise ValidationError(_l("Use 6 to 40 digits or letters."))
