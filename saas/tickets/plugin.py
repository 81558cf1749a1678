"""The requests domain registers its screens, navigation, figures, obligations, jobs and demo data through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.plugins import ContractSection, DashboardCard, NavItem, Obligation, PeriodicJob, hookimpl
from saas.tickets import feedback_models, models, team_models  # noqa: F401  (register the tables)


@hookimpl
def saas_blueprints():
    from saas.tickets.feedback_views import bp as feedback_bp
    from saas.tickets.feedback_views import portal_bp as portal_feedback_bp
    from saas.tickets.record_views import bp as records_bp
    from saas.tickets.record_views import portal_bp as portal_records_bp
    from saas.tickets.request_views import bp as requests_bp
    from saas.tickets.request_views import portal_bp
    from saas.tickets.team_views import bp as team_bp
    from saas.tickets.views import bp

    return [bp, requests_bp, portal_bp, team_bp, records_bp, portal_records_bp, feedback_bp, portal_feedback_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Requests"), "requests.index", VENDOR_ROLES, order=20),
        NavItem(_l("Support team"), "team.index", VENDOR_ROLES, order=42),
        NavItem(_l("Request categories"), "requests.categories", frozenset({Role.VENDOR_ADMIN}), order=44),
        NavItem(_l("Service calendars"), "tickets.calendars", frozenset({Role.VENDOR_ADMIN}), order=45),
        NavItem(_l("Our requests"), "portal_requests.portal_index", CLIENT_ROLES, order=10),
        NavItem(_l("Service records"), "records.index", VENDOR_ROLES, order=25),
        NavItem(_l("Feedback"), "feedback.index", VENDOR_ROLES, order=26),
        NavItem(_l("Service records"), "portal_records.portal_index", CLIENT_ROLES, order=12),
        NavItem(_l("Feedback"), "portal_feedback.portal_index", CLIENT_ROLES, order=13),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.tickets.tasks import sweep_sla_breaches
    from saas.tickets.team_tasks import warn_expiring_certificates

    return [
        PeriodicJob(sweep_sla_breaches, cron="* * * * *", queue="default", timeout=900),
        PeriodicJob(warn_expiring_certificates, cron="30 0 * * *", queue="mail"),  # 08:30 in Shanghai
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    from saas.tickets.dashboard import request_cards
    from saas.tickets.team import expiring_certificates

    cards = request_cards(tenant, membership)
    if membership.role != Role.VENDOR_ADMIN:
        return cards
    count = len(expiring_certificates(tenant))
    # §5.2: a warning, shown only while there is something to renew.
    if not count:
        return cards
    return [*cards, DashboardCard(_l("Certificates expiring within 30 days"), count, "team.index",
                          frozenset({Role.VENDOR_ADMIN}), order=50)]


@hookimpl  # after the contracts domain (tryfirst) has drafted the demo agreements
def saas_demo_data(tenant, session):
    from saas.tickets import calendar_service as service
    from saas.tickets import services as requests
    from saas.tickets.demo import seed_activity

    always = service.save_calendar(tenant, {"name": "7×24", "timezone": tenant.timezone, "always": True})
    office = service.save_calendar(
        tenant,
        {"name": "工作日 Business hours", "timezone": tenant.timezone,
         **{f"hours_{d}": service.format_windows(ws) for d, ws in service.default_weekly().items()}},
    )  # fmt: skip
    service.add_official_china_schedule(office, 2026)
    requests.add_standard_categories(tenant, always=always, office=office)
    _demo_team(tenant, session)
    seed_activity(tenant)


def _demo_team(tenant, session):
    """A small support team (§5.1) with certificates, one of them expiring soon (§5.2), and assignment rules."""
    from datetime import date

    from sqlalchemy import select

    from saas.core.models import Membership, User
    from saas.tickets import team
    from saas.tickets.models import RequestCategory

    def staff(prefix):
        return session.scalar(select(User.id).join(Membership, Membership.user_id == User.id).where(
            Membership.tenant_id == tenant.id, User.email.startswith(f"{prefix}@")).limit(1))  # fmt: skip

    people = [
        ("张伟 Zhang Wei", "system_engineer", "Linux, VMware vSphere, Oracle 19c", "vendor.engineer",
         [("RHCE", "Red Hat", "RHCE-190-223-411", date(2025, 3, 1), date(2028, 3, 1)),
          ("Oracle OCP", "Oracle", "OCP-19C-5521", date(2023, 12, 10), date(2026, 12, 10))]),
        ("李娜 Li Na", "dba", "Oracle RAC, MySQL, 达梦 DM8", None,
         [("Oracle OCM", "Oracle", "OCM-12C-0087", date(2022, 5, 20), None)]),
        ("王强 Wang Qiang", "network_engineer", "Cisco, Huawei, firewalls", None,
         [("HCIE Routing & Switching", "Huawei", "HCIE-31874", date(2024, 9, 1), date(2027, 9, 1))]),
        ("陈静 Chen Jing", "support_engineer", "Windows, Office 365, helpdesk", None, []),
        ("刘洋 Liu Yang", "project_manager", "PMP, ITIL", "vendor.admin",
         [("PMP", "PMI", "PMP-3300125", date(2024, 1, 15), date(2027, 1, 15))]),
    ]  # fmt: skip
    for name, role, skills, login, certs in people:
        member = team.save_member(tenant, {"name": name, "team_role": role, "skills": skills, "phone": "010-88886666",
                                           "user_id": staff(login) if login else None})
        for cert_name, issuer, number, issued_on, expires_on in certs:
            team.add_certificate(member, {"name": cert_name, "issuer": issuer, "number": number,
                                          "issued_on": issued_on, "expires_on": expires_on})
    categories = {c.code: c.id for c in session.scalars(select(RequestCategory).where(
        RequestCategory.tenant_id == tenant.id))}  # fmt: skip
    for code, role in (("FAULT", "system_engineer"), ("ONSITE", "system_engineer"), ("CONSULT", "support_engineer")):
        if code in categories:
            team.save_rule(tenant, {"category_id": categories[code], "team_role": role})


@hookimpl
def saas_contract_obligations(contract):
    from saas.tickets.services import measure_obligations

    counts = measure_obligations(contract)

    def measured(key, clause, label, order):
        # Same key as the contracts domain's row: these counts land on it (see merge_obligations).
        return Obligation(clause, label, "", order=order, key=key, **counts.get(key, {"applied": 0, "met": 0,
                                                                                          "breached": 0}))

    return [
        measured("service_response", "§4.1", _l("Service response"), 20),
        measured("onsite_arrival", "§2.1.2", _l("On-site arrival"), 21),
        measured("fault_response", "§2.2.2", _l("Fault response"), 22),
        measured("consult_response", "§2.3.2", _l("Consulting response"), 23),
        Obligation("§4.3, §8.1.3", _l("Resolution within the category's target"), _l("per category and priority"),
                   order=24, key="resolution", **counts.get("resolution", {"applied": 0, "met": 0, "breached": 0})),
    ]  # fmt: skip


@hookimpl
def saas_contract_sections(contract, membership):
    """§10.4: once an agreement has ended, its requests still open are listed to close or hand over."""
    from flask import render_template
    from markupsafe import Markup

    from saas.tickets.services import contract_in_force, has_ended, open_requests_of_contract

    if not has_ended(contract):
        return []
    open_requests = open_requests_of_contract(contract)
    if not open_requests:
        return []
    successor = contract_in_force(contract.tenant, contract.client_id)
    html = render_template("tickets/requests/_contract_open_requests.html", contract=contract,
                           requests=open_requests, successor=successor, vendor=membership.role_enum.is_vendor)
    return [ContractSection(_l("Open requests of the ended agreement"), Markup(html), order=10)]  # noqa: S704
