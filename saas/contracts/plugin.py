"""The contracts domain registers its screens, navigation, figures, obligations and jobs through the hooks."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from saas.contracts.models import Contract, ContractStatus
from saas.core.clock import frozen_at, now
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.plugins import DashboardCard, NavItem, Obligation, PeriodicJob, hookimpl
from saas.extensions import db

IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.EXPIRING)


@hookimpl
def saas_blueprints():
    from saas.contracts.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # the contracts tables are core tables: migrations/versions


@hookimpl
def saas_template_filters():
    """Status, event, service-kind and calendar labels of the contracts domain (the tickets screens use them too)."""
    from saas.contracts.forms import CALENDAR_LABELS, CHANGE_STATUS_LABELS, EVENT_LABELS, KIND_LABELS, STATUS_LABELS

    def label(mapping):
        return lambda code: str(mapping.get(code, code))

    return {
        "contract_status": label(STATUS_LABELS),
        "contract_event": label(EVENT_LABELS),
        "service_kind": label(KIND_LABELS),
        "calendar": label(CALENDAR_LABELS),
        "change_status": label(CHANGE_STATUS_LABELS),
    }


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Contracts"), "contracts.index", VENDOR_ROLES, order=30),
        NavItem(_l("Service catalogue"), "contracts.catalogue", VENDOR_ROLES, order=40),
        NavItem(_l("Default terms"), "contracts.defaults", frozenset({Role.VENDOR_ADMIN}), order=92),
        NavItem(_l("Our contracts"), "portal_contracts.portal_index", CLIENT_ROLES, order=15),
    ]


@hookimpl
def saas_dashboard_cards(tenant, membership):
    counts = dict(
        db.session.execute(
            select(Contract.status, func.count(Contract.id))
            .where(Contract.tenant_id == tenant.id)
            .group_by(Contract.status)
        ).all()
    )
    return [
        DashboardCard(_l("Contracts in force"), sum(counts.get(s, 0) for s in IN_FORCE), "contracts.index", order=15),
        DashboardCard(_l("In the renewal window"), counts.get(ContractStatus.EXPIRING, 0), "contracts.index", order=16),
        DashboardCard(
            _l("Awaiting signatures"), counts.get(ContractStatus.AWAITING_SIGNATURES, 0), "contracts.index", order=17
        ),
    ]


def clause(ref: str, part: int | None = None):
    """A clause reference people read: "§2.1.2" / "第2.1.2条", "Part 2 §7.2" / "第二部分第7.2条"."""
    return _l("Part 2 §%(ref)s", ref=ref) if part == 2 else _l("§%(ref)s", ref=ref)


def within_hours(hours: int):
    return lazy_ngettext("within %(num)d hour", "within %(num)d hours", hours)


@hookimpl
def saas_contract_obligations(contract):
    from saas.contracts import services

    rate = (contract.penalty_rate * 100).normalize()
    last_day, renewal_from = services.last_day(contract).isoformat(), services.renewal_window_start(contract)
    return [
        Obligation(
            clause("1.2"),
            _l("Term"),
            lazy_ngettext(
                "%(num)d year, until %(day)s", "%(num)d years, until %(day)s", contract.term_years, day=last_day
            ),
            order=10,
        ),
        Obligation(
            clause("1.2"),
            _l("Renewal talks"),
            lazy_ngettext(
                "from %(day)s (%(num)d month before expiry)",
                "from %(day)s (%(num)d months before expiry)",
                contract.renewal_notice_months,
                day=renewal_from.isoformat(),
            ),
            order=11,
        ),
        Obligation(
            clause("4.1"),
            _l("Service response"),
            within_hours(contract.service_response_hours),
            order=20,
            key="service_response",
        ),
        Obligation(
            clause("2.1.2"),
            _l("On-site arrival"),
            within_hours(contract.onsite_arrival_hours),
            order=21,
            key="onsite_arrival",
        ),
        Obligation(
            clause("2.2.2"),
            _l("Fault response"),
            within_hours(contract.fault_response_hours),
            order=22,
            key="fault_response",
        ),
        Obligation(
            clause("2.3.2"),
            _l("Consulting response"),
            within_hours(contract.consult_response_hours),
            order=23,
            key="consult_response",
        ),
        Obligation(
            clause("3.1.2"),
            _l("Payment cycle"),
            lazy_ngettext(
                "monthly from %(day)s, due %(num)d day after the invoice",
                "monthly from %(day)s, due %(num)d days after the invoice",
                contract.payment_net_days,
                day=contract.effective_date.isoformat(),
            ),
            order=30,
        ),
        Obligation(
            clause("8.2"),
            _l("Penalty for breach"),
            _l("%(rate)s per cent of the fee of the unperformed part", rate=f"{rate:f}"),
            order=40,
        ),
        Obligation(
            clause("7.2"),
            _l("Confidentiality"),
            lazy_ngettext("%(num)d year after the end", "%(num)d years after the end", contract.confidentiality_years),
            order=50,
        ),
        Obligation(
            clause("7.2", part=2),
            _l("Third-party dispute deadline"),
            lazy_ngettext("%(num)d month", "%(num)d months", contract.dispute_deadline_months),
            order=60,
        ),
    ]


@hookimpl
def saas_periodic_jobs():
    from saas.contracts.tasks import refresh_contract_statuses

    return [PeriodicJob(refresh_contract_statuses, cron="5 16 * * *", queue="default")]  # 00:05 in Shanghai


@hookimpl(tryfirst=True)  # the other domains build on the demo agreements
def saas_demo_data(tenant, session):
    from saas.contracts import services
    from saas.core.models import Client

    services.add_standard_services(tenant)
    session.flush()
    catalogue = {s.code: s for s in services.list_services(tenant)}
    clients = session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()
    for client in clients:
        data = services.draft_terms(tenant) | {
            "title": "售后服务协议 After-sales service agreement",
            "effective_date": date(2026, 1, 31),
            "party_a_signatory": "王经理",
            "party_b_signatory": "张总",
            "signing_place": "北京",
            "renewal_notice_months": 2,
            "mediation_venue": "北京市海淀区人民调解委员会",
            "court_venue": "北京市海淀区人民法院",
        }
        lines = [
            {
                "service_id": catalogue[code].id,
                "description": catalogue[code].name_zh,
                "quantity": Decimal(1),
                "monthly_fee": catalogue[code].default_monthly_fee,
            }
            for code in ("REMOTE", "ONSITE", "FAULT")
        ]
        contract = services.create_draft(tenant, client.id, data, lines)
        if client is clients[0]:
            _sign_for_demo(tenant, contract, session)


def _sign_for_demo(tenant, contract, session):
    """Both parties sign the first client's agreement, so the demo has one in force (§10.1)."""
    from functools import partial

    from saas.contracts import signing
    from saas.core.models import Role
    from saas.core.people import first_member

    signer = partial(first_member, tenant)

    parties = (("B", signer(Role.VENDOR_ADMIN)), ("A", signer(Role.CLIENT_ADMIN, contract.client_id)))
    if None in (parties[0][1], parties[1][1]):
        return
    # signed the week before it took effect, when that is in the past: the demo then has months to bill
    signed_at = datetime.combine(contract.effective_date - timedelta(days=7), time(10), ZoneInfo(tenant.timezone))
    with frozen_at(min(signed_at, now())):
        signing.send_for_signatures(contract, parties[0][1])
        for party, user in parties:
            document = signing.documents(contract)[0]
            signing.sign(contract, party, user, document.id, document.sha256)
