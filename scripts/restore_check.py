"""Restore a dump into a scratch database and compare its row counts with the live database's.

    .venv/bin/python scripts/restore_check.py DUMP [SOURCE_URL]

SOURCE_URL defaults to BACKUP_DATABASE_URL / MIGRATION_DATABASE_URL / DATABASE_URL; the scratch database is
made beside it (the role needs CREATEDB) and dropped afterwards. Exit status 0 when every table has the same
number of rows, 1 otherwise (on a live database, tables written since the dump differ: run it on a quiet one,
or read the differences it prints). docs/deploy.md says when to run it.
"""

import os
import subprocess
import sys
import uuid

import psycopg
from psycopg import sql


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg:", "postgresql:", 1)


def database_url(url: str, name: str) -> str:
    """The same server and role, another database."""
    from sqlalchemy import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def row_counts(url: str) -> dict[str, int]:
    """Rows of every table of the public schema, in the platform scope (row-level security shows every tenant)."""
    with psycopg.connect(url, options="-c app.scope=platform", autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in tables
        }


def restore_and_compare(dump: str, source: str) -> dict[str, tuple[int, int | None]]:
    """{table: (rows in source, rows restored)} for every table whose counts differ ({} when none does)."""
    source = libpq_url(source)
    scratch_name = f"aftercare_restore_{uuid.uuid4().hex[:8]}"
    admin = database_url(source, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch_name)))
    scratch = database_url(source, scratch_name)
    try:
        restore = ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", scratch, dump]
        # pg_restore from the PATH, as psql and pg_dump; the arguments are this script's own.
        subprocess.run(restore, check=True, env={**os.environ, "PGOPTIONS": "-c app.scope=platform"})  # noqa: S603, S607
        before, after = row_counts(source), row_counts(scratch)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch_name)))
    return {t: (n, after.get(t)) for t, n in before.items() if after.get(t) != n}


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.environ.get("BACKUP_DATABASE_URL")
        or os.environ.get("MIGRATION_DATABASE_URL")
        or os.environ.get("DATABASE_URL", "")
    )
    differences = restore_and_compare(sys.argv[1], source)
    for table, (live, restored) in differences.items():
        print(f"{table}: {live} rows live, {restored} restored")
    print("restore check: every table has its rows" if not differences else "restore check: counts differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
