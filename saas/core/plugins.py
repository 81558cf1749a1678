"""The PluginManager: hookspecs, plugins from entry points, and which plugins each tenant has enabled."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pluggy
from flask import Blueprint, current_app, g
from sqlalchemy import select

from saas.core import hookspecs
from saas.core.tenancy import tenant_blueprint

hookimpl = pluggy.HookimplMarker("saas")

#: The name under which the core registers its own hook implementations; it is always enabled.
CORE = "core"
#: The core's domains, registered like plugins but always enabled and never listed as plugins.
CORE_PARTS = {
    CORE: "saas.core.plugin",
    "contracts": "saas.contracts.plugin",
    "calendars": "saas.calendars.plugin",
    "team": "saas.team.plugin",
    "requests": "saas.requests.plugin",
    "records": "saas.records.plugin",
    "feedback": "saas.feedback.plugin",
    "api": "saas.api.plugin",
    "billing": "saas.billing.plugin",
}


@dataclass(frozen=True)
class PluginInfo:
    """What the platform console shows about a plugin."""

    title: str
    description: str
    #: A Flask-WTF form class whose fields are the per-tenant settings; None when there are none.
    settings_form: type | None = None


@dataclass(frozen=True)
class NavItem:
    """An entry of the console navigation."""

    label: str
    endpoint: str
    #: Roles that see the entry; empty means every member of the tenant.
    roles: frozenset = field(default_factory=frozenset)
    order: int = 100
    #: Extra URL values for the endpoint, e.g. {"name": "payments_cheque"}.
    params: tuple = ()


@dataclass(frozen=True)
class DashboardCard:
    """A figure on the dashboard, with the page that explains it."""

    label: str
    value: int | str
    endpoint: str
    roles: frozenset = field(default_factory=frozenset)
    order: int = 100


@dataclass(frozen=True)
class PeriodicJob:
    """A task run by `rq cron` on a cron schedule (UTC: the cron process runs with TZ=UTC)."""

    func: Callable
    cron: str
    queue: str = "default"
    timeout: int = 600


class SaasPluginManager(pluggy.PluginManager):
    """pluggy's manager plus per-tenant enablement."""

    def plugin_names(self) -> list[str]:
        """Installed plugins (the core excluded), in a stable order."""
        return sorted(name for name, _ in self.list_name_plugin() if name not in CORE_PARTS)

    def info(self, name: str) -> PluginInfo:
        return self.subset_hook_caller("saas_plugin_info", self._others(name)).__call__()

    def _others(self, name: str) -> list:
        return [p for n, p in self.list_name_plugin() if n != name]

    def enabled_names(self, tenant) -> frozenset[str]:
        """Names of the plugins enabled for a tenant (cached for the request)."""
        from saas.core.models import TenantPlugin
        from saas.extensions import db

        cache = g.setdefault("_enabled_plugins", {}) if _has_g() else {}
        if tenant.id not in cache:
            rows = db.session.scalars(
                select(TenantPlugin.plugin).where(TenantPlugin.tenant_id == tenant.id, TenantPlugin.enabled)
            )
            cache[tenant.id] = frozenset(rows) & set(self.plugin_names())
        return cache[tenant.id]

    def is_enabled(self, name: str, tenant) -> bool:
        return name in CORE_PARTS or name in self.enabled_names(tenant)

    def for_tenant(self, tenant):
        """A hook relay that calls only the core and the plugins enabled for `tenant`."""
        enabled = self.enabled_names(tenant)
        disabled = [p for n, p in self.list_name_plugin() if n not in CORE_PARTS and n not in enabled]
        return _TenantHooks(self, disabled)


class _TenantHooks:
    def __init__(self, pm: SaasPluginManager, disabled: list):
        self._pm, self._disabled = pm, disabled

    def __getattr__(self, hook_name: str):
        return self._pm.subset_hook_caller(hook_name, self._disabled)


def _has_g() -> bool:
    from flask import has_app_context

    return has_app_context()


