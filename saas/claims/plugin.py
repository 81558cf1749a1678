"""Damages claims register their screens, navigation, invoice lines, contract section, labels and demo data
through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.claims import models  # noqa: F401  (register the tables)
from saas.core.models import CLIENT_ROLES, Role
from saas.core.plugins import ContractSection, NavItem, hookimpl


@hookimpl
def saas_blueprints():
    from saas.claims.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Damages claims"), "claims.index", frozenset({Role.VENDOR_ADMIN, Role.VENDOR_BILLING}), order=33),
        NavItem(_l("Damages claims"), "portal_claims.portal_index", CLIENT_ROLES, order=20),
    ]


@hookimpl
def saas_template_filters():
    from saas.claims.services import STATUS_LABELS

    return {"claim_status": lambda code: str(STATUS_LABELS.get(code, code))}


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    """§8.3: agreed damages to be settled on the next invoice, credited when the vendor owes, charged otherwise."""
    from saas.claims.services import billing_lines

    return billing_lines(tenant, contract_ids)


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from saas.claims.services import mark_billed

    mark_billed(tenant, billed)


@hookimpl
def saas_contract_sections(contract, membership):
    """This year's damages claims under the agreement, either way, to billing staff and the client's admins."""
    from flask import render_template
    from markupsafe import Markup

    from saas.claims import services
    from saas.core.clock import local_today

    role = membership.role_enum
    if role.is_client and membership.client_id != contract.client_id:
        return []
    if not role.is_client and role not in services.VENDOR_STAFF:
        return []
    year = local_today(contract.tenant).year
    html = render_template(
        "claims/_contract_claims.html",
        contract=contract,
        claims=services.of_contract(contract, year),
        year=year,
        parties=services.PARTY_LABELS,
        labels=services.STATUS_LABELS,
        vendor=not role.is_client,
        can_claim=services.party_of(membership) is not None,
    )
    return [ContractSection(_l("Damages claims"), Markup(html), order=22)]  # noqa: S704


@hookimpl(wrapper=True, specname="saas_demo_data")
def claims_demo(tenant, session):
    """Once every domain has played its demo (the vendor's breaches among them), the client claims damages."""
    from saas.claims.demo import seed_claims

    result = yield
    seed_claims(tenant)
    return result
