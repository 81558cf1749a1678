"""The requests domain registers its screens, navigation, figures, obligations, jobs and demo data through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.plugins import ContractSection, NavItem, Obligation, PeriodicJob, hookimpl
from saas.requests import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.requests import breach_views
    from saas.requests.views import bp, portal_bp

    return [bp, portal_bp, breach_views.bp, breach_views.portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Requests"), "requests.index", VENDOR_ROLES, order=20),
        NavItem(_l("Request categories"), "requests.categories", frozenset({Role.VENDOR_ADMIN}), order=44),
        NavItem(_l("Our requests"), "portal_requests.portal_index", CLIENT_ROLES, order=10),
        NavItem(_l("Breaches"), "breaches.index", VENDOR_ROLES, order=21),
        NavItem(_l("Breaches"), "portal_breaches.portal_index", CLIENT_ROLES, order=11),
    ]


@hookimpl
def saas_metrics():
    from saas.requests.metrics import SlaSweepCollector

    return [SlaSweepCollector()]


@hookimpl
def saas_periodic_jobs():
    from saas.requests.tasks import sweep_sla_breaches

    return [PeriodicJob(sweep_sla_breaches, cron="* * * * *", queue="default", timeout=900)]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from saas.requests.dashboard import request_cards

    return request_cards(tenant, membership)


@hookimpl  # after the contracts domain (tryfirst) has drafted the demo agreements
def saas_demo_data(tenant, session):
    # One chain, in the order each step needs the one before: calendars, categories on them, the team and its
    # rules on the categories, then a week of requests assigned by those rules.
    from saas.calendars.demo import seed_calendars
    from saas.requests import services as requests
    from saas.requests.demo import seed_activity, seed_history
    from saas.team.demo import seed_team

    always, office = seed_calendars(tenant)
    requests.add_standard_categories(tenant, always=always, office=office)
    seed_team(tenant, session)
    seed_history(tenant)
    seed_activity(tenant)


@hookimpl
def saas_contract_obligations(contract):
    from saas.requests.services import measure_obligations

    counts = measure_obligations(contract)

    def measured(key, clause, label, order):
        # Same key as the contracts domain's row: these counts land on it (see merge_obligations).
        return Obligation(
            clause, label, "", order=order, key=key, **counts.get(key, {"applied": 0, "met": 0, "breached": 0})
        )

    return [
        measured("service_response", "§4.1", _l("Service response"), 20),
        measured("onsite_arrival", "§2.1.2", _l("On-site arrival"), 21),
        measured("fault_response", "§2.2.2", _l("Fault response"), 22),
        measured("consult_response", "§2.3.2", _l("Consulting response"), 23),
        Obligation(
            "§4.3, §8.1.3",
            _l("Resolution within the category's target"),
            _l("per category and priority"),
            order=24,
            key="resolution",
            **counts.get("resolution", {"applied": 0, "met": 0, "breached": 0}),
        ),
    ]


@hookimpl
def saas_contract_sections(contract, membership):
    """§10.4: once an agreement has ended, its requests still open are listed to close or hand over."""
    from flask import render_template
    from markupsafe import Markup

    from saas.requests.services import contract_in_force, has_ended, open_requests_of_contract

    if not has_ended(contract):
        return []
    open_requests = open_requests_of_contract(contract)
    if not open_requests:
        return []
    successor = contract_in_force(contract.tenant, contract.client_id)
    html = render_template(
        "requests/_contract_open_requests.html",
        contract=contract,
        requests=open_requests,
        successor=successor,
        vendor=membership.role_enum.is_vendor,
    )
    return [ContractSection(_l("Open requests of the ended agreement"), Markup(html), order=10)]  # noqa: S704
