"""Third parties (agreement Part 2): the subcontractor registry, qualifications, and the joint selection of a
subcontractor for a client's agreement (Part 2 §1.1, Part 2 §4.1), registered through the hooks."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.models import VENDOR_ROLES, Role
from saas.core.plugins import (
    ContractSection,
    DashboardCard,
    NavItem,
    Obligation,
    PeriodicJob,
    PluginInfo,
    RequestSection,
    hookimpl,
)

NAME = "third_party"
THIRD_PARTY = frozenset({Role.THIRD_PARTY})
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
    from plugins.third_party import agreements, services, transfers, work
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
        "tp_agreement_status": agreements.status_label,
        "tp_breach": work.breach_label,
        "tp_transfer_state": transfers.state_label,
    }


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Subcontractors"), "plugin_third_party.index", VENDOR_ROLES, order=58),
        NavItem(_l("Third-party agreements"), "plugin_third_party.agreements_index", VENDOR_ROLES, order=59),
        NavItem(_l("Subcontractors proposed"), "plugin_third_party.portal", frozenset({Role.CLIENT_ADMIN}), order=18),
        NavItem(_l("My company's requests"), "plugin_third_party.work_queue", THIRD_PARTY, order=5),
        NavItem(_l("Our targets and record"), "plugin_third_party.work_record", THIRD_PARTY, order=6),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from plugins.third_party.services import awaiting

    if membership.role == Role.THIRD_PARTY:
        from plugins.third_party import agreements, work

        member = agreements.member_of(tenant, membership.user)
        open_count = work.open_count(member.subcontractor) if member else 0
        return [
            DashboardCard(
                _l("Requests given to your company"), open_count, "plugin_third_party.work_queue", THIRD_PARTY, order=5
            )
        ]
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
    from plugins.third_party.tasks import sweep_back_to_back, warn_expiring_agreements, warn_expiring_qualifications

    # 08:35 in Shanghai, beside the team's certificate warnings (08:30): read at the start of the working day.
    return [
        PeriodicJob(warn_expiring_qualifications, cron="35 0 * * *", queue="mail"),
        PeriodicJob(warn_expiring_agreements, cron="45 0 * * *", queue="mail"),
        PeriodicJob(sweep_back_to_back, cron="*/5 * * * *"),
        # 08:40 in Shanghai: a Part 2 §7.2 deadline reached that day is announced the same morning.
        PeriodicJob(announce_dispute_deadlines, cron="40 0 * * *", queue="mail"),
    ]


@hookimpl
def saas_contract_annexes(contract):
    """Annex 6 of the rendered agreement: the third-party agreements attached to it (Part 2 §4.2)."""
    from plugins.third_party.agreements import annex_lines
    from saas.core.plugins import ContractAnnex

    lines = annex_lines(contract)
    return [ContractAnnex(6, tuple(lines))] if lines else []


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
    from plugins.third_party import agreements, tp_changes, transfers
    from plugins.third_party.change_views import change_forms
    from saas.core.clock import local_today

    tie_form, end_form = change_forms(contract) if role == Role.VENDOR_ADMIN else (None, None)

    html = render_template(
        "third_party/_contract_section.html",
        contract=contract,
        approved=services.approved_on(contract),
        waiting=services.awaiting_on(contract),
        annex6=agreements.agreements_of_contract(contract),
        tp_changes=tp_changes.links_of(contract),
        transfers=transfers.transfers_of_contract(contract),
        today=local_today(contract.tenant),
        vendor=role.is_vendor,
        vendor_admin=role == Role.VENDOR_ADMIN,
        tie_form=tie_form,
        end_form=end_form,
    )
    return [ContractSection(_l("Subcontractors"), Markup(html), order=40)]  # noqa: S704 (an autoescaped template)


@hookimpl
def saas_contract_obligations(contract):
    """The Part 2 rows of the agreement's compliance view: the subcontractors' back-to-back targets applied, met and
    breached (§6.1), the breaches recorded by hand, and the liability cap used (§3.1)."""
    from plugins.third_party import liability, work
    from saas.core.i18n import format_money_filter

    counts = work.obligation_counts(contract)
    cap = liability.cap_of(contract)
    used = _l(
        "recovered or agreed %(used)s of %(paid)s paid; %(left)s left",
        used=format_money_filter(cap.recovered, cap.currency),
        paid=format_money_filter(cap.paid, cap.currency),
        left=format_money_filter(cap.remaining, cap.currency),
    )
    return [
        Obligation(
            "Part 2 §6.1.2",
            _l("Subcontractors answer toward the vendor"),
            _l("per annex 6 agreement"),
            order=70,
            **counts["response"],
        ),
        Obligation(
            "Part 2 §6.1.3",
            _l("Subcontractors resolve toward the vendor"),
            _l("per annex 6 agreement"),
            order=71,
            **counts["resolution"],
        ),
        Obligation(
            "Part 2 §6.1.1, §6.1.4",
            _l("Subcontractors' service and others' rights"),
            _l("recorded with evidence"),
            order=72,
            **counts["by_hand"],
        ),
        Obligation("Part 2 §3.1", _l("Liability cap on recovery from third parties"), used, order=73),
    ]


@hookimpl
def saas_request_sections(req, membership):
    """Who handles the request: to the client, the subcontractor on the vendor's behalf; to vendor staff, also its
    back-to-back clock, who answered for each minute, and the assign and take-back actions (Part 2 §4.3, §6.1)."""
    from plugins.third_party.work_views import request_section_html

    role = membership.role_enum
    if role.is_client and membership.client_id == req.client_id:
        from plugins.third_party import work

        if work.current(req) is None:
            return []  # nothing to tell the client while the vendor's own team handles it
        return [RequestSection(_l("Third party"), request_section_html(req, vendor=False), order=30)]
    if role.is_vendor:
        return [RequestSection(_l("Third party"), request_section_html(req, vendor=True), order=30)]
    return []


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


@hookimpl
def saas_request_created(req):
    """A new request within the scope of a transfer of obligations in force goes to its subcontractor at once (Part 2
    §4.3); called only for tenants that enabled the plugin."""
    from plugins.third_party.transfers import route

    route(req)
