"""Alembic environment: core versions here, each plugin's own branch in plugins/<name>/migrations/.

`flask db migrate` autogenerates for the core's tables only; `flask db migrate -x plugin=NAME
--head NAME@head` for one plugin's tables (those named `<plugin>_...`). Apply all with `flask db upgrade heads`.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

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


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            include_object=include_object,
            render_item=render_item,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
