"""The service calendars register their screen and navigation through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.calendars import models  # noqa: F401  (register the tables)
from saas.core.models import Role
from saas.core.plugins import NavItem, hookimpl


@hookimpl
def saas_blueprints():
    from saas.calendars.views import bp

    return [bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [NavItem(_l("Service calendars"), "calendars.index", frozenset({Role.VENDOR_ADMIN}), order=45)]
