"""The service records register their screens and navigation through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import NavItem, hookimpl


@hookimpl
def saas_blueprints():
    from saas.records.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Service records"), "records.index", VENDOR_ROLES, order=25),
        NavItem(_l("Service records"), "portal_records.portal_index", CLIENT_ROLES, order=12),
    ]
