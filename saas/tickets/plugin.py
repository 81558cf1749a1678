"""The requests domain registers its screens, navigation, figures, obligations, jobs and demo data through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.plugins import NavItem, PeriodicJob, hookimpl
from saas.tickets import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.tickets.request_views import bp as requests_bp
    from saas.tickets.request_views import portal_bp
    from saas.tickets.views import bp

    return [bp, requests_bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Requests"), "requests.index", VENDOR_ROLES, order=20),
        NavItem(_l("Request categories"), "requests.categories", frozenset({Role.VENDOR_ADMIN}), order=44),
        NavItem(_l("Service calendars"), "tickets.calendars", frozenset({Role.VENDOR_ADMIN}), order=45),
        NavItem(_l("Our requests"), "portal_requests.portal_index", CLIENT_ROLES, order=10),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.tickets.tasks import sweep_sla_breaches

    return [PeriodicJob(sweep_sla_breaches, cron="* * * * *", queue="default", timeout=900)]


@hookimpl
def saas_demo_data(tenant, session):
    from saas.tickets import calendar_service as service
    from saas.tickets import services as requests

    always = service.save_calendar(tenant, {"name": "7×24", "timezone": tenant.timezone, "always": True})
    office = service.save_calendar(
        tenant,
        {"name": "工作日 Business hours", "timezone": tenant.timezone,
         **{f"hours_{d}": service.format_windows(ws) for d, ws in service.default_weekly().items()}},
    )  # fmt: skip
    service.add_official_china_schedule(office, 2026)
    requests.add_standard_categories(tenant, always=always, office=office)
