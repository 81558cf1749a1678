"""Billing registers its screens, navigation, figures, obligations and the daily run through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.billing import models  # noqa: F401  (register the tables)
from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import NavItem, PeriodicJob, hookimpl


@hookimpl
def saas_blueprints():
    from saas.billing.notify_views import bp as notify_bp
    from saas.billing.views import bp, portal_bp

    return [bp, portal_bp, notify_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Invoices"), "billing.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=35),
        NavItem(_l("Receivables"), "billing.receivables_page", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}),
                order=36),
        NavItem(_l("Billing runs"), "billing.runs", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=37),
        NavItem(_l("Our invoices"), "portal_billing.portal_index", CLIENT_ROLES, order=16),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.billing.tasks import mark_overdue_invoices, reconcile_payments, run_billing

    # 00:30 and 00:10 in Shanghai; each tenant by its own local date.
    return [PeriodicJob(run_billing, cron="30 16 * * *", queue="billing", timeout=3600),
            PeriodicJob(mark_overdue_invoices, cron="10 16 * * *", queue="billing"),
            PeriodicJob(reconcile_payments, cron="*/15 * * * *", queue="billing", timeout=900)]  # fmt: skip



@hookimpl  # after the contracts domain (tryfirst) has put the demo agreement in force; payment plugins come after
def saas_demo_data(tenant, session):
    from saas.billing.demo import replay_billing

    replay_billing(tenant)
