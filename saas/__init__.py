"""Aftercare: the application factory, read top to bottom as the table of contents of the app."""

import logging
from pathlib import Path

from flask import Flask

from saas.config import load_config
from saas.core.clock import SystemClock
from saas.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None, clock=None, extra_plugins=None):
    """Build the app: settings, extensions, plugins, blueprints, i18n, security, CLI."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"), template_folder="core/templates")
    configure(app, config_name, overrides)
    init_logging(app)
    init_operations(app)
    init_clock(app, clock)
    init_database(app)
    init_auth(app)
    init_security(app)
    init_i18n(app)
    init_plugins(app, extra_plugins)
    init_request_parsing(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_pages(app)
    register_cli(app)
    return app


def configure(app, config_name, overrides):
    from saas.config import check_production
    from saas.core.secrets import parse_keys

    app.config.from_mapping(load_config(config_name, overrides))
    if app.config["ENV_NAME"] == "production":
        check_production(app.config)  # a missing or example SECRET_KEY stops start-up with what to do
    parse_keys(app.config["ENCRYPTION_KEYS"])  # a malformed key stops start-up, not the first payment


def init_logging(app):
    if not app.logger.handlers or app.config["ENV_NAME"] != "testing":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if logging.getLogger().handlers:  # the root's handler writes every line once, in LOG_FORMAT
            from flask.logging import default_handler

            app.logger.removeHandler(default_handler)  # Flask's own, on the "saas" logger: each line twice
    from saas.core.operations import configure_logging

    configure_logging(app.config["LOG_FORMAT"])  # LOG_FORMAT=json: a JSON object per line, with the request id


def init_operations(app):
    """Request ids and latency for every request (first, so they see all), /healthz, /readyz and /metrics."""
    from saas.core import operations

    operations.install(app)


def init_clock(app, clock):
    app.extensions["clock"] = clock or SystemClock()


def init_database(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    from saas.jobs import enqueue

    app.extensions["enqueue"] = enqueue  # how the outbox queues what follows a commit (saas/core/outbox.py)
    import saas.core.models  # noqa: F401  (register the core tables)
    import saas.core.submissions  # noqa: F401
    import saas.core.webhooks  # noqa: F401
    from saas.core import dbscope, sqlite

    with app.app_context():
        for engine in db.engines.values():
            sqlite.install(engine)
            dbscope.install(engine)  # PostgreSQL: each transaction's tenant, for row-level security


def init_auth(app):
    from saas.core.auth import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    # "basic": a fresh session is made at every sign-in; "strong" would sign people out when their IP changes.
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"


def init_security(app):
    from saas.core.security import set_security_headers

    csrf.init_app(app)
    from saas.core import submissions

    submissions.install(app)  # after CSRF: a forged POST is refused before it can claim a token
    # Redis shares the counters between processes; memory storage is per process (development, tests).
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    secure = app.config["SESSION_COOKIE_SECURE"]
    app.after_request(lambda response: set_security_headers(response, secure))


def init_i18n(app):
    from saas.core.i18n import select_locale, select_timezone

    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "saas" / "translations"),
    )


def init_plugins(app, extra_plugins):
    from saas.core.plugins import build_plugin_manager

    app.extensions["plugins"] = build_plugin_manager(extra_plugins, sandboxes=app.config["SANDBOX_PLUGINS"])


@migrate.configure
def _alembic_version_locations(config):
    """Core versions plus each plugin's own Alembic branch (`flask db upgrade heads`)."""
    import os

    from flask import current_app

    from saas.core.plugins import migration_dirs

    dirs = [str(ROOT / "migrations" / "versions"), *migration_dirs(current_app.extensions["plugins"])]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(dirs))
    return config


def init_request_parsing(app):
    """Ids in URLs, query and form values and JSON bodies are read safely app-wide (before any route exists)."""
    from saas.core.inbound import JSONProvider, Request
    from saas.core.routing import IdConverter

    app.request_class = Request
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = IdConverter


def register_blueprints(app):
    from saas.core.plugins import register_blueprints as register

    register(app, app.extensions["plugins"])  # a plugin's blueprint named against the rule stops start-up


def register_template_helpers(app):
    from saas.core import templating

    templating.install(app)


def register_error_pages(app):
    from saas.core.errors import install

    install(app)


def register_cli(app):
    from saas.cli import saas_cli

    app.cli.add_command(saas_cli)
