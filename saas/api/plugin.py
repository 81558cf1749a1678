"""The API registers its JSON blueprint, the token screens and their navigation through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.api import idempotency, models  # noqa: F401  (register the tables)
from saas.core.models import Role
from saas.core.plugins import NavItem, PeriodicJob, hookimpl


@hookimpl
def saas_blueprints():
    from saas.api import agreement_views  # noqa: F401  (its routes join the API's blueprint)
    from saas.api.console_views import bp as console_bp
    from saas.api.views import bp

    return [bp, console_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [NavItem(_l("API tokens"), "api_tokens.index", frozenset({Role.VENDOR_ADMIN}), order=93)]


@hookimpl
def saas_periodic_jobs():
    from saas.api.tasks import forget_old_idempotency_keys

    return [PeriodicJob(forget_old_idempotency_keys, cron="45 19 * * *")]
