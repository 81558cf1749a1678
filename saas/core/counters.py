"""Gapless number series (contract numbers, invoice numbers): one counter row per series, locked while in use."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.extensions import db


def locked_counter(model, **key):
    """The counter row of `model` with these key columns, locked until commit; made (at 0) if it is the first.

    Two transactions taking the first number of a year at once both find no row: each inserts one inside a
    savepoint, the unique key keeps one, and the other's insert fails quietly and waits for that row's lock.
    """
    stmt = select(model).filter_by(**key).with_for_update().execution_options(populate_existing=True)
    counter = db.session.scalar(stmt)
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(**key, last_value=0))
        except IntegrityError:
            pass  # the other one made it
        counter = db.session.scalar(stmt)
    return counter
