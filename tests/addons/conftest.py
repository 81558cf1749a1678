"""The add-ons domain's tests call the stand-in add-on plugin `plugin`."""

from tests.addons.stand_in import plugin  # noqa: F401 (a fixture, found by pytest here)
