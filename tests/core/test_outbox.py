"""The one outbox (saas/core/outbox.py): what a transaction queues runs after it commits, once, and never if
it rolls back."""

from sqlalchemy import select

from saas.core.models import Tenant
from saas.core.outbox import send_after_commit
from saas.jobs import task

RAN: list[list[int]] = []


@task
def remember(ids: list[int]) -> int:
    """A job that writes down what it was given (and touches the database, as mail jobs do)."""
    from saas.extensions import db

    db.session.scalar(select(Tenant.id).limit(1))
    RAN.append(list(ids))
    return len(ids)


def test_queued_work_runs_once_after_the_commit(db):
    RAN.clear()
    send_after_commit(remember, [1, 2], key="outbox-test")
    send_after_commit(remember, [3], key="outbox-test")
    assert RAN == []  # nothing before the commit
    db.session.commit()
    assert RAN == [[1, 2, 3]]
    db.session.commit()  # a second commit sends nothing again
    assert RAN == [[1, 2, 3]]


def test_a_rolled_back_transaction_sends_nothing(db):
    RAN.clear()
    send_after_commit(remember, [7], key="outbox-test")
    db.session.rollback()
    db.session.commit()
    assert RAN == []


def test_a_savepoint_rolled_back_keeps_what_the_transaction_queued_before_it(db):
    RAN.clear()
    send_after_commit(remember, [1], key="outbox-test")
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert RAN == [[1]]


def test_large_batches_are_split_into_jobs_of_at_most_500(db):
    RAN.clear()
    send_after_commit(remember, list(range(1, 1202)), key="outbox-test")
    db.session.commit()
    assert [len(batch) for batch in RAN] == [500, 500, 201]
    assert sum(RAN, []) == list(range(1, 1202))
