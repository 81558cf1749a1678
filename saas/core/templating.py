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


def install(app):
    """Register the context processor, filters and globals."""

    @app.context_processor
    def inject():
        return {
            "nav_items": _nav_items(),
            "my_tenants": _my_tenants(),
            "languages": current_app.config["LANGUAGES"],
            "html_lang": i18n.html_lang(),
            "current_path": request.full_path.rstrip("?"),
        }

    app.jinja_env.filters["datetime"] = i18n.format_dt
    app.jinja_env.filters["money"] = i18n.format_money_filter
    app.jinja_env.filters["role"] = role_label
    app.jinja_env.filters["action"] = audit.action_label
    app.jinja_env.globals["error_title"] = error_title
    # The shared macros are globals, so an HTMX request that renders one block still finds them.
    macros = app.jinja_env.get_template("macros.html").module
    app.jinja_env.globals.update(field=macros.field, audit_rows=macros.audit_rows, load_more_row=macros.load_more_row)
    from saas.core.rendering import is_fragment_request

    app.jinja_env.globals["is_fragment_request"] = is_fragment_request
    app.jinja_env.globals["home_url_for"] = _home_url_for
    contract_labels(app)


def _home_url_for(membership):
    from saas.core.views.auth import tenant_home_url

    return tenant_home_url(membership)


def contract_labels(app):
    """Status, event, service-kind and calendar labels of the contracts domain, as template filters."""
    from saas.contracts.forms import CALENDAR_LABELS, CHANGE_STATUS_LABELS, EVENT_LABELS, KIND_LABELS, STATUS_LABELS

    def label(mapping):
        return lambda code: str(mapping.get(code, code))

    app.jinja_env.filters.update(
        contract_status=label(STATUS_LABELS),
        contract_event=label(EVENT_LABELS),
        service_kind=label(KIND_LABELS),
        calendar=label(CALENDAR_LABELS),
        change_status=label(CHANGE_STATUS_LABELS),
    )
