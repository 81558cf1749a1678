"""Online payment (§3.2.3): clients pay invoices from the portal through Alipay.

The sandbox gateway development and tests pay against is another plugin (payments_epay_sandbox); this one learns
of it only through the core's `saas_payment_sandbox` hook.
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from plugins.payments_epay.names import NAME, SANDBOX
from saas.core.models import Role
from saas.core.plugins import NavItem, PaymentInstruction, PaymentMethod, PluginInfo, hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def saas_plugin_info():
    from plugins.payments_epay.forms import EpaySettingsForm

    return PluginInfo(
        title=_l("Online payment"),
        description=_l("Clients pay invoices online from the portal (agreement §3.2.3), through Alipay."),
        settings_form=EpaySettingsForm,
    )


@hookimpl
def saas_blueprints():
    from plugins.payments_epay.views import bp  # importing the views imports the models too

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(
            _l("Online payments"),
            "plugin_payments_epay.trades",
            frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}),
            order=52,
        ),
        NavItem(
            _l("Online payment settings"),
            "console.plugin_settings_page",
            frozenset({Role.VENDOR_ADMIN}),
            order=61,
            params=(("name", NAME),),
        ),
    ]


@hookimpl
def saas_payment_methods(tenant):
    from plugins.payments_epay.providers import chosen, is_ready

    if not is_ready(tenant):
        return []  # no Pay button until the vendor has set the provider up
    label = _l("Alipay (sandbox)") if chosen(tenant) == SANDBOX else _l("Alipay")
    return [PaymentMethod(NAME, label, online=True, order=30)]


@hookimpl
def saas_payment_instructions(tenant, invoice):
    from flask import current_app
    from flask_babel import gettext as _
    from markupsafe import Markup

    from plugins.payments_epay.providers import is_ready
    from plugins.payments_epay.services import CURRENCY

    if not is_ready(tenant) or invoice.currency != CURRENCY:
        return []
    # Not render_template: its context processors need a request, and the invoice mail renders PDFs without one.
    template = current_app.jinja_env.get_template("payments_epay/instructions.html")
    html = Markup(template.render(invoice=invoice))  # noqa: S704 (our template, autoescaped)
    return [PaymentInstruction(NAME, _("Online, with Alipay"), html, order=30)]


@hookimpl
def saas_payment_start(tenant, invoice, method, membership, return_url):
    if method != NAME:
        return None
    from flask import url_for

    from plugins.payments_epay import services
    from saas.core.links import external_url

    # BASE_URL, never the Host header: a payer sending `Host: elsewhere` must not receive the provider's notices.
    notify_url = external_url("billing_notify.notify", tenant_slug=tenant.slug, method=NAME)
    trade = services.start(tenant, invoice, return_url, notify_url)
    # Our own page forwards the payer to the provider: a form may only redirect to this site (CSP form-action).
    return url_for("plugin_payments_epay.go", tenant=tenant.slug, trade_id=trade.id)


@hookimpl
def saas_payment_notification(tenant, method, request):
    if method != NAME:
        return None
    from plugins.payments_epay import services

    return services.handle_notification(tenant, request.form.to_dict())


@hookimpl
def saas_payment_reconcile(tenant, today):
    from plugins.payments_epay import services

    return services.reconcile(tenant)
