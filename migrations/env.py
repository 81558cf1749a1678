"""Alembic environment: core versions here, each plugin's own branch in plugins/<name>/migrations/.

`flask db migrate` autogenerates for the core's tables only; `flask db migrate -x plugin=NAME
--head NAME@head` for one plugin's tables (those named `<plugin>_...`). Apply all with `flask db upgrade heads`.

With MIGRATION_DATABASE_URL set (the role that owns the tables), migrations run as that role, and then grant
the app's role (DATABASE_URL's) the use of every table and sequence they made: the app's role owns nothing,
so the row-level security policies apply to it (docs/row-level-security.md).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool

from saas.core import rls
from saas.core.plugins import table_owner
from saas.core.types import ExactDecimal, UTCDateTime

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
owner = context.get_x_argument(as_dictionary=True).get("plugin", "core")
plugin_names = current_app.extensions["plugins"].plugin_names()


def include_object(obj, name, type_, reflected, compare_to):
    """Keep autogenerate to the tables of one owner (the core, or one plugin)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is None:
        return True
    return table_owner(table.name, plugin_names) == owner


def render_item(type_, obj, autogen_context):
    """Write the app's column types as plain SQLAlchemy types: migrations stay free of app imports."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, ExactDecimal):  # a scaled integer on SQLite, see the type
        return f'sa.Numeric({obj.precision}, {obj.scale}).with_variant(sa.BigInteger(), "sqlite")'
    return False


def process_revision_directives(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(
        url=str(db.engine.url),
        target_metadata=db.metadata,
        literal_binds=True,
        include_object=include_object,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def owner_engine():
    """The engine migrations run on, and the app's role to grant to when that is another role (else None)."""
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    app_url = make_url(str(db.engine.url))
    if not owner_url or make_url(owner_url).username == app_url.username:
        return db.engine, None
    return create_engine(owner_url, poolclass=NullPool), app_url.username


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    engine, app_role = owner_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            include_object=include_object,
            render_item=render_item,
            **conf_args,
        )
        with context.begin_transaction():
            # Data migrations see every tenant's rows, whichever role runs them; for this transaction only, so a
            # pooled connection of the app's own engine (one role for both) goes back to the pool without it.
            rls.platform_transaction(connection)
            context.run_migrations()
            if app_role:
                rls.grant_app_role(connection, app_role)
    if engine is not db.engine:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
