"""Online e-payment (§3.2.3): today the tenant's provider settings; the payment flow comes with billing."""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from saas.core.forms import PluginSettingsForm, choices
from saas.core.models import Role
from saas.core.plugins import NavItem, PluginInfo, hookimpl

NAME = "payments_epay"
PROVIDERS = choices([("alipay", _l("Alipay")), ("sandbox", _l("Sandbox gateway (development and tests only)"))])


class EpaySettingsForm(PluginSettingsForm):
    provider = SelectField(_l("Payment provider"), choices=PROVIDERS, default="alipay")
    app_id = StringField(_l("Alipay app ID"), filters=[lambda v: (v or "").strip()])
    seller_id = StringField(_l("Merchant (seller) ID"), validators=[Optional(), Length(max=32)])

    def validate_provider(self, field):
        if field.data == "sandbox" and current_app.config["ENV_NAME"] == "production":
            raise ValidationError(_l("The sandbox gateway is not available in production."))

    def validate_app_id(self, field):
        if self.provider.data == "alipay" and not field.data:
            raise ValidationError(_l("Alipay needs the app ID."))
        if field.data and not re.fullmatch(r"[0-9]{16}", field.data):
            raise ValidationError(_l("An Alipay app ID has 16 digits."))


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Online payment"),
        description=_l("Clients pay invoices online from the portal (agreement §3.2.3), through Alipay."),
        settings_form=EpaySettingsForm,
    )


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(
            _l("Online payment"),
            "console.plugin_settings_page",
            frozenset({Role.VENDOR_ADMIN}),
            order=61,
            params=(("name", NAME),),
        )
    ]
