"""SQLite as the embedded default: one writer at a time, taken where PostgreSQL would lock rows.

SQLite ignores `SELECT … FOR UPDATE`, and pysqlite opens a transaction only at its first write, so a
read-then-write (read a payment's state, then credit it) is not atomic: two requests at once both read
"pending" and both credit. PostgreSQL makes the second wait on the row lock. Here the same code gets the
same guarantee from SQLite's database-wide write lock, at the start of every transaction that may write:

- a statement with `with_for_update()` takes the write lock (`BEGIN IMMEDIATE`) before it runs, unless its
  transaction holds it already (it wrote earlier: pysqlite began it at that write);
- a request that may write (any method but GET, HEAD and OPTIONS) and a background job (`writing()`) take
  it at their transaction's first statement, so even a read-then-write that forgot its row lock is safe.

Readers never wait (WAL); writers wait up to `SQLITE_BUSY_TIMEOUT_MS` for each other instead of failing.
"""

import contextlib
import contextvars

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Set by `writing()` around work that is not a request (jobs, the CLI) and writes.
_writing = contextvars.ContextVar("sqlite_writing", default=False)


@contextlib.contextmanager
def writing():
    """Mark the work inside as a writer: on SQLite, its transactions take the write lock at their start."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def may_write() -> bool:
    """Whether the current request or job may write (GET, HEAD and OPTIONS requests only read)."""
    if _writing.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


def install(engine: Engine) -> None:
    """Give an SQLite engine WAL, a busy timeout and write locks at the start of writing transactions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer, nor it for them
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        if may_write():
            _take_write_lock(connection)

    @event.listens_for(engine, "before_execute")
    def _before_execute(connection, clauseelement, *_args):
        if getattr(clauseelement, "_for_update_arg", None) is not None:
            _take_write_lock(connection)


def _take_write_lock(connection) -> None:
    """`BEGIN IMMEDIATE` unless this connection's transaction already holds the write lock."""
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:  # pysqlite begins only at a write, which takes the lock
        connection.exec_driver_sql("BEGIN IMMEDIATE")
