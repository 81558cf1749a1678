"""The add-ons domain puts the add-on agreements' fees on the main agreement's invoices through the billing hooks."""

from flask import Blueprint

from saas.addons import models  # noqa: F401  (register the tables)
from saas.core.plugins import hookimpl

#: Serves no route: it gives the add-on agreements' document templates (addons/document/) to the app's loader.
DOCUMENTS = Blueprint("addons", __name__, template_folder="templates")


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
    return [DOCUMENTS]
