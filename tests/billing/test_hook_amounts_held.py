"""The saas_amounts_held hook: billing sums what every domain and plugin holds of an invoice."""

from decimal import Decimal

from flask import g

from saas.billing.holds import held_amounts, owed_beyond_holds
from saas.core.plugins import hookimpl, plugin_manager


class HoldsTen:
    """A stand-in plugin holding 10.00 of every invoice asked about."""

    @hookimpl
    def saas_amounts_held(self, tenant, invoice_ids):
        return {invoice_id: Decimal("10.00") for invoice_id in invoice_ids}


def test_hook_saas_amounts_held_sums_every_answer_and_leaves_what_is_owed_beyond(app, db, world, enable_plugin):
    tenant = world.tenant("alpha")
    pm = plugin_manager()
    assert held_amounts(tenant, [1, 2]) == {}  # no open dispute: nothing held
    plugin = HoldsTen()
    pm.register(plugin, name="holds_ten_test")
    try:
        assert held_amounts(tenant, [1, 2]) == {}  # installed, not enabled for the tenant: it holds nothing
        enable_plugin(tenant, "holds_ten_test")
        g.pop("_enabled_plugins", None)  # the plugin manager keeps a tenant's plugins for the request
        assert held_amounts(tenant, [1, 2]) == {1: Decimal("10.00"), 2: Decimal("10.00")}
        owed = owed_beyond_holds(tenant, {1: Decimal("25.00"), 2: Decimal("10.00")})
        assert owed == {1: Decimal("15.00")}  # the second is held in full: no breach, no reminder for it
    finally:
        pm.unregister(plugin)
