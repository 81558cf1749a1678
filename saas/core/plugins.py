"""The PluginManager: hookspecs, plugins from entry points, and which plugins each tenant has enabled."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pluggy
from flask import Blueprint, abort, current_app, g
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
    "credits": "saas.credits.plugin",
    "notices": "saas.notices.plugin",
    "disputes": "saas.disputes.plugin",
    "materials": "saas.materials.plugin",
    "claims": "saas.claims.plugin",
    "satisfaction": "saas.satisfaction.plugin",
    "addons": "saas.addons.plugin",
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
    """A task run on a cron schedule in UTC: by `rq cron` with Redis (run with TZ=UTC), else by the embedded
    scheduler of the web process (saas/core/scheduler.py). The cron string is checked when the app is built."""

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

    def forget_enabled(self, tenant_id: int) -> None:
        """Drop the request's cached plugins of a tenant: the next question reads them again (one was switched)."""
        if _has_g():
            g.get("_enabled_plugins", {}).pop(tenant_id, None)

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


#: Entry point group of the plugins only development and tests load (stand-in gateways of payment providers).
SANDBOX_GROUP = "saas.sandbox_plugins"


def _sandboxes_allowed() -> bool:
    """Whether the environment's settings allow sandbox plugins (for callers without an app, e.g. saas.cron)."""
    import os

    from saas.config import CONFIGS

    return CONFIGS[os.environ.get("AFTERCARE_ENV", "production")].SANDBOX_PLUGINS


def build_plugin_manager(extra_plugins: dict | None = None, sandboxes: bool | None = None) -> SaasPluginManager:
    """Create the manager: hookspecs, the core's own hooks, then plugins from entry points.

    The `saas.sandbox_plugins` group is loaded only when `sandboxes` (the config's SANDBOX_PLUGINS, true in
    development and tests): a production instance never imports them, so it has neither their routes nor tables.
    """
    import importlib

    pm = SaasPluginManager("saas")
    pm.add_hookspecs(hookspecs)
    for name, module in CORE_PARTS.items():
        pm.register(importlib.import_module(module), name=name)
    pm.load_setuptools_entrypoints("saas.plugins")
    if _sandboxes_allowed() if sandboxes is None else sandboxes:
        pm.load_setuptools_entrypoints(SANDBOX_GROUP)
    for name, module in (extra_plugins or {}).items():
        pm.register(module, name=name)
    pm.check_pending()
    periodic_jobs(pm)  # a malformed cron string stops start-up here, naming its plugin (web, workers, rq cron)
    return pm


class PeriodicJobError(RuntimeError):
    """A plugin declared a PeriodicJob whose cron string cannot be read: the app (and `rq cron`) does not start."""


def cron_problem(cron: str) -> str | None:
    """Why `cron` is not a five-field cron string (minute hour day month weekday), or None when it is one."""
    from croniter import CroniterError, croniter

    if not isinstance(cron, str):
        return "is not a string"
    fields = cron.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields where a cron string has 5 (minute hour day month weekday)"
    try:
        croniter(cron)
    except (CroniterError, ValueError) as error:
        return f"cannot be read ({error})"
    return None


def periodic_jobs(pm: SaasPluginManager) -> list[PeriodicJob]:
    """Every PeriodicJob of the core and the plugins (saas_periodic_jobs), each cron string checked."""
    jobs = []
    # One implementation at a time (in pluggy's calling order), to name the plugin whose declaration is wrong.
    for impl in reversed(pm.hook.saas_periodic_jobs.get_hookimpls()):
        for job in impl.function() or []:
            problem = cron_problem(job.cron)
            if problem:
                func = f"{getattr(job.func, '__module__', '?')}.{getattr(job.func, '__qualname__', job.func)}"
                raise PeriodicJobError(
                    f"plugin {impl.plugin_name!r}: the periodic job {func} has the cron string {job.cron!r}, "
                    f"which {problem}"
                )
            jobs.append(job)
    return jobs


def plugin_manager() -> SaasPluginManager:
    """The application's plugin manager."""
    return current_app.extensions["plugins"]


