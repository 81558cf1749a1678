"""The core's WTForms: sign-in, invitations, tenants, clients and their contacts; the fields every form uses.

Numbers, dates and ids typed into any form go through saas.core.parsing by way of the fields below
(AmountField, IntegerField, DateField, DateTimeLocalField, coerce_id), so what the database or Decimal
cannot hold is a form error in the reader's language, never a 500.
"""

import re
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms import fields as wtf_fields
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from saas.core.models import Role
from saas.core.parsing import (
    MAX_AMOUNT_DIGITS,
    MAX_YEAR,
    MIN_YEAR,
    InvalidAmount,
    InvalidDate,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_id,
)
from saas.core.passwords import MIN_PASSWORD_LENGTH
from saas.core.submissions import token_input

ROLE_LABELS = {
    Role.VENDOR_ADMIN: _l("Vendor admin"),
    Role.VENDOR_ENGINEER: _l("Vendor engineer"),
    Role.VENDOR_BILLING: _l("Vendor billing"),
    Role.CLIENT_ADMIN: _l("Client admin"),
    Role.CLIENT_USER: _l("Client user"),
    Role.THIRD_PARTY: _l("Third-party user"),
}


def choices(pairs) -> list[SelectChoice]:
    """SelectField options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ASCII_DIGITS = _l("Type the number with the digits 0-9 (full-width digits such as １００ are not taken).")


def amount_error(exc: InvalidAmount, places: int = 2):
    """What to tell someone whose number parse_amount refused, in their language."""
    messages = {
        "empty": _l("Enter a number."),
        "non_ascii_digits": ASCII_DIGITS,
        "too_many_decimals": _l("Use at most %(num)d decimal places.", num=places),
        "too_large": _l("This number is too large."),
        "negative": _l("The number cannot be negative."),
    }
    return messages.get(exc.reason, _l("Enter a plain number such as 1234.56."))


class AmountField(wtf_fields.DecimalField):
    """A money amount, quantity or rate: parsed by parse_amount (no NaN, infinities, exponents, full-width digits).

    `places` decimals at most (never rounded silently), `max_digits` before the point, not negative unless
    `negative`; the data is a Decimal quantised to `places`, or None when the field was left empty or refused.
    """

    def __init__(self, label=None, validators=None, places=2, max_digits=MAX_AMOUNT_DIGITS, negative=False, **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.max_digits, self.negative = max_digits, negative

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_amount(
                valuelist[0], places=self.places, max_digits=self.max_digits, negative=self.negative
            )
        except InvalidAmount as exc:
            self.data = None
            raise ValueError(amount_error(exc, self.places)) from exc


def _date_error():
    return _l("Give a date between the years %(start)d and %(end)d.", start=MIN_YEAR, end=MAX_YEAR)


class DateField(wtf_fields.DateField):
    """A date in years MIN_YEAR..MAX_YEAR (parse_date): year 1 or 9999 is a form error, not an overflow later."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                parse_date(self.data)
            except InvalidDate as exc:
                self.data = None
                raise ValueError(_date_error()) from exc


class DateTimeLocalField(wtf_fields.DateTimeLocalField):
    """A wall-clock time (naive, the caller places it in a zone) in years MIN_YEAR..MAX_YEAR (parse_datetime)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                parse_datetime(self.data)
            except InvalidDate as exc:
                self.data = None
                raise ValueError(_date_error()) from exc


class IntegerField(wtf_fields.IntegerField):
    """A whole number typed with the digits 0-9 (int() would take full-width １００); give it a NumberRange."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] and not str(valuelist[0]).strip().lstrip("+-").isascii():
            self.data = None
            raise ValueError(ASCII_DIGITS)
        super().process_formdata(valuelist)


def coerce_id(value) -> int:
    """SelectField `coerce` for row ids: 0 when none is chosen; a value no row can have is refused, never looked up."""
    if value in (None, "", "None", 0, "0"):
        return 0
    ident = parse_id(value)
    if ident is None:
        raise ValueError(value)
    return ident


TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "UTC"]
CURRENCIES = ["CNY", "HKD", "USD", "EUR", "JPY"]


def validate_uscc(form, field):
    """统一社会信用代码: 18 characters with a valid check character (stdnum.cn.uscc)."""
    if not field.data:
        return
    try:
        field.data = uscc.validate(field.data)
    except StdnumError as exc:
        raise ValidationError(_l("This is not a valid unified social credit code.")) from exc


class _TokenWithOnce(HiddenInput):
    """The CSRF token's input and, beside it, a fresh one-time submission token (saas/core/submissions.py)."""

    def __call__(self, field, **kwargs):
        return super().__call__(field, **kwargs) + token_input(secrets.token_urlsafe(32))


