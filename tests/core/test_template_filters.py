"""Template filters come through the saas_template_filters hook: each domain registers its own, core knows none."""

import types

import pytest
from flask import render_template_string

from saas.core.plugins import CORE, hookimpl


def other_app(app, plugins):
    """A second app on the same database with `plugins` installed next to the real ones."""
    from saas import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"}
    return create_app("testing", overrides=overrides, extra_plugins=plugins)


def dispose(other):
    from saas.extensions import db

    with other.app_context():
        db.engine.dispose()


def plugin_with_filters(name: str, filters: dict) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def saas_template_filters():
        return filters

    module.saas_template_filters = saas_template_filters
    return module


def test_hook_saas_template_filters_each_domain_registers_its_own(app):
    hook = app.extensions["plugins"].hook.saas_template_filters
    owners = {impl.plugin_name: set(impl.function()) for impl in hook.get_hookimpls()}
    assert owners[CORE] == {"datetime", "isodatetime", "money", "role", "action", "in_my_language"}
    assert owners["contracts"] == {"contract_status", "contract_event", "service_kind", "calendar", "change_status"}
    for names in owners.values():
        assert names <= set(app.jinja_env.filters)
    with app.test_request_context():
        assert render_template_string("{{ 'awaiting_signatures'|contract_status }}") == "Awaiting signatures"
        assert render_template_string("{{ 'no_such_code'|change_status }}") == "no_such_code"


def test_hook_saas_template_filters_of_an_extra_plugin_reach_every_template(app, db):
    other = other_app(app, {"shouting": plugin_with_filters("shouting", {"shout": lambda s: s.upper() + "!"})})
    try:
        with other.test_request_context():
            assert render_template_string("{{ 'hello'|shout }}") == "HELLO!"
    finally:
        dispose(other)


def test_hook_saas_template_filters_a_name_taken_twice_fails_at_start_up(app, db):
    with pytest.raises(RuntimeError, match=r"'money' is registered by both 'core' and 'copycat'"):
        other_app(app, {"copycat": plugin_with_filters("copycat", {"money": str})})