def build_plugin_manager(extra_plugins: dict | None = None) -> SaasPluginManager:
    """Create the manager: hookspecs, the core's own hooks, then plugins from entry points."""
    import importlib

    pm = SaasPluginManager("saas")
    pm.add_hookspecs(hookspecs)
    for name, module in CORE_PARTS.items():
        pm.register(importlib.import_module(module), name=name)
    pm.load_setuptools_entrypoints("saas.plugins")
    for name, module in (extra_plugins or {}).items():
        pm.register(module, name=name)
    pm.check_pending()
    return pm


def plugin_manager() -> SaasPluginManager:
    """The application's plugin manager."""
    return current_app.extensions["plugins"]


def plugin_blueprint(name: str, import_name: str) -> Blueprint:
    """The blueprint of plugin `name`: under /t/<tenant>/p/<name>/, 404 where the tenant has not enabled it."""
    return tenant_blueprint(f"plugin_{name}", import_name, url_prefix=f"/p/{name}", template_folder="templates")


def migration_dirs(pm: SaasPluginManager) -> list[str]:
    """Every plugin's Alembic version directory, for `version_locations`."""
    return [str(Path(d)) for dirs in pm.hook.saas_migration_dirs() for d in dirs]


def table_owner(table_name: str, plugin_names: list[str]) -> str:
    """Which plugin's migrations own a table: `<plugin>_...` tables are the plugin's, the rest the core's."""
    return next((name for name in plugin_names if table_name.startswith(f"{name}_")), CORE)


@dataclass(frozen=True)
class Obligation:
    """A measurable obligation of a contract, one row of its compliance view."""

    clause: str
    label: str
    parameter: str
    #: How often it applied, was met and was breached; None until a domain measures it.
    applied: int | None = None
    met: int | None = None
    breached: int | None = None
    order: int = 100
    #: Rows with the same key are one obligation: a domain that measures it adds the counts to its row.
    key: str = ""


def merge_obligations(groups) -> list[Obligation]:
    """Every domain's rows as one list in order; rows sharing a key merged, each field from the first that sets it."""
    merged: dict[str, Obligation] = {}
    rows: list[Obligation] = []
    for row in (row for group in groups for row in group):
        if not row.key:
            rows.append(row)
        elif row.key not in merged:
            merged[row.key] = row
        else:
            first = merged[row.key]
            filled = {name: getattr(first, name) if getattr(first, name) not in (None, "") else getattr(row, name)
                      for name in ("clause", "label", "parameter", "applied", "met", "breached")}  # fmt: skip
            merged[row.key] = replace(first, **filled)
    return sorted([*rows, *merged.values()], key=lambda r: r.order)


@dataclass(frozen=True)
class ContractSection:
    """A block another domain shows on a contract's page (e.g. its open requests at termination, §10.4)."""

    title: str
    #: The block's HTML, rendered by the domain that owns the data.
    html: str
    order: int = 100


@dataclass(frozen=True)
class PaymentMethod:
    """A way a tenant's clients can pay (§3.2), offered by a payment plugin."""

    #: The plugin's name ("payments_bank"): also the `provider` of the payments it records.
    name: str
    label: str
    #: The client pays from the portal (a Pay button sends them to the provider), e.g. e-payment.
    online: bool = False
    order: int = 100


@dataclass(frozen=True)
class PaymentInstruction:
    """How to pay one invoice by one method: shown on the invoice page, in the portal and in the PDF."""

    method: str
    title: str
    #: Markup the plugin rendered (its own template); no scripts: it also goes into the PDF.
    html: str
    order: int = 100


@dataclass(frozen=True)
class BillingLine:
    """A line a domain or plugin adds to a contract's next invoice: an add-on, a penalty, a fee, a credit."""

    contract_id: int
    #: Names the source once and for all ("billing.penalty:12"): the billed hook gets it back with the invoice id.
    key: str
    #: add_on, penalty, fee or credit (credits are negative amounts).
    kind: str
    description: str
    #: What the line adds to the invoice, already rounded to the currency's minor unit; negative for a credit.
    amount: Decimal
    quantity: Decimal | None = None
    source: dict = field(default_factory=dict)
