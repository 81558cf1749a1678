"""Tenant administration by the platform operator: create, suspend, reactivate, enable plugins."""

from sqlalchemy import select

from saas.core import audit
from saas.core.errors import ServiceError
from saas.core.models import Tenant, TenantPlugin, TenantStatus
from saas.core.secrets import open_setting, seal_setting
from saas.extensions import db


def create_tenant(*, name, slug, legal_name, uscc=None, address="", timezone="Asia/Shanghai", currency="CNY"):
    """Create a vendor tenant; the slug must be free."""
    from flask_babel import gettext as _

    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ServiceError(_("This short name is already taken."))
    tenant = Tenant(
        name=name,
        slug=slug,
        legal_name=legal_name,
        uscc=uscc or None,
        address=address or "",
        timezone=timezone,
        currency=currency,
    )
    db.session.add(tenant)
    db.session.flush()
    audit.record("tenant.created", tenant_id=tenant.id, target=tenant, slug=slug)
    return tenant


PROFILE_FIELDS = ("name", "legal_name", "uscc", "address", "timezone", "currency")


def update_profile(tenant: Tenant, data: dict) -> None:
    """Change a vendor's own details; what changed is audited."""
    changed = {}
    for key in PROFILE_FIELDS:
        value = (data.get(key) or None) if key == "uscc" else (data.get(key) or "").strip()
        if getattr(tenant, key) != value:
            changed[key] = [getattr(tenant, key), value]
            setattr(tenant, key, value)
    if changed:
        audit.record("tenant.profile_changed", tenant_id=tenant.id, target=tenant, **changed)


def set_tenant_status(tenant: Tenant, status: TenantStatus) -> None:
    """Suspend (members lose access, data kept) or reactivate a tenant."""
    if tenant.status == status:
        return
    tenant.status = status
    audit.record(
        f"tenant.{'suspended' if status == TenantStatus.SUSPENDED else 'reactivated'}",
        tenant_id=tenant.id,
        target=tenant,
    )


def plugin_row(tenant: Tenant, plugin: str) -> TenantPlugin:
    """The tenant's row for a plugin, created disabled when missing."""
    row = db.session.scalar(
        select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id, TenantPlugin.plugin == plugin)
    )
    if row is None:
        row = TenantPlugin(tenant_id=tenant.id, plugin=plugin, enabled=False, settings={})
        db.session.add(row)
    return row


def set_plugin_enabled(tenant: Tenant, plugin: str, enabled: bool, installed: list[str]) -> TenantPlugin:
    """Enable or disable an installed plugin for one tenant."""
    from flask_babel import gettext as _

    if plugin not in installed:
        raise ServiceError(_("There is no plugin named %(name)s.", name=plugin))
    row = plugin_row(tenant, plugin)
    if row.enabled and not enabled:
        from saas.core.plugins import plugin_manager

        reasons = [
            r for group in plugin_manager().hook.saas_plugin_disabling(tenant=tenant, plugin=plugin) for r in group
        ]
        if reasons:
            raise ServiceError(" ".join(reasons))
    if row.enabled != enabled:
        row.enabled = enabled
        audit.record("plugin.enabled" if enabled else "plugin.disabled", tenant_id=tenant.id, plugin=plugin)
        from saas.core.plugins import plugin_manager

        plugin_manager().forget_enabled(tenant.id)  # the rest of this request sees the change
    return row


def secret_settings(plugin: str) -> frozenset[str]:
    """The settings a plugin's form declares secret (PluginSettingsForm.secret_fields): stored sealed."""
    from saas.core.plugins import plugin_manager

    pm = plugin_manager()
    form = pm.info(plugin).settings_form if plugin in pm.plugin_names() else None
    return frozenset(getattr(form, "secret_fields", ()))


def save_plugin_settings(tenant: Tenant, plugin: str, settings: dict) -> None:
    """Store a tenant's settings for a plugin (values already validated by the plugin's form), secrets sealed."""
    secret = secret_settings(plugin)
    row = plugin_row(tenant, plugin)
    row.settings = {name: seal_setting(value) if name in secret else value for name, value in settings.items()}
    audit.record("plugin.settings_changed", tenant_id=tenant.id, plugin=plugin)


def plugin_settings(tenant: Tenant, plugin: str) -> dict:
    """A tenant's settings for a plugin ({} when never saved)."""
    row = db.session.scalar(
        select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id, TenantPlugin.plugin == plugin)
    )
    return {name: open_setting(value) for name, value in (row.settings or {}).items()} if row is not None else {}
