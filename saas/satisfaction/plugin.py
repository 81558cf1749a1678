"""The client's ratings register their screens, the request-page block, the asking job and demo data through the
hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.plugins import PeriodicJob, RequestSection, hookimpl
from saas.satisfaction import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.satisfaction.views import link_bp, portal_bp

    return [portal_bp, link_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_periodic_jobs():
    from saas.satisfaction.tasks import ask_for_ratings

    return [PeriodicJob(ask_for_ratings, cron="*/10 * * * *", queue="mail", timeout=600)]


@hookimpl
def saas_request_sections(req, membership):
    """The client's rating of the request (§12.3), to the vendor's people and to the request's client."""
    from markupsafe import Markup

    from saas.satisfaction.views import section_html

    role = membership.role_enum
    if not (role.is_vendor or (role.is_client and membership.client_id == req.client_id)):
        return []
    if req.status not in ("resolved", "closed"):
        return []
    return [RequestSection(_l("The client's rating"), Markup(section_html(req, membership)), order=20)]  # noqa: S704


@hookimpl(trylast=True)  # once the requests demo has resolved its requests
def saas_demo_data(tenant, session):
    from saas.satisfaction.demo import seed_ratings

    seed_ratings(tenant)
