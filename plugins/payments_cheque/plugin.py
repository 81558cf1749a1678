"""Cheque payments (§3.2.2): the cheque register, each cheque's steps with the bank, the bounce fee, instructions."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from plugins.payments_cheque.forms import ChequeSettingsForm
from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import DashboardCard, NavItem, PaymentMethod, PluginInfo, hookimpl

NAME = "payments_cheque"
HERE = Path(__file__).resolve().parent
STAFF = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING})


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Cheque payments"),
        description=_l("Clients pay invoices by cheque (agreement §3.2.2): payee, deposit bank and bounce fee."),
        settings_form=ChequeSettingsForm,
    )


@hookimpl
def saas_blueprints():
    from plugins.payments_cheque.views import bp  # importing the views imports the models too

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Cheques"), "plugin_payments_cheque.index", STAFF, order=55),
        NavItem(
            _l("Cheque settings"),
            "console.plugin_settings_page",
            frozenset({Role.VENDOR_ADMIN}),
            order=60,
            params=(("name", NAME),),
        ),
        NavItem(_l("Our cheques"), "plugin_payments_cheque.portal", CLIENT_ROLES, order=17),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from plugins.payments_cheque.services import awaiting

    return [
        DashboardCard(_l("Cheques not cleared yet"), awaiting(tenant), "plugin_payments_cheque.index", STAFF, order=51)
    ]


@hookimpl
def saas_payment_methods(tenant):
    return [PaymentMethod(NAME, _l("Cheque"), online=False, order=20)]


@hookimpl
def saas_payment_instructions(tenant, invoice):
    from flask import current_app
    from flask_babel import gettext as _
    from markupsafe import Markup

    from plugins.payments_cheque.services import instructions_context
    from saas.core.plugins import PaymentInstruction

    # The invoice PDF is rendered outside any request: the template alone, without the page's context processors.
    html = current_app.jinja_env.get_template("payments_cheque/instructions.html").render(
        **instructions_context(tenant, invoice)
    )
    return [PaymentInstruction(NAME, _("By cheque"), Markup(html), order=20)]  # noqa: S704 (an autoescaped template)


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    from plugins.payments_cheque.services import fee_lines

    return fee_lines(tenant, contract_ids)


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from plugins.payments_cheque.services import mark_fees_billed

    mark_fees_billed(tenant, billed)


@hookimpl(trylast=True)  # after billing has made the demo invoices
def saas_demo_data(tenant, session):
    from plugins.payments_cheque.demo import seed

    seed(tenant, session)