def plugin_blueprint(name: str, import_name: str) -> Blueprint:
    """The blueprint of plugin `name`: under /t/<tenant>/p/<name>/, 404 where the tenant has not enabled it."""
    bp = tenant_blueprint(f"plugin_{name}", import_name, url_prefix=f"/p/{name}", template_folder="templates")
    bp.tenant_facing = True
    return bp


def plugin_public_blueprint(name: str, import_name: str, url_prefix: str, suffix: str = "") -> Blueprint:
    """A blueprint of plugin `name` that is not tenant-facing (a stand-in gateway's own pages), declared as such.

    Named `<name>` or `<name>_<suffix>`; no sign-in, no tenant in the URL. Its views find the tenant from their
    own rows and call `require_enabled(name, tenant)`, so a tenant without the plugin gets 404 there too.
    """
    bp = Blueprint(
        f"{name}_{suffix}" if suffix else name, import_name, url_prefix=url_prefix, template_folder="templates"
    )
    bp.tenant_facing = False
    return bp


def require_enabled(name: str, tenant) -> None:
    """404 unless plugin `name` is enabled for `tenant` (for views outside /t/<tenant>/, which do not check it)."""
    if tenant is None or not plugin_manager().is_enabled(name, tenant):
        abort(404)


class PluginBlueprintError(RuntimeError):
    """A plugin's blueprint breaks the naming rule: the app does not start."""


def check_blueprint(plugin: str, bp: Blueprint, installed: list[str]) -> None:
    """Indico's rule: a plugin's blueprints are named after it, and the tenant-facing one lives under /p/<plugin>/.

    The tenant-facing blueprint (plugin_blueprint) is `plugin_<plugin>` at /t/<tenant>/p/<plugin>/; its name is
    how the per-tenant 404 finds the plugin. A declared non-tenant one (plugin_public_blueprint) is `<plugin>` or
    `<plugin>_<suffix>`, outside /t/, and not a name that a longer installed plugin's name claims.
    """
    where = f"plugin {plugin!r}: blueprint {bp.name!r}"
    tenant_facing = getattr(bp, "tenant_facing", None)
    if tenant_facing is None:
        raise PluginBlueprintError(
            f"{where} was made neither with plugin_blueprint() (tenant-facing, under "
            f"/t/<tenant>/p/{plugin}/) nor with plugin_public_blueprint() (declared "
            "not tenant-facing)"
        )
    if tenant_facing:
        if bp.name != f"plugin_{plugin}" or bp.url_prefix != f"/t/<tenant>/p/{plugin}":
            raise PluginBlueprintError(
                f"{where} at {bp.url_prefix!r}: a plugin's tenant-facing blueprint is "
                f"'plugin_{plugin}', at '/t/<tenant>/p/{plugin}' "
                f"(plugin_blueprint({plugin!r}, __name__))"
            )
        return
    owner = max((n for n in installed if bp.name == n or bp.name.startswith(f"{n}_")), key=len, default=None)
    if owner != plugin:
        raise PluginBlueprintError(
            f"{where}: a plugin's non-tenant blueprint is named {plugin!r} or "
            f"'{plugin}_<suffix>'" + (f" (this name is plugin {owner!r}'s)" if owner else "")
        )
    if (bp.url_prefix or "/").startswith("/t/"):
        raise PluginBlueprintError(
            f"{where} is declared not tenant-facing but mounted under /t/: make it with plugin_blueprint()"
        )


def register_blueprints(app, pm: SaasPluginManager) -> None:
    """Register every blueprint from saas_blueprints, in the hook's order; a plugin's must pass check_blueprint."""
    installed = pm.plugin_names()
    # Called one implementation at a time (in pluggy's calling order) to know which plugin returned which blueprint.
    for impl in reversed(pm.hook.saas_blueprints.get_hookimpls()):
        for bp in impl.function() or []:
            if impl.plugin_name not in CORE_PARTS:
                check_blueprint(impl.plugin_name, bp, installed)
            app.register_blueprint(bp)


def migration_dirs(pm: SaasPluginManager) -> list[str]:
    """Every plugin's Alembic version directory, for `version_locations`."""
    return [str(Path(d)) for dirs in pm.hook.saas_migration_dirs() for d in dirs]


