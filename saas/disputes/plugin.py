"""Disputes register their screens, navigation, reminder job, held invoice amounts and demo through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import NavItem, PeriodicJob, hookimpl
from saas.disputes import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.disputes.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Disputes"), "disputes.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=32),
        NavItem(_l("Disputes"), "portal_disputes.portal_index", CLIENT_ROLES, order=19),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.disputes.tasks import remind_dispute_deadlines

    return [PeriodicJob(remind_dispute_deadlines, cron="0 1 * * *", queue="mail")]  # 09:00 in Shanghai


@hookimpl
def saas_amounts_held(tenant, invoice_ids):
    """§9: an invoice amount under an open dispute is held."""
    from saas.disputes.services import held_amounts

    return held_amounts(tenant, invoice_ids)


@hookimpl(wrapper=True, specname="saas_demo_data")
def disputes_demo(tenant, session):
    """Once every domain has played its demo (the service credits among them), the client contests one."""
    from saas.disputes.demo import seed_disputes

    result = yield
    seed_disputes(tenant)
    return result
