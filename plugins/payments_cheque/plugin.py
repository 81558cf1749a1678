"""Cheque payments (§3.2.2): today the tenant's cheque settings; recording cheques comes with billing."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.core.forms import PluginSettingsForm
from saas.core.models import Role
from saas.core.plugins import NavItem, PluginInfo, hookimpl

NAME = "payments_cheque"


class ChequeSettingsForm(PluginSettingsForm):
    payee = StringField(_l("Cheques payable to"), validators=[DataRequired(), Length(max=200)])
    deposit_bank = StringField(_l("Bank where cheques are deposited"), validators=[Optional(), Length(max=200)])
    bounce_fee = DecimalField(
        _l("Fee charged for a bounced cheque"),
        places=2,
        default=Decimal("0.00"),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    instructions = TextAreaField(_l("Instructions printed on invoices"), validators=[Optional(), Length(max=1000)])


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Cheque payments"),
        description=_l("Clients pay invoices by cheque (agreement §3.2.2): payee, deposit bank and bounce fee."),
        settings_form=ChequeSettingsForm,
    )


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(
            _l("Cheques"),
            "console.plugin_settings_page",
            frozenset({Role.VENDOR_ADMIN}),
            order=60,
            params=(("name", NAME),),
        )
    ]
