"""The client's ratings register their screens, the request-page block, the asking job and demo data through the
hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import DashboardCard, NavItem, PeriodicJob, RequestSection, hookimpl
from saas.satisfaction import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.satisfaction.survey_views import bp as surveys_bp  # adds the survey link's route to link_bp
    from saas.satisfaction.survey_views import portal_bp as portal_surveys_bp
    from saas.satisfaction.views import link_bp, portal_bp

    return [portal_bp, link_bp, surveys_bp, portal_surveys_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_periodic_jobs():
    from saas.satisfaction.tasks import ask_for_ratings, run_surveys

    return [
        PeriodicJob(ask_for_ratings, cron="*/10 * * * *", queue="mail", timeout=600),
        # 16:20 UTC is 00:20 in Shanghai: the period that ended at midnight has its survey opened that morning.
        PeriodicJob(run_surveys, cron="20 16 * * *", queue="mail", timeout=1800),
    ]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Surveys"), "surveys.index", VENDOR_ROLES, order=27),
        NavItem(_l("Surveys"), "portal_surveys.portal_index", CLIENT_ROLES, order=14),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    """The open surveys the client's person has not answered yet, while there are any."""
    from saas.satisfaction.surveys import to_answer_count

    if not membership.role_enum.is_client or membership.client_id is None:
        return []
    count = to_answer_count(tenant, membership.client_id, membership.user_id)
    if not count:
        return []
    return [DashboardCard(_l("Surveys to answer"), count, "portal_surveys.portal_index", CLIENT_ROLES, order=15)]


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
    from saas.satisfaction.demo import seed_ratings, seed_surveys

    seed_ratings(tenant)
    seed_surveys(tenant)
