"""§3.1.2 a run whose worker is killed half-way: re-run, it bills every period once and leaves no gap.

A real `rq worker` process works the run's chunks from the real Redis server. The
test holds the run's row locked, so the first chunk stops inside its transaction with its invoices and
lines written but not committed; then the worker and its work horse get SIGKILL. Re-running the day with
a new worker makes every invoice exactly once, numbered 1..n.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import func, select

from saas.billing import tasks
from saas.billing.models import BillingRun, Invoice, InvoiceLine
from saas.testing.fixtures import test_database_kind

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis


def start_worker(app, redis_url: str, worker_class: str, *extra: str) -> subprocess.Popen:
    """An RQ worker process on the test database, listening to the billing queue."""
    env = {
        **os.environ,
        "AFTERCARE_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    command = [
        str(Path(sys.executable).with_name("rq")),
        "worker",
        "-w",
        worker_class,
        "--url",
        redis_url,
        *extra,
        "billing",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the worker's work horse), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


def four_contracts_billed_in_chunks_of_two(app, world, make_signed_contract, clock, real_redis):
    """Four contracts in force from January 2028, the clock at February's run, chunks of two on the real Redis."""
    tenant = world.tenant("alpha")
    clock.set(datetime(2028, 1, 20, 10, tzinfo=SHANGHAI))
    contracts = [
        make_signed_contract(tenant, client, effective=date(2028, 1, 1), title=f"Agreement {n}")
        for n, client in enumerate(world.clients("alpha") * 2)
    ]
    kwargs = real_redis.connection_pool.connection_kwargs
    app.extensions["redis"], app.config["BILLING_CHUNK_SIZE"] = real_redis, 2
    clock.set(datetime(2028, 2, 1, 0, 30, tzinfo=SHANGHAI))
    return tenant, contracts, f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"


def assert_each_contract_billed_once_without_gaps(db, contracts):
    db.session.expire_all()
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.number)).all()
    assert sorted(i.contract_id for i in invoices) == sorted(c.id for c in contracts)
    assert [i.number for i in invoices] == [f"INV-2028-{n:06d}" for n in range(1, 5)]
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 4


@pytest.mark.skipif(test_database_kind() != "postgresql", reason="holds a PostgreSQL row lock from outside")
@pytest.mark.parametrize("worker_class", ["saas.jobs.AppSimpleWorker", "saas.jobs.AppWorker"])
def test_s3_1_2_a_worker_killed_mid_chunk_then_a_re_run_bills_once_without_gaps(
    app, db, world, make_signed_contract, clock, real_redis, worker_class
):
    """As deployed (the billing queue's worker runs jobs in its own process) and with a forked work horse."""
    tenant, contracts, redis_url = four_contracts_billed_in_chunks_of_two(
        app, world, make_signed_contract, clock, real_redis
    )
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    worker = None
    try:
        assert tasks.start_run(tenant.id) == 2  # two chunks of two contracts, queued on Redis
        run_id = db.session.scalar(select(BillingRun.id))
        with psycopg.connect(dsn) as blocker, psycopg.connect(dsn, autocommit=True) as watcher:
            # another of the app's connections, in the platform scope its row-level security asks for
            blocker.execute("SELECT set_config('app.scope', 'platform', true)")
            blocker.execute("SELECT id FROM billing_run WHERE id = %s FOR UPDATE", (run_id,))
            worker = start_worker(app, redis_url, worker_class)

            def chunk_waiting():  # the chunk has written its rows and waits for the run's row
                return watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                    "'Lock' AND query LIKE '%%FROM billing_run%%FOR UPDATE'"
                ).fetchone()

            (horse_pid,) = wait_for(chunk_waiting, 60, "the first chunk to block inside its transaction")
            # it has inserted invoices and lines already: its transaction holds their tables' write locks
            written = watcher.execute(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = %s AND "
                "l.mode = 'RowExclusiveLock' AND c.relname IN ('invoice', 'invoice_line')",
                (horse_pid,),
            ).fetchall()
            assert sorted(r[0] for r in written) == ["invoice", "invoice_line"]
            # a work horse runs in a session of its own (RQ calls setsid): kill it and its worker, by pid
            for pid in (*children(worker.pid), worker.pid):
                os.kill(pid, signal.SIGKILL)
            worker.wait(timeout=10)
            blocker.rollback()  # the lock goes; the dead horse's transaction can only roll back
            wait_for(
                lambda: not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (horse_pid,)).fetchone(),
                30,
                "the killed chunk to roll back",
            )
        db.session.expire_all()
        assert db.session.scalar(select(func.count(Invoice.id))) == 0, "a killed chunk committed nothing"

        # The re-run: the same day planned again, worked by a new worker until the queue is empty.
        assert tasks.start_run(tenant.id) == 2
        rerun = start_worker(app, redis_url, worker_class, "--burst")
        output = rerun.communicate(timeout=120)[0].decode()
        assert rerun.returncode == 0, output
    finally:
        if worker is not None and worker.poll() is None:  # the test failed before killing it: no worker outlives it
            for pid in (*children(worker.pid), worker.pid):
                os.kill(pid, signal.SIGKILL)
            worker.wait(timeout=10)
        app.extensions.pop("redis", None)
        app.config["BILLING_CHUNK_SIZE"] = 500
    assert_each_contract_billed_once_without_gaps(db, contracts)
    run = db.session.get(BillingRun, run_id)
    assert run.invoices_created == 4 and run.finished_at is not None


@pytest.mark.skipif(test_database_kind() != "sqlite", reason="holds SQLite's write lock from outside")
@pytest.mark.parametrize("worker_class", ["saas.jobs.AppSimpleWorker", "saas.jobs.AppWorker"])
def test_s3_1_2_on_sqlite_a_worker_killed_waiting_in_its_chunk_then_a_re_run_bills_once_without_gaps(
    app, db, world, make_signed_contract, clock, real_redis, worker_class
):
    """The embedded database: a chunk job takes the write lock when it begins, so it waits while another holds it."""
    import sqlite3

    from rq.registry import StartedJobRegistry

    tenant, contracts, redis_url = four_contracts_billed_in_chunks_of_two(
        app, world, make_signed_contract, clock, real_redis
    )
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    try:
        assert tasks.start_run(tenant.id) == 2
        db.session.commit()
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
        worker = start_worker(app, redis_url, worker_class)
        started = StartedJobRegistry("billing", connection=real_redis)
        wait_for(lambda: started.get_job_ids(), 60, "the first chunk to start")
        time.sleep(1)  # it is inside its transaction, waiting for the write lock
        for pid in (*children(worker.pid), worker.pid):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        blocker.rollback()
        blocker.close()
        db.session.expire_all()
        assert db.session.scalar(select(func.count(Invoice.id))) == 0, "a killed chunk committed nothing"
        assert tasks.start_run(tenant.id) == 2
        rerun = start_worker(app, redis_url, worker_class, "--burst")
        output = rerun.communicate(timeout=120)[0].decode()
        assert rerun.returncode == 0, output
    finally:
        app.extensions.pop("redis", None)
        app.config["BILLING_CHUNK_SIZE"] = 500
    assert_each_contract_billed_once_without_gaps(db, contracts)
