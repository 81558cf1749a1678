"""Third parties (agreement Part 2): the subcontractor registry, qualifications, and the joint selection of a
subcontractor for a client's agreement (Part 2 §1.1, Part 2 §4.1), registered through the hooks."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.models import VENDOR_ROLES, Role
from saas.core.plugins import ContractSection, DashboardCard, NavItem, PeriodicJob, PluginInfo, hookimpl

NAME = "third_party"
HERE = Path(__file__).resolve().parent


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Third parties"),
        description=_l(
            "Subcontractors under Part 2 of the agreement: the registry, their qualifications, and their joint "
            "selection with the client for each agreement (Part 2 §1.1, Part 2 §4.1)."
        ),
    )


@hookimpl
def saas_blueprints():
    from plugins.third_party.views import bp  # importing the views imports the models too

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_template_filters():
    from plugins.third_party import services
    from plugins.third_party.views import service_name

    badges = {
        "active": "active",
        "suspended": "suspended",
        "proposed": "proposed",
        "approved": "confirmed",
        "rejected": "failed",
        "withdrawn": "withdrawn",
    }
    qualification_labels = {"expired": _l("expired"), "expiring": _l("expires soon")}
    return {
        "tp_status": services.status_label,
        "tp_proposal_status": services.proposal_label,
        "tp_badge": lambda status: badges.get(status, status),
        "tp_service": service_name,
        "tp_qualification_state": services.qualification_state,
        "tp_qualification_label": lambda state: str(qualification_labels.get(state, state)),
    }


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Subcontractors"), "plugin_third_party.index", VENDOR_ROLES, order=58),
        NavItem(_l("Subcontractors proposed"), "plugin_third_party.portal", frozenset({Role.CLIENT_ADMIN}), order=18),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from plugins.third_party.services import awaiting

    if membership.role != Role.CLIENT_ADMIN:
        return []
    return [
        DashboardCard(
            _l("Subcontractors awaiting your decision"),
            awaiting(tenant, membership.client_id),
            "plugin_third_party.portal",
            frozenset({Role.CLIENT_ADMIN}),
            order=18,
        )
    ]


@hookimpl
def saas_periodic_jobs():
    from plugins.third_party.liability_tasks import announce_dispute_deadlines
    from plugins.third_party.tasks import warn_expiring_qualifications

    # 08:35 in Shanghai, beside the team's certificate warnings (08:30): read at the start of the working day.
    return [
        PeriodicJob(warn_expiring_qualifications, cron="35 0 * * *", queue="mail"),
        # 08:40 in Shanghai: a Part 2 §7.2 deadline reached that day is announced the same morning.
        PeriodicJob(announce_dispute_deadlines, cron="40 0 * * *", queue="mail"),
    ]


@hookimpl
def saas_contract_sections(contract, membership):
    """The subcontractors approved for the agreement, to vendor staff and to the client's own people."""
    from flask import render_template
    from markupsafe import Markup

    from plugins.third_party import services

    role = membership.role_enum
    if role.is_client and membership.client_id != contract.client_id:
        return []
    if not role.is_client and not role.is_vendor:
        return []
    html = render_template(
        "third_party/_contract_section.html",
        approved=services.approved_on(contract),
        waiting=services.awaiting_on(contract),
        vendor=role.is_vendor,
        vendor_admin=role == Role.VENDOR_ADMIN,
    )
    return [ContractSection(_l("Subcontractors"), Markup(html), order=40)]  # noqa: S704 (an autoescaped template)


@hookimpl(wrapper=True, specname="saas_demo_data")
def third_party_demo(tenant, session):
    """Once every domain has played its demo (the signed agreements among them), two subcontractors and proposals."""
    from plugins.third_party.demo import seed

    result = yield
    seed(tenant, session)
    return result


@hookimpl(specname="saas_contract_sections")
def liability_section(contract, membership):
    """Interventions, claims against subcontractors within the cap, and third-party disputes with the right to
    terminate (Part 2 §1.2–§7.2), to vendor staff and to the client's own admins."""
    from plugins.third_party.liability_views import contract_section

    return contract_section(contract, membership)
