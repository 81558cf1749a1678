"""Written notices register their screens, navigation and demo through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import NavItem, hookimpl
from saas.notices import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.notices.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Notices"), "notices.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=31),
        NavItem(_l("Notices"), "portal_notices.portal_index", CLIENT_ROLES, order=18),
    ]


@hookimpl(trylast=True)  # once the agreements are signed and the requests replayed
def saas_demo_data(tenant, session):
    from saas.notices.demo import seed_notices, seed_successor, seed_termination

    seed_notices(tenant)
    seed_termination(tenant)
    seed_successor(tenant)
