"""The requests domain registers its screens, navigation and demo calendars through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import Role
from saas.core.plugins import NavItem, hookimpl
from saas.tickets import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.tickets.views import bp

    return [bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [NavItem(_l("Service calendars"), "tickets.calendars", frozenset({Role.VENDOR_ADMIN}), order=45)]


@hookimpl
def saas_demo_data(tenant, session):
    from saas.tickets import calendar_service as service

    service.save_calendar(tenant, {"name": "7×24", "timezone": tenant.timezone, "always": True})
    office = service.save_calendar(
        tenant,
        {"name": "工作日 Business hours", "timezone": tenant.timezone,
         **{f"hours_{d}": service.format_windows(ws) for d, ws in service.default_weekly().items()}},
    )  # fmt: skip
    service.add_official_china_schedule(office, 2026)
