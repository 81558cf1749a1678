"""The core's WTForms: sign-in, invitations, tenants, clients and their contacts."""

import re
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from saas.core.models import Role
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
    client_id = SelectField(_l("Client"), coerce=int, validate_choice=False, default=0)

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
