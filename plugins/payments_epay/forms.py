"""The tenant's online payment settings: the provider, and Alipay's app ID, seller ID and keys."""

import re

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from plugins.payments_epay import keys
from plugins.payments_epay.names import NAME, SANDBOX
from plugins.payments_epay.providers import sandbox_for
from saas.core.forms import PluginSettingsForm, choices
from saas.core.tenants import plugin_settings

PROVIDERS = choices([("alipay", _l("Alipay")), ("sandbox", _l("Sandbox gateway (development and tests only)"))])
#: Fields whose saved value never goes back to the browser.
SECRETS = ("app_private_key", "alipay_public_key")


def _strip(value):
    return (value or "").strip()


class SecretKeyField(TextAreaField):
    """A key pasted once: the saved one is never shown again, and an empty field keeps it."""

    def process_data(self, value):
        self.data = ""  # the stored value never comes back into the form

    def _value(self):
        return ""  # nor does what was just typed, when the page is shown again with an error


class EpaySettingsForm(PluginSettingsForm):
    secret_fields = SECRETS

    provider = SelectField(_l("Payment provider"), choices=PROVIDERS, default="alipay")
    app_id = StringField(_l("Alipay app ID"), filters=[_strip])
    seller_id = StringField(
        _l("Merchant (seller) ID"),
        filters=[_strip],
        validators=[Optional(), Length(max=32)],
        description=_l("2088 and 12 digits; notifications for another seller are refused."),
    )
    app_private_key = SecretKeyField(
        _l("The app's private key (RSA2)"),
        filters=[_strip],
        description=_l("PEM, or the base64 text Alipay's key tool gives."),
    )
    alipay_public_key = SecretKeyField(
        _l("Alipay's public key"), filters=[_strip], description=_l("From the app's page on the Alipay open platform.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = g.get("tenant")
        #: What the tenant saved before: secrets left empty keep these.
        self.saved = plugin_settings(tenant, NAME) if tenant is not None else {}
        for name in SECRETS:
            if self.saved.get(name):
                self[name].description = _l(
                    "Saved, ends with …%(tail)s. Leave empty to keep it.", tail=keys.tail(self.saved[name])
                )
        sandbox = sandbox_for(tenant) if tenant is not None else None
        if sandbox is not None and sandbox.app_id:
            self.provider.description = _l(
                "Sandbox app %(app_id)s, seller %(seller_id)s: made on this instance.",
                app_id=sandbox.app_id,
                seller_id=sandbox.seller_id,
            )

    def validate_provider(self, field):
        if field.data != SANDBOX:
            return
        if current_app.config["ENV_NAME"] == "production":
            raise ValidationError(_l("The sandbox gateway is not available in production."))
        if sandbox_for(g.tenant) is None:  # the sandbox plugin is not installed, or not enabled for this tenant
            raise ValidationError(_l("The sandbox gateway is not available here."))

    def validate_app_id(self, field):
        if self.provider.data == "alipay" and not field.data:
            raise ValidationError(_l("Alipay needs the app ID."))
        if field.data and not re.fullmatch(r"[0-9]{16}", field.data):
            raise ValidationError(_l("An Alipay app ID has 16 digits."))

    def validate_seller_id(self, field):
        if field.data and not re.fullmatch(r"2088[0-9]{12}", field.data):
            raise ValidationError(_l("A seller ID is 2088 followed by 12 digits."))

    def validate_app_private_key(self, field):
        if field.data:
            try:
                field.data = keys.private_pem(field.data)
            except ValueError:
                raise ValidationError(_l("This is not an RSA private key of 2048 bits or more.")) from None
        elif self.provider.data == "alipay" and not self.saved.get(field.name):
            raise ValidationError(_l("Alipay needs the app's private key."))

    def validate_alipay_public_key(self, field):
        if not field.data:
            if self.provider.data == "alipay" and not self.saved.get(field.name):
                raise ValidationError(_l("Alipay needs Alipay's public key."))
            return
        if keys.is_private(field.data):
            raise ValidationError(_l("This is a private key: paste Alipay's public key here, and keep yours secret."))
        try:
            field.data = keys.public_pem(field.data)
        except ValueError:
            raise ValidationError(_l("This is not an RSA public key of 2048 bits or more.")) from None
        private = self.app_private_key.data if not self.app_private_key.errors else ""
        private = private or self.saved.get("app_private_key", "")
        if private and keys.public_of(private) == field.data:
            raise ValidationError(_l("This is your app's own public key: paste Alipay's public key instead."))

    def settings_data(self) -> dict:
        """The settings to store: secrets left empty keep their saved value; choosing the sandbox makes its app."""
        data = super().settings_data()
        for name in SECRETS:
            data[name] = data[name] or self.saved.get(name, "")
        if data["provider"] == SANDBOX:
            sandbox_for(g.tenant, create=True)  # its app ID, seller ID and keys, ready for the first payment
        return data
