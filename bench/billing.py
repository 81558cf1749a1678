"""Benchmark the nightly billing run on PostgreSQL with RQ workers (issue 5).

Data: 100 tenants (through the services), 1,000 clients each with one active contract of 3 fee lines
(100,000 contracts, 300,000 lines) loaded by COPY; effective dates spread over 30 days a month or two before
the bench's "today", so every contract owes exactly one period.
Measures `tasks.run_billing()` queuing its chunks on Redis and two RQ worker processes billing them,
from the start of the run until every tenant's run has finished; then, in the same run, COPY of the same
invoice and invoice_line rows into the same tables (the physical limit), and the ratio between the two;
then the run again for the same day (it must make nothing); then checks the numbers and the totals.
Goal: under 60 s, within 10× COPY. Run: `.venv/bin/python -m bench.billing` (or `make bench`).

Workers: `rq worker -w saas.jobs.AppSimpleWorker`, which runs the jobs in the worker process itself, as the
billing queue is served when deployed (scripts/serve.sh); BENCH_WORKER=fork runs them in a forked work horse
per job (saas.jobs.AppWorker, as the mail and default queues are served), to see what forking costs.
"""

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

from bench.run import ADMIN_URL

DB_NAME = os.environ.get("BENCH_PG_BILLING_DB", "aftercare_bench_billing")
REDIS_URL = os.environ.get("BENCH_BILLING_REDIS_URL", "redis://127.0.0.1:6379/13")
KEEP = os.environ.get("BENCH_KEEP") == "1"
#: BENCH_TENANTS / BENCH_PER_TENANT shrink the data for a quick try of the script itself.
TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
PER_TENANT = int(os.environ.get("BENCH_PER_TENANT", "1000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER = os.environ.get("BENCH_WORKER", "simple")
WORKER_CLASSES = {"fork": "saas.jobs.AppWorker", "simple": "saas.jobs.AppSimpleWorker"}
#: The bench's "now": 1 June 2026, 00:30 in Shanghai, when the nightly run starts.
NOW = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)
TODAY = date(2026, 6, 1)
#: The fee schedule of every contract (description, quantity); fees vary per contract.
LINES = (
    ("远程技术支持 Remote support", Decimal("1.00")),
    ("现场支持 On-site support", Decimal("2.00")),
    ("系统监控 Monitoring", Decimal("3.00")),
)
GOAL_SECONDS, GOAL_RATIO = 60, 10
#: Long enough for the production checks the workers start with (a throw-away benchmark database).
BENCH_SECRET_KEY = "bench-only-secret-key-for-a-throw-away-database"  # noqa: S105
BIN = Path(sys.executable).parent


def database_url(driver: str = "postgresql+psycopg") -> str:
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://") + f"/{DB_NAME}"


def fresh_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return database_url()


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def pg() -> psycopg.Connection:
    """A connection of the bench's own (plain psycopg), outside the app's session."""
    return psycopg.connect(database_url("postgresql"), autocommit=True)


# Data ----------------------------------------------------------------------------------------------


def _uscc(t: int, c: int) -> str:
    from stdnum.cn import uscc

    body = f"9111{t:04d}MA{c:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def copy_rows(cur, table: str, columns, rows) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load() -> Decimal:
    """Tenants through the services; clients, contracts and fee lines by COPY. Returns what the period bills."""
    from saas.core.clock import add_months
    from saas.core.tenants import create_tenant
    from saas.extensions import db

    start = time.perf_counter()
    tenant_ids = [
        create_tenant(name=f"Vendor {t:03d}", slug=f"v{t:03d}", legal_name=f"Vendor {t:03d} Ltd").id
        for t in range(TENANTS)
    ]
    db.session.commit()
    clients, contracts, lines, expected = [], [], [], Decimal(0)
    first_effective = add_months(TODAY, -2) + timedelta(days=1)  # 2 April: periods end 2 May .. 1 June
    for t, tenant_id in enumerate(tenant_ids):
        for c in range(PER_TENANT):
            n = t * PER_TENANT + c + 1  # client and contract ids
            clients.append((n, tenant_id, f"Client {t}-{c}", _uscc(t, c), "", "", NOW))
            # every day of the month starts some contracts: each has exactly one period ended by TODAY
            effective = first_effective + timedelta(days=n % 30)
            contracts.append(
                (
                    n,
                    tenant_id,
                    n,
                    f"HT-2026-{c + 1:04d}",
                    "售后服务协议",
                    "active",
                    effective,
                    effective.replace(year=effective.year + 1),
                    "CNY",
                    effective - timedelta(days=7),
                    1,
                    1,
                    4,
                    24,
                    2,
                    8,
                    Decimal("0.1000"),
                    3,
                    30,
                    2,
                    *[""] * 5,
                    NOW,
                    NOW,
                )
            )
            for position, (description, quantity) in enumerate(LINES):
                fee = Decimal(1000 + 100 * position + n % 97 * 10).quantize(Decimal("0.01"))
                lines.append((3 * (n - 1) + position + 1, tenant_id, n, n, position, description, quantity, fee))
                expected += quantity * fee
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        # A bulk load of rows made consistent above: skip the per-row foreign-key triggers (superuser only).
        cur.execute("SET session_replication_role = replica")
        copy_rows(cur, "client", ("id", "tenant_id", "legal_name", "uscc", "address", "notes", "created_at"), clients)
        copy_rows(
            cur,
            "contract",
            (
                "id",
                "tenant_id",
                "client_id",
                "number",
                "title",
                "status",
                "effective_date",
                "ends_on",
                "currency",
                "signed_on",
                "term_years",
                "renewal_notice_months",
                "service_response_hours",
                "onsite_arrival_hours",
                "fault_response_hours",
                "consult_response_hours",
                "penalty_rate",
                "dispute_deadline_months",
                "payment_net_days",
                "confidentiality_years",
                "mediation_venue",
                "court_venue",
                "party_a_signatory",
                "party_b_signatory",
                "signing_place",
                "created_at",
                "updated_at",
            ),
            contracts,
        )
        copy_rows(
            cur,
            "contract_line",
            ("id", "tenant_id", "client_id", "contract_id", "position", "description", "quantity", "monthly_fee"),
            lines,
        )
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("client", "contract", "contract_line"):
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608
        raw.commit()
    finally:
        raw.close()
    with pg() as conn:
        conn.execute("VACUUM ANALYZE")
    print(
        f"loaded {TENANTS} tenants, {len(clients):,} clients, {len(contracts):,} active contracts and "
        f"{len(lines):,} fee lines (COPY) in {time.perf_counter() - start:.1f} s"
    )
    return expected


# Workers -------------------------------------------------------------------------------------------


def start_workers(url: str, log_dir: str) -> list[subprocess.Popen]:
    """WORKERS `rq worker` processes on the billing queue, started and registered before the clock starts.

    Not --burst: a burst worker started before the run finds an empty queue and quits, and one started after
    it would put its start-up (importing and building the app, ~1 s) in the run's time; deployed workers are
    long-lived. They are stopped (SIGTERM, a warm shutdown) at the end.
    """
    from redis import Redis
    from rq import Worker

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AFTERCARE_ENV": "production",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "REDIS_URL": REDIS_URL,
    }
    procs = []
    for n in range(WORKERS):
        log = open(Path(log_dir) / f"worker-{n}.log", "w")  # noqa: SIM115 (kept open while the worker runs)
        args = [
            str(BIN / "rq"),
            "worker",
            "-w",
            WORKER_CLASSES[WORKER],
            "--url",
            REDIS_URL,
            "--logging_level",
            "WARNING",
            "-n",
            f"bench-billing-{n}",
            "billing",
        ]
        procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603 (our rq)
    redis = Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 60
    while len(Worker.all(connection=redis)) < WORKERS:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop_workers(procs)
            raise SystemExit(f"the workers did not start; see {log_dir}")
        time.sleep(0.1)
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_seconds(procs: list[subprocess.Popen]) -> float:
    """User + system CPU of the workers and their finished work horses (Linux /proc)."""
    total = 0
    for proc in procs:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float | None:
    """CPU of every PostgreSQL process so far (Linux /proc; None when they are not readable)."""
    total, found = 0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.split("(", 1)[1].split(")", 1)[0] in ("postgres", "postmaster"):
            fields = stat.rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # with the backends that have exited
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def wait_for_runs(redis, timeout: float = 1800) -> None:
    """Until every tenant's run of TODAY has finished; stops at once if a chunk failed."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    queue = Queue("billing", connection=redis)
    deadline = time.monotonic() + timeout
    with pg() as conn:
        while True:
            done = conn.execute(
                "SELECT count(*) FROM billing_run WHERE run_day = %s AND finished_at IS NOT NULL", (TODAY,)
            ).fetchone()[0]
            if done >= TENANTS:
                return
            failed = FailedJobRegistry(queue=queue).count + ScheduledJobRegistry(queue=queue).count
            if failed or time.monotonic() > deadline:
                raise SystemExit(f"billing did not finish: {failed} chunks failed or waiting for a retry")
            time.sleep(0.02)


def run_with_workers(app, redis) -> tuple[float, float, int]:
    """tasks.run_billing() as the scheduler calls it; seconds to queue and until every run finished."""
    from saas.billing import tasks

    start = time.perf_counter()
    with app.app_context():
        chunks = tasks.run_billing()
    queued = time.perf_counter() - start
    wait_for_runs(redis)
    return queued, time.perf_counter() - start, chunks


# COPY, the physical limit -------------------------------------------------------------------------


def copy_baseline() -> tuple[float, int, int]:
    """COPY the billed invoices and lines out to memory, empty the tables, and time COPY of them back in.

    The same rows into the same tables, with the same indexes and foreign keys checked, committed: what the
    run writes, at the fastest PostgreSQL takes it. The rows are the same afterwards, byte for byte.
    """
    data = {}
    with pg() as conn:
        for table in ("invoice", "invoice_line"):
            buffer = io.BytesIO()
            with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            data[table] = buffer.getvalue()
        conn.execute("TRUNCATE invoice, invoice_line CASCADE")
        conn.execute("CHECKPOINT")
        start = time.perf_counter()
        with conn.transaction():
            for table in ("invoice", "invoice_line"):
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data[table])
        took = time.perf_counter() - start
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in data]  # noqa: S608
        conn.execute("ANALYZE invoice, invoice_line")
    return took, *counts


# Checks --------------------------------------------------------------------------------------------


def check(expected_total: Decimal) -> list[str]:
    """Exactly one invoice per contract, numbers gapless per tenant, the counters at the last number."""
    problems = []
    contracts = TENANTS * PER_TENANT
    with pg() as conn:
        invoices, billed, lines, total = conn.execute(
            "SELECT count(*), count(DISTINCT contract_id), (SELECT count(*) FROM invoice_line), sum(total) FROM invoice"
        ).fetchone()
        if invoices != contracts or billed != contracts or lines != 3 * contracts:
            problems.append(f"{invoices:,} invoices for {billed:,} of {contracts:,} contracts, {lines:,} lines")
        if total != expected_total:
            problems.append(f"invoiced {total} instead of {expected_total}")
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM invoice GROUP BY contract_id, period_start HAVING count(*) > 1) d"
        ).fetchone()[0]
        if doubled:
            problems.append(f"{doubled} (contract, period) billed twice")
        gaps = conn.execute(
            "SELECT count(*) FROM (SELECT i.tenant_id, count(*) AS n, min(split_part(i.number, '-', 3)::int) AS lo, "
            "max(split_part(i.number, '-', 3)::int) AS hi FROM invoice i GROUP BY i.tenant_id) g "
            "JOIN invoice_number c ON c.tenant_id = g.tenant_id AND c.year = %s "
            "WHERE g.lo <> 1 OR g.hi <> g.n OR c.last_value <> g.n",
            (TODAY.year,),
        ).fetchone()[0]
        counted = conn.execute("SELECT count(*) FROM invoice_number WHERE year = %s", (TODAY.year,)).fetchone()[0]
        if gaps or counted != TENANTS:
            problems.append(f"{gaps} tenants with a gap or a counter off the last number; {counted} counters")
        runs = conn.execute(
            "SELECT count(*), sum(invoices_created), sum(chunks_done) = sum(chunks) FROM billing_run "
            "WHERE run_day = %s AND finished_at IS NOT NULL",
            (TODAY,),
        ).fetchone()
        if runs[0] != TENANTS or runs[1] != contracts or not runs[2]:
            problems.append(f"runs finished/invoices/chunks: {runs}")
    return problems


def main() -> int:
    from flask_migrate import upgrade
    from redis import Redis

    from saas import create_app
    from saas.core.clock import FrozenClock

    url = fresh_database()
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": BENCH_SECRET_KEY, "REDIS_URL": REDIS_URL},
        clock=FrozenClock(NOW),
    )
    with app.app_context():
        upgrade(revision="heads")
        expected = load()
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    log_dir = tempfile.mkdtemp(prefix="bench-billing-")
    workers = start_workers(url, log_dir)
    contracts = TENANTS * PER_TENANT
    try:
        print(
            f"\nbilling {contracts:,} contracts ({contracts * len(LINES):,} fee lines) due on {TODAY}: "
            f"tasks.run_billing() queues chunks of {_chunk()} on Redis, {WORKERS} `rq worker -w "
            f"{WORKER_CLASSES[WORKER]}` processes bill them"
        )
        cpu0, pg0 = cpu_seconds(workers), postgres_cpu_seconds()
        queued, took, chunks = run_with_workers(app, redis)
        cpu1, pg1 = cpu_seconds(workers), postgres_cpu_seconds()
        with pg() as conn:
            invoices, lines = conn.execute(
                "SELECT (SELECT count(*) FROM invoice), (SELECT count(*) FROM invoice_line)"
            ).fetchone()
        problems = check(expected)
        pg_cpu = f", PostgreSQL {pg1 - pg0:.1f} s" if pg0 is not None else ""
        print(
            f"billing run: {invoices:,} invoices, {lines:,} lines in {took:.1f} s "
            f"({contracts / took:,.0f} contracts/s); run_billing() planned and queued {chunks} chunks in "
            f"{queued:.1f} s; CPU: workers {cpu1 - cpu0:.1f} s{pg_cpu} (2 cores × {took:.1f} s = "
            f"{2 * took:.1f} s)"
        )
        copy_took, copied_invoices, copied_lines = copy_baseline()
        print(f"COPY of the same rows: {copied_invoices:,} invoices + {copied_lines:,} lines in {copy_took:.1f} s")
        ratio = took / copy_took
        print(
            f"billing / COPY = {ratio:.1f}×  (goal: under {GOAL_SECONDS} s and within {GOAL_RATIO}× COPY: "
            f"{'met' if took < GOAL_SECONDS and ratio <= GOAL_RATIO else 'NOT MET'})"
        )
        queued, again, chunks = run_with_workers(app, redis)
        with pg() as conn:
            after = conn.execute("SELECT count(*) FROM invoice").fetchone()[0]
        print(f"run again for {TODAY}: {after - invoices:,} invoices created, {chunks} chunks queued, {again:.1f} s")
        problems += check(expected)
        if after != invoices:
            problems.append("the second run made invoices")
        print(
            "checks: "
            + (
                "one invoice per contract, numbers 1..n per tenant, counters at n, totals exact"
                if not problems
                else "FAILED: " + "; ".join(problems)
            )
        )
    finally:
        stop_workers(workers)
        redis.flushdb()
    if KEEP:
        print(f"\nkept database {DB_NAME} (BENCH_KEEP=1); worker logs in {log_dir}")
    else:
        drop_database()
    return 1 if problems else 0


def _chunk() -> int:
    from saas.config import Config

    return Config.BILLING_CHUNK_SIZE


if __name__ == "__main__":
    sys.exit(main())
