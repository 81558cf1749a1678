"""Bulk writes: many rows in one statement, for the jobs that write thousands (SLA sweep, billing run)."""

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from saas.extensions import db


def _plain(value):
    """What json.dumps cannot write itself, as PostgreSQL reads it back: ISO dates and times, exact decimals."""
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def insert_many(model, rows: list[dict], tail: str = ""):
    """PostgreSQL: INSERT many rows as one statement over one JSON document (json_to_recordset).

    One parameter instead of a placeholder per value, which psycopg parses anew for every batch of a
    multi-row INSERT: with 60,000 breaches the sweep's two inserts went from ~15 s to ~6 s (bench/requests.py).
    Every row has the keys of the first; `tail` is what follows the SELECT (ON CONFLICT …, RETURNING …).
    """
    db.session.flush()  # a text statement does not autoflush: the rows referred to must be in the database
    table, dialect = model.__table__, db.session.get_bind().dialect
    names = list(rows[0])
    processors = {name: table.c[name].type.bind_processor(dialect) for name in names}
    document = json.dumps(
        [{name: processors[name](row[name]) if processors[name] else row[name] for name in names} for row in rows],
        default=_plain,
    )
    columns = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in names)
    listed = ", ".join(names)
    sql = f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM json_to_recordset(CAST(:rows AS json)) AS r({columns}) {tail}"  # noqa: S608, E501 (the model's names)
    return db.session.execute(text(sql), {"rows": document})


def among(column, values):
    """`column IN (values)` for hundreds of ids: on PostgreSQL one array parameter (`= ANY`), elsewhere a plain IN.

    An IN list binds, casts and parses one placeholder per id on every execution; a chunk of 500 contracts
    spent more time there than in its own rules (bench/billing.py, profiled).
    """
    values = list(values)
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


#: Rows per INSERT on SQLite (its limit on bound parameters); PostgreSQL takes them all as one JSON document.
SQLITE_BATCH = 500


def insert_new(model, rows: list[dict], unique: tuple[str, ...], returning: tuple[str, ...]) -> list:
    """INSERT rows, leaving out those whose `unique` key is taken already (a re-run, or a run racing this one);
    returns the `returning` columns of the rows actually inserted."""
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        tail = f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING {', '.join(returning)}"
        return insert_many(model, rows, tail).all()
    inserted = []
    for start in range(0, len(rows), SQLITE_BATCH):
        stmt = (
            sqlite_insert(model)
            .values(rows[start : start + SQLITE_BATCH])
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(*(getattr(model, name) for name in returning))
        )
        inserted.extend(db.session.execute(stmt).all())
    return inserted