def table_owner(table_name: str, plugin_names: list[str]) -> str:
    """Which plugin's migrations own a table: `<plugin>_...` tables are the plugin's, the rest the core's.

    The longest name wins: `payments_epay_sandbox_app` is payments_epay_sandbox's, not payments_epay's.
    """
    owners = [name for name in plugin_names if table_name.startswith(f"{name}_")]
    return max(owners, key=len) if owners else CORE


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
            filled = {
                name: getattr(first, name) if getattr(first, name) not in (None, "") else getattr(row, name)
                for name in ("clause", "label", "parameter", "applied", "met", "breached")
            }
            merged[row.key] = replace(first, **filled)
    return sorted([*rows, *merged.values()], key=lambda r: r.order)


@dataclass(frozen=True)
class ContractAnnex:
    """Lines the rendered agreement lists under one of its annexes (Part 3, 说明一), from the domain that holds them."""

    number: int
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractSection:
    """A block another domain shows on a contract's page (e.g. its open requests at termination, §10.4)."""

    title: str
    #: The block's HTML, rendered by the domain that owns the data.
    html: str
    order: int = 100


@dataclass(frozen=True)
class RequestSection:
    """A block another domain shows on a service request's page (e.g. the materials asked of the client)."""

    title: str
    #: The block's HTML, rendered by the domain that owns the data.
    html: str
    order: int = 100


@dataclass(frozen=True)
class RequestCoverage:
    """A coverage a plugin gives a new service request (§13, an add-on agreement running on its day): another
    calendar (around the clock, or one of the tenant's) and/or response or resolution hours shorter than the
    standard ones. The requests domain applies the strictest that makes a deadline earlier, never a later one."""

    #: Names what applied once and for all ("addon_extended_coverage:12"): written on the request's timeline.
    source: str
    #: What people read on the timeline (the add-on agreement's number): a lazy string, written down in each
    #: language so each reader sees it in theirs.
    label: str
    #: The clocks run 7×24 (no calendar), whatever the category's calendar.
    around_the_clock: bool = False
    #: Or one of the tenant's calendars (ignored when around_the_clock; None: the category's).
    calendar_id: int | None = None
    #: Whole hours to respond / to resolve; None (or longer than the standard): the standard ones.
    response_hours: int | None = None
    resolution_hours: int | None = None


@dataclass(frozen=True)
class AddonTerm:
    """One term an add-on type needs in its agreement (§13.1): a typed field with its default."""

    name: str
    label: str
    #: "int", "decimal", "bool", "text" or "choice" (one of `choices`).
    kind: str
    default: object = None
    minimum: object = None
    maximum: object = None
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AddonType:
    """An add-on service a plugin offers (§13): what it is in both languages, the terms its agreements need, how it
    may be priced, and how its usage is measured for a period."""

    #: The plugin's name ("addon_hours_bank"); one type per plugin.
    name: str
    label_zh: str
    label_en: str
    description_zh: str = ""
    description_en: str = ""
    terms: tuple[AddonTerm, ...] = ()
    #: The fees an offer of this type may set: any of "one_off", "monthly", "yearly", "usage".
    pricing: tuple[str, ...] = ("monthly",)
    #: The unit usage is counted in, in both languages ("小时", "hour"), for "usage" pricing.
    unit_zh: str = ""
    unit_en: str = ""
    #: measure(agreement, start, end) -> (quantity as Decimal, how it was measured): usage in [start, end) local days;
    #: `how` a text, or a lazy string (flask_babel.LazyString) so each language of the invoice line gets its own.
    measure: object = None
    #: Optional check_terms(tenant, terms) -> why the checked terms do not fit the tenant (e.g. a category code it
    #: does not have), in the user's language, or None: asked for offers, proposals and amendments alike.
    check_terms: object = None


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
class PaymentSandbox:
    """A stand-in for an online provider's gateway (development and tests), offered by a sandbox plugin."""

    #: The stand-in gateway's address (where the provider's real gateway would be).
    gateway_url: str
    #: The tenant's merchant account at the sandbox: empty until it is made (`create=True`).
    app_id: str = ""
    seller_id: str = ""
    #: The key the tenant signs its requests with, and the sandbox's public key its answers verify with.
    merchant_private_key: str = ""
    gateway_public_key: str = ""


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
