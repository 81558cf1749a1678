"""One outbox: work that must follow a commit (mostly e-mail) is queued here and runs only once it commits.

A service calls `send_after_commit(task, ids, key=…)` inside its transaction. When the transaction commits,
the session hands every noted id to its job, in batches, each under a job id made of its first and last
id, so a batch is queued once. A rolled-back transaction sends nothing. The jobs themselves mail each
person once (saas.core.mail's dedupe key), so a job that runs twice sends nothing twice.

Why a session class and not only an `after_commit` listener: inline jobs (no Redis) run SQL, which SQLAlchemy
does not allow inside that event, so the listener moves what was noted to a "committed" list and the
session's own `commit()` runs it once the commit has returned.
"""

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

BATCH = 500
_PENDING = "outbox_pending"
_COMMITTED = "outbox_committed"


def send_after_commit(task, ids, *, key: str, queue: str = "mail", session=None) -> None:
    """Run `task(batch_of_ids)` for these ids once the current transaction commits (never if it rolls back)."""
    session = session or current_app.extensions["sqlalchemy"].session()
    if not session.in_transaction():  # so that a rollback before the next statement still drops it
        session.begin()
    pending = session.info.setdefault(_PENDING, {})
    pending.setdefault((key, queue), (task, []))[1].extend(ids)


def send_committed(session) -> bool:
    """Queue the jobs of the transactions that have committed (called by OutboxSession.commit); True if any."""
    committed = session.info.pop(_COMMITTED, {})
    # The app's job runner (saas.jobs.enqueue, given by the app factory): the outbox knows no queue of its own.
    enqueue = current_app.extensions["enqueue"] if committed else None
    for (key, queue), (task, ids) in committed.items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            enqueue(task, chunk, job_id=f"{key}-{chunk[0]}-{chunk[-1]}-{len(chunk)}", queue=queue)
    return bool(committed)


def discard(session) -> None:
    """Forget what the current transaction noted (it rolled back)."""
    session.info.pop(_PENDING, None)


class OutboxSession(FlaskSession):
    """The app's session: after each commit, what the committed transaction noted goes out."""

    def commit(self) -> None:
        super().commit()
        if send_committed(self) and self.in_transaction():
            # A job run inline (no Redis) shares this session and may end on a read it did not commit; end it
            # here, or its transaction would outlive the job (on SQLite, holding the write lock).
            self.commit()


@event.listens_for(OutboxSession, "after_commit")
def _committed(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    committed = session.info.setdefault(_COMMITTED, {})
    for slot, (task, ids) in pending.items():
        committed.setdefault(slot, (task, []))[1].extend(ids)


@event.listens_for(OutboxSession, "after_soft_rollback")
def _rolled_back(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint within it
        discard(session)
