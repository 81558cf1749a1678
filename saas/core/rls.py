"""PostgreSQL row-level security on every tenant-owned table: the database keeps tenants apart too.

A migration that creates a table with a `tenant_id` calls `protect(name)` (the core's in migrations/, a
plugin's on its own branch). The table then shows and accepts only rows of the transaction's tenant
(`app.tenant_id`), or every row in the platform scope (`app.scope = 'platform'`); both are set at the start
of each transaction by saas/core/dbscope.py. FORCE applies the policy to the tables' owner as well, so only
a superuser or a role with BYPASSRLS sees past it: the app connects as a role that is neither, and does not
own the tables (docs/row-level-security.md). On SQLite `protect` does nothing.

The tables without a tenant are listed in PLATFORM_TABLES; tests/core/test_row_level_security.py fails on a
table that is in neither, so a new table is protected or declared platform-wide by construction.
"""

from alembic import op

#: Tables that are not a tenant's: the tenants themselves, people and their sign-ins (looked up before any
#: tenant is known), one-time form tokens (per person), and Alembic's own.
PLATFORM_TABLES = frozenset({"tenant", "user_account", "user_session", "form_submission", "alembic_version"})

POLICY = "tenant_isolation"
OWN_ROWS_POLICY = "own_rows"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
USER = "NULLIF(current_setting('app.user_id', true), '')::integer"
PLATFORM = "current_setting('app.scope', true) = 'platform'"
#: Who may see and write a row: its tenant's transactions, and the platform's. A NULL tenant_id (platform-wide
#: audit events and mail) is the platform's only.
CONDITION = f"tenant_id = {TENANT} OR {PLATFORM}"


def protect(table: str, own_rows: str | None = None) -> None:
    """Enable and force row-level security on `table` with the tenant policy (again: replaces it).

    `own_rows` names a column holding a user id: that person may also read those rows in any tenant's
    scope (their own memberships), never write them there.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})")
    op.execute(f"DROP POLICY IF EXISTS {OWN_ROWS_POLICY} ON {table}")
    if own_rows:
        op.execute(f"CREATE POLICY {OWN_ROWS_POLICY} ON {table} FOR SELECT USING ({own_rows} = {USER})")


def unprotect(table: str) -> None:
    """Undo `protect` (for a migration's downgrade)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS {OWN_ROWS_POLICY} ON {table}")
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def platform_transaction(connection) -> None:
    """Put the migrations' transaction in the platform scope (PostgreSQL), until it ends."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT set_config('app.scope', 'platform', true)")


def grant_app_role(connection, role: str) -> None:
    """Let the app's role read and write every table and use every sequence of the schema, and own none."""
    if connection.dialect.name != "postgresql":
        return
    quoted = connection.dialect.identifier_preparer.quote(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
    ):
        connection.exec_driver_sql(statement)
