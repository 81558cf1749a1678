"""Client feedback registers its screens and navigation through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import NavItem, hookimpl
from saas.feedback import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.feedback.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Feedback"), "feedback.index", VENDOR_ROLES, order=26),
        NavItem(_l("Feedback"), "portal_feedback.portal_index", CLIENT_ROLES, order=13),
    ]


@hookimpl(wrapper=True, specname="saas_demo_data")
def feedback_demo(tenant, session):
    """Once every domain has played its demo (the requests replayed among them), the client's feedback."""
    from saas.feedback.demo import seed_feedback

    result = yield
    seed_feedback(tenant)
    return result
