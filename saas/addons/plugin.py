"""The add-ons domain: its screens, its block on the main agreement's page, and the add-on agreements' fees on the
main agreement's invoices through the billing hooks."""

from flask_babel import lazy_gettext as _l

from saas.addons import models  # noqa: F401  (register the tables)
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import ContractSection, NavItem, hookimpl


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    """§13.2: the add-on fees of these contracts over by today and not billed yet, as lines of kind add_on."""
    from saas.addons.billing import billing_lines
    from saas.addons.services import installed_types

    return billing_lines(tenant, contract_ids, today, installed_types())


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from saas.addons.billing import mark_billed
    from saas.addons.services import installed_types

    mark_billed(tenant, billed, installed_types())


@hookimpl
def saas_plugin_disabling(tenant, plugin):
    """An add-on plugin stays on while signed add-on agreements of its type run: none is silently orphaned."""
    from flask_babel import gettext as _

    from saas.addons.services import active_on

    count = active_on(tenant.id, plugin)
    if not count:
        return []
    return [
        _(
            "%(count)d add-on agreements of this plugin are signed or waiting for signatures: end them first.",
            count=count,
        )
    ]


@hookimpl
def saas_blueprints():
    from saas.addons.portal_views import portal_bp
    from saas.addons.views import bp

    return [bp, portal_bp]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Add-on services"), "addons.index", VENDOR_ROLES, order=34),
        NavItem(_l("Add-on services"), "portal_addons.portal_index", CLIENT_ROLES, order=16),
    ]


@hookimpl
def saas_contract_sections(contract, membership):
    """The main agreement's add-on agreements (§13.1), with a way to propose one while it is in force."""
    from flask import render_template
    from markupsafe import Markup

    from saas.addons import services
    from saas.addons.labels import STATUS_LABELS, offer_name

    role = membership.role_enum
    if role.is_client and membership.client_id != contract.client_id:
        return []
    if not (role.is_client or role.is_vendor):
        return []
    rows = services.of_contract(contract)
    can_propose = role.is_vendor and membership.role in ("vendor_admin", "vendor_billing")
    can_propose = can_propose and contract.status in services.IN_FORCE and services.types_for(contract.tenant)
    if not rows and not can_propose:
        return []
    html = render_template(
        "addons/_contract_section.html",
        contract=contract,
        agreements=rows,
        statuses=STATUS_LABELS,
        offer_name=offer_name,
        vendor=role.is_vendor,
        can_propose=can_propose,
    )
    return [ContractSection(_l("Add-on services (§13)"), Markup(html), order=40)]  # noqa: S704


@hookimpl(wrapper=True, specname="saas_demo_data")
def portal_request_demo(tenant, session):
    """Once every agreement demo has played (the second client's renewed agreement among them): its add-on request."""
    from saas.addons.demo import seed_portal_request

    result = yield
    seed_portal_request(tenant)
    return result
