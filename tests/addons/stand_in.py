"""A stand-in add-on plugin for the add-ons domain's tests (the hooks tested as the payment hooks are): one type
priced one-off, monthly, yearly or by the hour, its usage "measured" from a fixed table."""

from datetime import date
from decimal import Decimal

import pytest

from saas.core.plugins import AddonTerm, AddonType, hookimpl, plugin_manager

#: Hours the stand-in plugin "measures" per period start (what a real one reads from the product's data).
HOURS = {date(2028, 1, 31): Decimal("2.5"), date(2028, 2, 29): Decimal("4"), date(2028, 3, 31): Decimal("0")}


class SellsAddons:
    """A stand-in add-on plugin: one type priced monthly, yearly or by the hour, as the hooks' tests use."""

    name = "addon_test"

    @staticmethod
    def measure(agreement, start, end):
        hours = HOURS.get(start, Decimal("1"))
        return hours, f"{hours} h logged {start.isoformat()}–{end.isoformat()}"

    @hookimpl
    def saas_addon_types(self):
        return [
            AddonType(
                name=self.name,
                label_zh="测试附加服务",
                label_en="Test add-on",
                terms=(AddonTerm("hours", "Hours a month", "int", default=20, minimum=1, maximum=200),),
                pricing=("one_off", "monthly", "yearly", "usage"),
                unit_zh="小时",
                unit_en="hour",
                measure=self.measure,
            )
        ]


@pytest.fixture
def addon_stand_in(app):
    """The stand-in add-on plugin, installed for the test (each tenant still enables it, as a real one)."""
    pm = plugin_manager()
    seller = SellsAddons()
    pm.register(seller, name=SellsAddons.name)
    yield seller
    pm.unregister(seller)


@pytest.fixture
def plugin(addon_stand_in):
    """The add-ons tests' name for the stand-in."""
    return addon_stand_in
