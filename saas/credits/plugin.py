"""Service credits register their screens, navigation, nightly job, invoice lines and contract section through
the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import ContractSection, NavItem, PeriodicJob, hookimpl
from saas.credits import models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.credits.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Service credits"), "credits.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=39),
        NavItem(_l("Service credits"), "portal_credits.portal_index", CLIENT_ROLES, order=17),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.credits.tasks import propose_service_credits

    # 00:20 in Shanghai: after the day's last SLA sweep of the period, before the nightly billing run (00:30).
    return [PeriodicJob(propose_service_credits, cron="20 16 * * *", queue="billing", timeout=1800)]


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    """§8.2 for the vendor: confirmed credits are taken off the contract's next invoice."""
    from saas.credits.services import billing_lines

    return billing_lines(tenant, contract_ids)


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from saas.credits.services import mark_billed

    mark_billed(tenant, billed)


@hookimpl
def saas_contract_sections(contract, membership):
    """The contract's service credits and what its breaches cost this year, by clause, to billing staff and to
    the client's own people."""
    from flask import render_template
    from markupsafe import Markup

    from saas.core.clock import local_today
    from saas.credits import services

    role = membership.role_enum
    if role.is_client and membership.client_id != contract.client_id:
        return []
    if not role.is_client and role not in (Role.VENDOR_ADMIN, Role.VENDOR_BILLING):
        return []
    year = local_today(contract.tenant).year
    html = render_template(
        "credits/_contract_credits.html",
        contract=contract,
        credits=services.of_contract(contract),
        totals=services.totals_by_clause(contract, year),
        year=year,
        policy=services.policy_of(contract),
        rules=services.RULE_LABELS,
        labels=services.STATUS_LABELS,
        vendor=not role.is_client,
    )
    return [ContractSection(_l("Service credits"), Markup(html), order=21)]  # noqa: S704


@hookimpl(trylast=True)  # once the requests and billing demos have played: breaches of ended periods, credited
def saas_demo_data(tenant, session):
    from saas.credits.demo import seed_credits

    seed_credits(tenant)
