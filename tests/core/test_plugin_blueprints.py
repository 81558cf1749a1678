"""Indico's rule, enforced when blueprints are registered: a plugin's blueprints are named after the plugin.

Its tenant-facing blueprint is `plugin_<name>` at /t/<tenant>/p/<name>/ (where the per-tenant 404 applies); a
blueprint that is not tenant-facing (a stand-in gateway's own pages) is declared so and named `<name>` or
`<name>_<suffix>`. Anything else stops the app at start-up with a message that says what to do.
"""

import types

import pytest
from flask import Blueprint

from saas.core.plugins import (
    CORE_PARTS,
    PluginBlueprintError,
    hookimpl,
    plugin_blueprint,
    plugin_public_blueprint,
    table_owner,
)


def plugin_with(*blueprints):
    module = types.ModuleType("blueprint_plugin")

    @hookimpl
    def saas_blueprints():
        return list(blueprints)

    module.saas_blueprints = saas_blueprints
    return module


def start(app, name, module):
    from saas import create_app
    from saas.extensions import db

    other = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"},
        extra_plugins={name: module},
    )
    with other.app_context():
        db.engine.dispose()
    return other


BAD = {
    "not made by the helpers": (Blueprint("site_visits", __name__, url_prefix="/visits"), "was made neither with"),
    "another plugin's name": (plugin_blueprint("payments_bank", __name__), "blueprint is 'plugin_site_visits'"),
    "tenant-facing, moved": (plugin_blueprint("site_visits", __name__), "at '/t/<tenant>/p/site_visits'"),
    "public, not its name": (plugin_public_blueprint("visits", __name__, "/visits"), "named 'site_visits' or"),
    "public, a longer plugin's name": (
        plugin_public_blueprint("site_visits_sandbox", __name__, "/x"),
        "this name is plugin 'site_visits_sandbox'",
    ),
    "public, under /t/": (plugin_public_blueprint("site_visits", __name__, "/t/<tenant>/visits"), "mounted under /t/"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_plugin_blueprint_named_against_the_rule_stops_start_up(app, db, case):
    bp, message = BAD[case]
    if case == "tenant-facing, moved":
        bp.url_prefix = "/t/<tenant>/visits"
    plugins = {"site_visits": plugin_with(bp)}
    if case == "public, a longer plugin's name":
        plugins["site_visits_sandbox"] = plugin_with()
    from saas import create_app

    with pytest.raises(PluginBlueprintError, match="plugin 'site_visits': blueprint") as error:
        create_app(
            "testing",
            overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"},
            extra_plugins=plugins,
        )
    assert message in str(error.value)


def test_a_plugin_blueprint_named_after_its_plugin_is_registered(app, db):
    pages = plugin_blueprint("site_visits", __name__)
    pages.add_url_rule("/", "index", lambda: "visits")
    hooks = plugin_public_blueprint("site_visits", __name__, "/site-visits-hooks", suffix="hooks")
    hooks.add_url_rule("/ping", "ping", lambda: "pong")
    other = start(app, "site_visits", plugin_with(pages, hooks))
    rules = {r.endpoint: r.rule for r in other.url_map.iter_rules()}
    assert rules["plugin_site_visits.index"] == "/t/<tenant>/p/site_visits/"
    assert rules["site_visits_hooks.ping"] == "/site-visits-hooks/ping"


def test_every_installed_plugins_blueprints_follow_the_rule(app):
    """The shipped plugins pass the rule: tenant-facing under /t/<tenant>/p/<name>/, the sandbox's gateway declared."""
    pm = app.extensions["plugins"]
    owners = {bp.name: impl.plugin_name for impl in pm.hook.saas_blueprints.get_hookimpls() for bp in impl.function()}
    plugin_bps = {name: owner for name, owner in owners.items() if owner not in CORE_PARTS}
    assert plugin_bps["plugin_payments_epay"] == "payments_epay"
    assert plugin_bps["payments_epay_sandbox"] == "payments_epay_sandbox"  # not tenant-facing, declared so
    assert app.blueprints["payments_epay_sandbox"].tenant_facing is False
    for name, owner in plugin_bps.items():
        bp = app.blueprints[name]
        if bp.tenant_facing:
            assert (name, bp.url_prefix) == (f"plugin_{owner}", f"/t/<tenant>/p/{owner}")
        else:
            assert name == owner or name.startswith(f"{owner}_")


def test_tables_belong_to_the_longest_plugin_name_that_prefixes_them():
    names = ["payments_epay", "payments_epay_sandbox"]
    assert table_owner("payments_epay_sandbox_trade", names) == "payments_epay_sandbox"
    assert table_owner("payments_epay_trade", names) == "payments_epay"
    assert table_owner("tenant", names) == "core"
