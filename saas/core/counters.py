"""Rows taken under lock, made on first use: gapless number series (contract and invoice numbers), per-tenant
settings rows that serialise a first write."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.extensions import db


def locked_counter(model, **key):
    """The counter row of `model` with these key columns, locked until commit; made (at 0) if it is the first."""
    return locked_row(model, {"last_value": 0}, **key)


def locked_row(model, defaults: dict, **key):
    """The row of `model` with these (unique) key columns, locked until commit; made with `defaults` if missing.

    Two transactions asking for a row not made yet both find none: each inserts one inside a savepoint, the
    unique key keeps one, and the other's insert fails quietly and waits for that row's lock.
    """
    stmt = select(model).filter_by(**key).with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(stmt)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(**key, **defaults))
        except IntegrityError:
            pass  # the other one made it
        row = db.session.scalar(stmt)
    return row
