"""Background jobs: enqueued on RQ when REDIS_URL is set, run inline (and logged as such) otherwise.

Jobs take ids, never objects, and fetch again; they must be safe to run twice. Task functions are
decorated with @task so an RQ worker runs them inside an application context, in the platform scope of the
database (saas/core/dbscope.py); a job working on one tenant's rows narrows to that tenant for each tenant or
chunk (`with dbscope.tenant(tenant_id):`).
"""

import functools
import gc
import importlib
import logging
import uuid

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from saas.core import dbscope, sqlite

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "billing")
_worker_app = None


def task(fn):
    """Mark a function as a job: inside a worker it gets an app context of its own."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with sqlite.writing():  # a job may write: on SQLite it takes the write lock when it begins
            if has_app_context():
                with dbscope.platform():  # run inline from a request: the job's scope, then the request's again
                    return fn(*args, **kwargs)
            with _app_for_worker().app_context(), dbscope.platform():
                return fn(*args, **kwargs)

    return run


def _app_for_worker():
    global _worker_app
    if _worker_app is None:
        from saas import create_app

        _worker_app = create_app()
    return _worker_app


class AppWorker(Worker):
    """An RQ worker that builds the Flask app once, before forking, so each job starts at once.

    `rq worker -w saas.jobs.AppWorker`; building the app opens no database connection, so the forked
    work horses share nothing they should not. The mappers are configured here too, and the collector's
    objects frozen before each fork: a work horse then neither sets up every mapper again nor copies the
    parent's pages (a billing chunk job went from ~165 ms to ~80 ms of CPU, bench/billing.py).
    """

    def __init__(self, *args, **kwargs):
        from sqlalchemy.orm import configure_mappers

        super().__init__(*args, **kwargs)
        _app_for_worker()
        configure_mappers()

    def fork_work_horse(self, job, queue):
        gc.freeze()
        super().fork_work_horse(job, queue)


class AppSimpleWorker(SimpleWorker):
    """An RQ worker that runs each job in the worker's own process, no fork: for the billing queue.

    `rq worker -w saas.jobs.AppSimpleWorker billing`. Billing chunks are pure database work, idempotent and
    hundreds of contracts each; a long-lived process keeps its database connections and SQLAlchemy's compiled
    statements from one chunk to the next, where a forked work horse opens a new connection (a new PostgreSQL
    backend to warm up) and compiles every statement again. Measured with bench/billing.py (100,000 contracts,
    the same machine and hour): 75.6 s with a work horse per chunk, 46.7 s here.
    """

    def __init__(self, *args, **kwargs):
        from sqlalchemy.orm import configure_mappers

        super().__init__(*args, **kwargs)
        _app_for_worker()
        configure_mappers()


def redis_connection(app=None) -> Redis | None:
    """The Redis connection jobs use, or None for inline mode."""
    app = app or current_app
    conn = app.extensions.get("redis")
    if conn is None and app.config.get("REDIS_URL"):
        conn = app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"])
    return conn


def get_queue(name: str = "default") -> Queue | None:
    conn = redis_connection()
    return Queue(name, connection=conn) if conn is not None else None


def enqueue(func, *args, job_id: str | None = None, queue: str = "default", retries: int = 3, timeout: int = 600):
    """Run func(*args) in the background; a deterministic job_id keeps the same work from queuing twice."""
    if isinstance(func, str):
        module, _, name = func.rpartition(".")
        func = getattr(importlib.import_module(module), name)
    q = get_queue(queue)
    if q is None:
        log.info("job %s%s runs inline (REDIS_URL is not set)", func.__name__, args)
        func(*args)
        return None
    options = {
        "retry": Retry(max=retries, interval=[10, 60, 300][:retries]) if retries else None,
        "job_timeout": timeout,
    }
    try:
        return q.enqueue(func, *args, job_id=job_id, unique=job_id is not None, **options)
    except DuplicateJobError:
        existing = Job.fetch(job_id, connection=q.connection)
        status = existing.get_status(refresh=True)
        if status not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            log.info("job %s is already queued, running or done (%s); not queued again", job_id, status)
            return existing
        # RQ keeps a failed job's record (and its id) for a year: asked again, the work runs again rather than
        # being refused as a duplicate; jobs are safe to run twice.
        log.info("job %s had %s; queued again", job_id, status)
        return q.enqueue(func, *args, job_id=f"{job_id}-{uuid.uuid4().hex[:8]}", **options)
