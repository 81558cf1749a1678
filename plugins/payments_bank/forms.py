"""Forms of the bank-transfer plugin: accounts, statement imports, import profiles and matching lines."""

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from plugins.payments_bank.statements import COLUMNS, PRESETS
from saas.core.forms import CURRENCIES, IntegerField, choices, coerce_id


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


class ImportForm(FlaskForm):
    """A statement file for one account; the format is MT940, CAMT.053 or one of the tenant's profiles."""

    account_id = SelectField(_l("Account"), coerce=coerce_id, validators=[DataRequired()])
    format = SelectField(_l("Format"), validators=[DataRequired()])
    file = FileField(_l("Statement file"), validators=[FileRequired()],
                     description=_l("MT940 (.sta, .txt), CAMT.053 (.xml), or a bank's CSV/XLSX export read "
                                    "with an import profile."))  # fmt: skip


class ProfileForm(FlaskForm):
    """An import profile: where the headers are, the date format, and which column holds each field."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    header_row = IntegerField(_l("Header row"), default=1, validators=[DataRequired(), NumberRange(min=1, max=50)],
                              description=_l("The row holding the column headers (1 is the first row)."))  # fmt: skip
    date_format = StringField(_l("Date format"), default="%Y-%m-%d", validators=[DataRequired(), Length(max=40)],
                              description=_l("%Y-%m-%d for 2026-01-15, %Y%m%d for 20260115, %Y/%m/%d, %d.%m.%Y."))
    # One column per field: filled in by the loop below.

    def validate_date_format(self, field):
        sample = date(2026, 1, 15)
        try:
            if datetime.strptime(sample.strftime(field.data), field.data).date() != sample:
                raise ValueError
        except ValueError:
            raise ValidationError(_l("Use a date format with %Y, %m and %d.")) from None

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.date.data:
            self.date.errors.append(_l("Name the date column."))
            ok = False
        if not (self.credit.data or self.amount.data):
            self.credit.errors.append(_l("Name the credit amount column, or a signed amount column."))
            ok = False
        return ok


COLUMN_HINTS = {
    "date": _l("A header name (交易日期) or a column number (1 is the first column)."),
    "remark": _l("Join several columns with +, e.g. 摘要+用途."),
}
for _key, _label in COLUMNS.items():
    setattr(ProfileForm, _key, StringField(_label, validators=[Optional(), Length(max=200)],
                                           description=COLUMN_HINTS.get(_key, "")))  # fmt: skip


class PresetForm(FlaskForm):
    preset = SelectField(_l("Bank"), choices=choices((key, name) for key, (name, _profile) in PRESETS.items()))


class MatchForm(FlaskForm):
    """Whose payment a line is; the invoice is optional (none: the client's oldest open invoices first)."""

    client_id = SelectField(_l("Client"), coerce=coerce_id, validators=[DataRequired(message=_l("Choose the client."))])
    invoice_id = SelectField(_l("Invoice"), coerce=lambda v: coerce_id(v) or None,
                             validate_choice=False)  # fmt: skip


class SetAsideForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why this is not a client payment.")),
                                                   Length(max=500)])  # fmt: skip