class AppForm(FlaskForm):
    """The product's form: CSRF-protected, and a double submission shows the first result (`once = False`
    opts out, for signing in, where a repeat must act again)."""

    once = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        csrf = self._fields.get("csrf_token")
        if self.once and csrf is not None:
            csrf.widget = _TokenWithOnce()


class LoginForm(AppForm):
    once = False  # a repeated sign-in must sign in again (the first answer may never reach the browser)

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SetPasswordForm(AppForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )


class RoleForm(AppForm):
    """A role in the tenant; client roles also name the client."""

    role = SelectField(_l("Role"), choices=choices((r.value, label) for r, label in ROLE_LABELS.items()))
    client_id = SelectField(_l("Client"), coerce=coerce_id, validate_choice=False, default=0)

    def validate_client_id(self, field):
        if Role(self.role.data).is_client and not field.data:
            raise ValidationError(_l("Choose the client this person belongs to."))


class InviteForm(RoleForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class TenantProfileForm(AppForm):
    """A vendor's own details (Party B, §1.1), as printed on its agreements and invoices."""

    name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=200)])
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[Optional(), validate_uscc])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=400)])
    timezone = SelectField(_l("Time zone"), choices=choices((t, t) for t in TIMEZONES), default="Asia/Shanghai")
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES), default="CNY")


class TenantForm(TenantProfileForm):
    """A new tenant, created by the platform operator with its first admin."""

    slug = StringField(
        _l("Short name in URLs"),
        validators=[DataRequired(), Length(min=2, max=40)],
        description=_l("Lower-case letters, digits and hyphens."),
    )
    admin_email = EmailField(_l("First vendor admin's e-mail"), validators=[DataRequired(), Email()])

    def validate_slug(self, field):
        field.data = field.data.strip().lower()
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", field.data):
            raise ValidationError(_l("Use lower-case letters, digits and hyphens only."))


class ClientForm(AppForm):
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), validate_uscc])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=400)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class ContactForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    title = StringField(_l("Position"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    is_billing = BooleanField(_l("Receives invoices"))


class ConfirmForm(AppForm):
    """A form with only the CSRF token, for buttons that change state."""


class PluginSettingsForm(AppForm):
    """Base of a plugin's settings form: its fields are stored as the tenant's JSON settings."""

    #: Fields stored sealed (saas/core/secrets.py) and read back opened: keys, passwords, API credentials.
    secret_fields: tuple[str, ...] = ()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Stored settings hold Decimals as strings (see settings_data): DecimalFields get Decimals back."""
        from decimal import Decimal

        from wtforms import DecimalField

        if data:
            data = {
                name: Decimal(value) if isinstance(self._fields.get(name), DecimalField) and value else value
                for name, value in data.items()
            }
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def settings_data(self) -> dict:
        """The submitted values, JSON-ready: Decimals as strings with the field's places ("25.00"), never floats.

        Rounding is half-up (as for money in saas.core.money) unless the field sets its own `rounding`.
        """
        from decimal import ROUND_HALF_UP, Decimal

        def stored(field):
            value = field.data
            if not isinstance(value, Decimal):
                return value
            if getattr(field, "places", None) is not None and value.is_finite():
                value = value.quantize(Decimal(1).scaleb(-field.places), rounding=field.rounding or ROUND_HALF_UP)
            return str(value)

        return {name: stored(field) for name, field in self._fields.items() if name != "csrf_token"}


class WebhookEndpointForm(AppForm):
    """A webhook endpoint: where to send which events; its secret typed or made when it is created."""

    url = StringField(
        _l("Endpoint URL"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Where each event is POSTed, such as https://itsm.example.com/hooks/aftercare."),
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    events = wtf_fields.SelectMultipleField(
        _l("Events"), choices=[], widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    secret = StringField(
        _l("Signing secret"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to have one made for you; if you type one, at least 24 characters."),
    )
    enabled = BooleanField(_l("Enabled"), default=True)

    def __init__(self, *args, **kwargs):
        from saas.core.events import EVENT_TYPES

        super().__init__(*args, **kwargs)
        self.events.choices = choices(EVENT_TYPES.items())

    def validate_url(self, field):
        from saas.core.webhooks import UnsafeAddress, checked_address

        field.data = (field.data or "").strip()
        try:
            checked_address(field.data)
        except UnsafeAddress as exc:
            raise ValidationError(str(exc)) from None

    def validate_events(self, field):
        # Not DataRequired: its `required` flag would make every checkbox required.
        if not field.data:
            raise ValidationError(_l("Choose at least one event."))

    def validate_secret(self, field):
        from saas.core.webhooks import MIN_SECRET_LENGTH

        field.data = (field.data or "").strip()
        if field.data and (len(field.data) < MIN_SECRET_LENGTH or any(c.isspace() for c in field.data)):
            raise ValidationError(
                _l("A secret needs at least %(num)d characters (letters, digits, symbols; no spaces).", num=24)
            )
