"""Bank transfer (§3.2.1): the vendor's accounts on invoices with a reference per invoice, statements imported and
their credits matched to clients' payments."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.models import Role
from saas.core.plugins import DashboardCard, NavItem, PaymentInstruction, PaymentMethod, PluginInfo, hookimpl

NAME = "payments_bank"
HERE = Path(__file__).resolve().parent
STAFF = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING})


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Bank transfer"),
        description=_l(
            "Clients pay invoices by bank transfer (agreement §3.2.1) into the vendor's accounts; "
            "statements are imported and their credits matched to invoices."
        ),
    )


@hookimpl
def saas_blueprints():
    from plugins.payments_bank.views import bp

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Bank statements"), "plugin_payments_bank.statements", STAFF, order=50),
        NavItem(_l("Waiting transfers"), "plugin_payments_bank.unmatched", STAFF, order=51),
        NavItem(_l("Bank accounts"), "plugin_payments_bank.accounts", STAFF, order=52),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from plugins.payments_bank.matching import waiting_count

    label = _l("Transfers waiting to be matched")
    return [DashboardCard(label, waiting_count(tenant), "plugin_payments_bank.unmatched", STAFF, order=50)]


@hookimpl
def saas_payment_methods(tenant):
    return [PaymentMethod(NAME, _l("Bank transfer"), online=False, order=10)]


@hookimpl
def saas_payment_instructions(tenant, invoice):
    from plugins.payments_bank.services import instructions_html

    html = instructions_html(tenant, invoice)
    return [PaymentInstruction(NAME, str(_l("Bank transfer")), html, order=10)] if html else []


@hookimpl
def saas_payment_reconcile(tenant, today):
    from plugins.payments_bank.matching import reconcile

    return reconcile(tenant)


@hookimpl(trylast=True)
def saas_demo_data(tenant, session):
    from plugins.payments_bank.demo import seed

    seed(tenant, session)
