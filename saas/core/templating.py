"""What every template can use: navigation from the hooks, the tenant switcher, languages, formatters."""

from flask import current_app, g, request
from flask_login import current_user

from saas.core import audit, i18n
from saas.core.errors import error_title
from saas.core.forms import ROLE_LABELS
from saas.core.models import Role


def _nav_items():
    tenant, membership = g.get("tenant"), g.get("membership")
    if tenant is None or membership is None:
        return []
    pm = current_app.extensions["plugins"]
    items = [
        item
        for items in pm.for_tenant(tenant).saas_nav_items(tenant=tenant, membership=membership)
        for item in items
        if not item.roles or membership.role in item.roles
    ]
    return sorted(items, key=lambda i: i.order)


def _my_tenants():
    if not current_user.is_authenticated:
        return []
    return sorted((m for m in current_user.memberships if m.tenant.is_active), key=lambda m: m.tenant.name)


def role_label(role: str) -> str:
    """The translated name of a role."""
    return str(ROLE_LABELS.get(Role(role), role))


def iso_datetime(value: str, fmt: str = "medium") -> str:
    """An ISO timestamp kept in evidence (JSON), shown as the datetime filter shows a column's."""
    from datetime import datetime

    return i18n.format_dt(datetime.fromisoformat(value), fmt) if value else ""


def core_filters() -> dict:
    """The core's own filters (dates, money, roles, audit actions), registered through saas_template_filters."""
    return {
        "datetime": i18n.format_dt,
        "isodatetime": iso_datetime,
        "money": i18n.format_money_filter,
        "role": role_label,
        "action": audit.action_label,
        "in_my_language": i18n.in_my_language,
    }


def register_filters(app):
    """Every plugin's and domain's filters from the hook; two with one name would shadow each other, so refuse."""
    owners: dict[str, str] = {}
    pm = app.extensions["plugins"]
    for impl in pm.hook.saas_template_filters.get_hookimpls():
        for name, func in (impl.function() or {}).items():
            if name in owners:
                raise RuntimeError(
                    f"template filter {name!r} is registered by both {owners[name]!r} and {impl.plugin_name!r}"
                )
            owners[name] = impl.plugin_name
            app.jinja_env.filters[name] = func


def install(app):
    """Register the context processor, filters and globals."""

    @app.context_processor
    def inject():
        if g.get("dependency_down"):  # the 503 page of an outage: nothing that would ask the database
            return {"nav_items": [], "my_tenants": [], "html_lang": i18n.html_lang()}
        return {
            "nav_items": _nav_items(),
            "my_tenants": _my_tenants(),
            "languages": current_app.config["LANGUAGES"],
            "html_lang": i18n.html_lang(),
            "current_path": request.full_path.rstrip("?"),
        }

    register_filters(app)
    app.jinja_env.globals["error_title"] = error_title
    # The shared macros are globals, so an HTMX request that renders one block still finds them.
    macros = app.jinja_env.get_template("macros.html").module
    app.jinja_env.globals.update(field=macros.field, audit_rows=macros.audit_rows, load_more_row=macros.load_more_row)
    from saas.core.rendering import is_fragment_request

    app.jinja_env.globals["is_fragment_request"] = is_fragment_request
    app.jinja_env.globals["home_url_for"] = _home_url_for


def _home_url_for(membership):
    from saas.core.views.auth import tenant_home_url

    return tenant_home_url(membership)
