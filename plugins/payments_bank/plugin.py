"""Bank transfer (§3.2.1): the vendor's bank accounts; statements and matching come with billing."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.models import Role
from saas.core.plugins import NavItem, PluginInfo, hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Bank transfer"),
        description=_l("Clients pay invoices by bank transfer (agreement §3.2.1) into the vendor's accounts."),
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
        NavItem(
            _l("Bank accounts"),
            "plugin_payments_bank.accounts",
            frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}),
            order=50,
        )
    ]


@hookimpl
def saas_demo_data(tenant, session):
    from plugins.payments_bank.models import BankAccount

    session.add(
        BankAccount(
            tenant_id=tenant.id,
            bank_name="中国工商银行",
            branch="北京中关村支行",
            account_name=tenant.legal_name,
            account_number=f"0200{tenant.id:04d}19200012345",
            currency="CNY",
            is_default=True,
        )
    )
