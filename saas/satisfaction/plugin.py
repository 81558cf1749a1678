"""The client's satisfaction registers its screens, navigation, the request-page block, its jobs (asking for
ratings, evaluating the payment cycles, reminding overdue measures), the §11 rows of the compliance view and demo
data through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import DashboardCard, NavItem, Obligation, PeriodicJob, RequestSection, hookimpl
from saas.satisfaction import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.satisfaction.evaluation_views import bp as evaluations_bp
    from saas.satisfaction.evaluation_views import portal_bp as portal_evaluations_bp
    from saas.satisfaction.report_views import bp as reports_bp
    from saas.satisfaction.report_views import portal_bp as portal_reports_bp
    from saas.satisfaction.survey_views import bp as surveys_bp  # adds the survey link's route to link_bp
    from saas.satisfaction.survey_views import portal_bp as portal_surveys_bp
    from saas.satisfaction.views import link_bp, portal_bp

    return [
        portal_bp,
        link_bp,
        surveys_bp,
        portal_surveys_bp,
        evaluations_bp,
        portal_evaluations_bp,
        reports_bp,
        portal_reports_bp,
    ]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_periodic_jobs():
    from saas.satisfaction.tasks import ask_for_ratings, remind_overdue_measures, run_evaluations, run_surveys

    return [
        PeriodicJob(ask_for_ratings, cron="*/10 * * * *", queue="mail", timeout=600),
        # 01:40 in Shanghai: after the night's billing run (00:30) and credits (00:20), on the day's closed surveys.
        PeriodicJob(run_evaluations, cron="40 17 * * *", queue="billing", timeout=1800),
        PeriodicJob(remind_overdue_measures, cron="0 1 * * *", queue="mail", timeout=600),
        # 16:20 UTC is 00:20 in Shanghai: the period that ended at midnight has its survey opened that morning.
        PeriodicJob(run_surveys, cron="20 16 * * *", queue="mail", timeout=1800),
    ]


@hookimpl
def saas_contract_obligations(contract):
    """§11: how often the agreement's periods were evaluated and fell short, and how the measures turned out."""
    from saas.satisfaction.evaluation import policy_of
    from saas.satisfaction.measures import counts

    figures = counts(contract)
    policy = policy_of(contract.tenant_id)
    return [
        Obligation(
            "§11.1, §11.2",
            _l("Periodic evaluation at or above the threshold"),
            _l(
                "threshold %(threshold)s; response %(response)s, resolution %(resolution)s, quality %(quality)s, "
                "survey %(survey)s",
                threshold=policy.threshold,
                response=policy.floor_response,
                resolution=policy.floor_resolution,
                quality=policy.floor_quality,
                survey=policy.floor_survey,
            ),
            applied=figures["scored"],
            met=figures["scored"] - figures["below"],
            breached=figures["below"],
            order=80,
        ),
        Obligation(
            "§11.3",
            _l("Improvement measures effective"),
            _l("checked by the next period's evaluation"),
            applied=figures["judged"],
            met=figures["effective"],
            breached=figures["judged"] - figures["effective"],
            order=81,
        ),
    ]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Evaluations"), "evaluations.index", VENDOR_ROLES, order=14),
        NavItem(_l("Surveys"), "surveys.index", VENDOR_ROLES, order=27),
        NavItem(_l("Surveys"), "portal_surveys.portal_index", CLIENT_ROLES, order=14),
        NavItem(_l("Evaluations"), "portal_evaluations.portal_index", CLIENT_ROLES, order=16),
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


@hookimpl(wrapper=True, specname="saas_demo_data")
def evaluations_demo(tenant, session):
    """Once every domain has played its demo (the service credits' late months among them), each ended payment
    cycle is evaluated on the day its survey closed."""
    from saas.satisfaction.evaluation_demo import seed_evaluations

    result = yield
    seed_evaluations(tenant)
    return result
