"""The support team registers its screens, navigation, dashboard warning and jobs through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import VENDOR_ROLES, Role
from saas.core.plugins import DashboardCard, NavItem, PeriodicJob, hookimpl
from saas.team import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.team.views import bp

    return [bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [NavItem(_l("Support team"), "team.index", VENDOR_ROLES, order=42)]


@hookimpl
def saas_periodic_jobs():
    from saas.team.tasks import warn_expiring_certificates

    return [PeriodicJob(warn_expiring_certificates, cron="30 0 * * *", queue="mail")]  # 08:30 in Shanghai


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from saas.team.services import expiring_certificates

    if membership.role != Role.VENDOR_ADMIN:
        return []
    count = len(expiring_certificates(tenant))
    # §5.2: a warning, shown only while there is something to renew.
    if not count:
        return []
    return [
        DashboardCard(
            _l("Certificates expiring within 30 days"), count, "team.index", frozenset({Role.VENDOR_ADMIN}), order=50
        )
    ]
