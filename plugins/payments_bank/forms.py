"""Forms of the bank-transfer plugin: accounts, statement imports, import profiles and matching lines."""

import re
from datetime import date, datetime

from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from plugins.payments_bank.account_numbers import currency_codes
from plugins.payments_bank.statements import COLUMNS, PRESETS
from saas.core.forms import AppForm, IntegerField, choices, coerce_id
from saas.core.money import minor_unit_places

#: An account number as banks print it: letters and digits, which spaces, dots and hyphens may group
#: (0200 0012 1920 0012 345, 1291.99.348, 12345678-12345678-12345678).
ACCOUNT_NUMBER = re.compile(r"[0-9A-Za-z]+(?:(?: +|\.|-)[0-9A-Za-z]+)*")


def account_currencies() -> list[tuple[str, str]]:
    """The currencies an account may hold, named in the user's language: ISO 4217's in use today, those billed in
    first; none of more than two decimals (BHD, KWD…), which the statement lines' amounts cannot hold."""
    locale = get_locale() or "en"
    return [
        (code, f"{code} · {get_currency_name(code, locale=locale)}")
        for code in currency_codes()
        if minor_unit_places(code) <= 2
    ]


class BankAccountForm(AppForm):
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=200)])
    branch = StringField(_l("Branch"), validators=[Optional(), Length(max=200)])
    account_name = StringField(_l("Account name"), validators=[DataRequired(), Length(max=200)])
    account_number = StringField(
        _l("Account number"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("As the bank prints it; spaces, dots and hyphens may group the digits."),
    )
    currency = SelectField(_l("Currency"), default="CNY")
    is_default = BooleanField(_l("Default account for this currency"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = choices(account_currencies())

    def validate_account_number(self, field):
        text = (field.data or "").strip()
        if not ACCOUNT_NUMBER.fullmatch(text) or not 6 <= len(re.sub(r"[^0-9A-Za-z]", "", text)) <= 40:
            raise ValidationError(_l("Use 6 to 40 digits or letters; spaces, dots and hyphens may group them."))
        field.data = text


class ImportForm(AppForm):
    """A statement file for one account; the format is MT940, CAMT.053 or one of the tenant's profiles."""

    account_id = SelectField(_l("Account"), coerce=coerce_id, validators=[DataRequired()])
    format = SelectField(_l("Format"), validators=[DataRequired()])
    file = FileField(
        _l("Statement file"),
        validators=[FileRequired()],
        description=_l("MT940 (.sta, .txt), CAMT.053 (.xml), or a bank's CSV/XLSX export read with an import profile."),
    )


class ProfileForm(AppForm):
    """An import profile: where the headers are, the date format, and which column holds each field."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    header_row = IntegerField(
        _l("Header row"),
        default=1,
        validators=[DataRequired(), NumberRange(min=1, max=50)],
        description=_l("The row holding the column headers (1 is the first row)."),
    )
    date_format = StringField(
        _l("Date format"),
        default="%Y-%m-%d",
        validators=[DataRequired(), Length(max=40)],
        description=_l("%Y-%m-%d for 2026-01-15, %Y%m%d for 20260115, %Y/%m/%d, %d.%m.%Y."),
    )
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
    setattr(
        ProfileForm,
        _key,
        StringField(_label, validators=[Optional(), Length(max=200)], description=COLUMN_HINTS.get(_key, "")),
    )


class PresetForm(AppForm):
    preset = SelectField(_l("Bank"), choices=choices((key, name) for key, (name, _profile) in PRESETS.items()))


class MatchForm(AppForm):
    """Whose payment a line is; the invoice is optional (none: the client's oldest open invoices first)."""

    client_id = SelectField(_l("Client"), coerce=coerce_id, validators=[DataRequired(message=_l("Choose the client."))])
    invoice_id = SelectField(_l("Invoice"), coerce=lambda v: coerce_id(v) or None, validate_choice=False)


class SetAsideForm(AppForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why this is not a client payment.")), Length(max=500)]
    )
