"""The Alipay sandbox gateway (development and tests only): online payment (§3.2.3) paid offline, with no real money.

Installed through the `saas.sandbox_plugins` entry point group, which only configs with SANDBOX_PLUGINS load
(development and testing): a production instance neither imports this plugin nor creates its tables. It offers
payments_epay a stand-in gateway through the core's `saas_payment_sandbox` hook; payments_epay never imports it.
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.plugins import PluginInfo, hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Alipay sandbox gateway"),
        description=_l("A stand-in for Alipay, for development and tests: online payments with no real money."),
    )


@hookimpl
def saas_blueprints():
    from plugins.payments_epay_sandbox.views import bp  # importing the views imports the models too

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_payment_sandbox(tenant, provider, create):
    if provider != "alipay":
        return None
    from plugins.payments_epay_sandbox import gateway

    if not gateway.allowed():
        return None
    return gateway.credentials(tenant, create=create)


@hookimpl(trylast=True)
def saas_demo_data(tenant, session):
    """Demo vendors take payments through the sandbox gateway, so a demo client can pay its newest invoice."""
    from plugins.payments_epay.names import NAME as EPAY
    from plugins.payments_epay.names import SANDBOX
    from plugins.payments_epay_sandbox import gateway
    from saas.core.tenants import save_plugin_settings

    save_plugin_settings(
        tenant,
        EPAY,
        {"provider": SANDBOX, "app_id": "", "seller_id": "", "app_private_key": "", "alipay_public_key": ""},
    )
    gateway.app_for(tenant, create=True)  # its IDs and keys, shown on the settings page from the start
