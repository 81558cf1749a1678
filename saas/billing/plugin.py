"""Billing registers its screens, navigation, figures, obligations and the daily run through the hooks."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from saas.billing import models, penalty_models  # noqa: F401  (register the tables)
from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import ContractSection, NavItem, Obligation, PeriodicJob, hookimpl


@hookimpl
def saas_blueprints():
    from saas.billing.late_views import bp as penalties_bp
    from saas.billing.late_views import settings_bp
    from saas.billing.notify_views import bp as notify_bp
    from saas.billing.views import bp, portal_bp

    return [bp, portal_bp, notify_bp, penalties_bp, settings_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Invoices"), "billing.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=35),
        NavItem(
            _l("Receivables"), "billing.receivables_page", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=36
        ),
        NavItem(_l("Billing runs"), "billing.runs", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=37),
        NavItem(_l("Penalties"), "penalties.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=38),
        NavItem(_l("Billing settings"), "billing_settings.edit", frozenset({Role.VENDOR_ADMIN}), order=93),
        NavItem(_l("Our invoices"), "portal_billing.portal_index", CLIENT_ROLES, order=16),
    ]


@hookimpl
def saas_metrics():
    from saas.billing.metrics import BillingRunCollector

    return [BillingRunCollector()]


@hookimpl
def saas_periodic_jobs():
    from saas.billing.reminders import send_payment_reminders
    from saas.billing.tasks import mark_overdue_invoices, reconcile_payments, run_billing, settle_ended_agreements

    # 00:30, 00:10 and 09:00 in Shanghai; each tenant by its own local date.
    return [
        PeriodicJob(run_billing, cron="30 16 * * *", queue="billing", timeout=3600),
        # 00:50: after the run, the final accounts of agreements that have ended (§10.4)
        PeriodicJob(settle_ended_agreements, cron="50 16 * * *", queue="billing", timeout=1800),
        PeriodicJob(mark_overdue_invoices, cron="10 16 * * *", queue="billing"),
        PeriodicJob(send_payment_reminders, cron="0 1 * * *", queue="mail"),
        PeriodicJob(reconcile_payments, cron="*/15 * * * *", queue="billing", timeout=900),
    ]


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    """§8.2: confirmed penalties go on the contract's next invoice, as the plugins' lines do."""
    from saas.billing.late import billing_lines

    return billing_lines(tenant, contract_ids)


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from saas.billing.late import mark_billed

    mark_billed(tenant, billed)


@hookimpl
def saas_contract_obligations(contract):
    from saas.billing.late import measure
    from saas.core.clock import local_today

    return [
        Obligation(
            "§8.1.4",
            _l("Pay each invoice by its due date"),
            lazy_ngettext(
                "due %(num)d day after the invoice", "due %(num)d days after the invoice", contract.payment_net_days
            ),
            order=31,
            key="client_payment",
            **measure(contract, local_today(contract.tenant)),
        )
    ]


@hookimpl
def saas_contract_sections(contract, membership):
    """§8.1.4, §8.2: the client's late payments on this contract and their penalties, to billing staff and the
    client's own people (who see a penalty once the vendor has decided on it)."""
    from flask import render_template
    from markupsafe import Markup

    from saas.billing.late import STATUS_LABELS, of_contract

    role = membership.role_enum
    if role.is_client and membership.client_id != contract.client_id:
        return []
    if not role.is_client and role not in (Role.VENDOR_ADMIN, Role.VENDOR_BILLING):
        return []
    sections = []
    rows = of_contract(contract, decided_only=role.is_client)
    if rows:
        html = render_template(
            "billing/_contract_payment_breaches.html", rows=rows, labels=STATUS_LABELS, vendor=not role.is_client
        )
        sections.append(ContractSection(_l("Late payments and penalties"), Markup(html), order=20))  # noqa: S704
    settlement = _settlement_section(contract, vendor=not role.is_client)
    return sections + ([settlement] if settlement else [])


def _settlement_section(contract, vendor: bool):
    """§10.4 the final account of an ended agreement: what still waits either way, the settlements issued."""
    from flask import render_template
    from markupsafe import Markup

    from saas.billing.settlement import has_ended, settlements_of, waiting
    from saas.core.clock import local_today
    from saas.core.forms import ConfirmForm

    today = local_today(contract.tenant)
    if not has_ended(contract, today):
        return None
    html = render_template(
        "billing/_contract_settlement.html",
        contract=contract,
        waiting=waiting(contract, today) if vendor else None,
        settlements=settlements_of(contract),
        vendor=vendor,
        form=ConfirmForm(formdata=None),
    )
    return ContractSection(_l("Final settlement (§10.4)"), Markup(html), order=90)  # noqa: S704


@hookimpl  # after the contracts domain (tryfirst) has put the demo agreement in force; payment plugins come after
def saas_demo_data(tenant, session):
    from saas.billing.demo import replay_billing

    replay_billing(tenant)


@hookimpl(wrapper=True, specname="saas_demo_data")
def late_payments_demo(tenant, session):
    """Once every domain and payment method has played its demo, what is still unpaid past due is found late."""
    from saas.billing.demo import replay_late_payments

    result = yield
    replay_late_payments(tenant)
    return result
