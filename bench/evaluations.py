"""Benchmark the evaluation of a payment cycle (§11.2) on PostgreSQL with RQ workers (issue 15).

Data: 100 tenants (through the services, each with the standard categories and an office-hours calendar), 1,000
clients each with one signed agreement (100,000), and 10 requests per agreement in its first period (1,000,000),
with their first answers, fixes, reopenings, §8.1.1 breaches and ratings, loaded by COPY. Half the requests run on
the office-hours calendar, half around the clock. Effective dates are spread over 30 days so that every agreement
has exactly one period whose survey has closed by the bench's "today".
Measures `tasks.run_evaluations()` queuing its chunks on Redis and two RQ worker processes evaluating them, until
every agreement has its evaluation; then, in the same run, COPY of the same evaluation rows into the same table
(the physical limit) and the ratio between the two; then the run again for the same day (it must make nothing);
then checks one evaluation per agreement with the figures the data was made with.
Goal: under 60 s. Run: `.venv/bin/python -m bench.evaluations` (or `make bench`).
"""

import io
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import psycopg

from bench.billing import (
    BENCH_SECRET_KEY,
    copy_rows,
    cpu_seconds,
    postgres_cpu_seconds,
    start_workers,
    stop_workers,
)
from bench.run import ADMIN_URL

DB_NAME = os.environ.get("BENCH_PG_EVALUATIONS_DB", "aftercare_bench_evaluations")
REDIS_URL = os.environ.get("BENCH_BILLING_REDIS_URL", "redis://127.0.0.1:6379/13")
KEEP = os.environ.get("BENCH_KEEP") == "1"
TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
PER_TENANT = int(os.environ.get("BENCH_PER_TENANT", "1000"))
REQUESTS_EACH = 10
#: The bench's "today" (Shanghai): 11 June 2026, 01:40, when the nightly evaluation starts.
NOW = datetime(2026, 6, 10, 17, 40, tzinfo=UTC)
TODAY = date(2026, 6, 11)
GOAL_SECONDS = 60


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
    return psycopg.connect(database_url("postgresql"), autocommit=True)


def late_answers(n: int) -> int:
    """How many of agreement n's requests were answered after the agreement's hours (0 to 3)."""
    return n % 4


def _uscc(t: int, c: int) -> str:
    from stdnum.cn import uscc

    body = f"9111{t:04d}MA{c:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def load() -> int:
    """Tenants, categories and calendars through the services; the rest by COPY. Returns the agreements."""
    from saas.calendars.services import save_calendar
    from saas.core.tenants import create_tenant
    from saas.extensions import db
    from saas.requests.services import add_standard_categories

    start = time.perf_counter()
    tenants = []
    for t in range(TENANTS):
        tenant = create_tenant(name=f"Vendor {t:03d}", slug=f"v{t:03d}", legal_name=f"Vendor {t:03d} Ltd")
        office = save_calendar(
            tenant, {"name": "Office", "timezone": "Asia/Shanghai", **{f"hours_{d}": "09:00-18:00" for d in range(5)}}
        )
        cats = {c.code: c.id for c in add_standard_categories(tenant, office=office)}
        tenants.append((tenant.id, cats, office.id))
    db.session.commit()
    clients, contracts, requests, events, breaches, ratings = [], [], [], [], [], []
    first_effective = date(2026, 4, 2)  # periods end 2 May .. 1 June: surveys closed by 11 June
    request_id = event_id = 0
    for t, (tenant_id, cats, office_id) in enumerate(tenants):
        for c in range(PER_TENANT):
            n = t * PER_TENANT + c + 1
            clients.append((n, tenant_id, f"Client {t}-{c}", _uscc(t, c), "", "", NOW))
            effective = first_effective + timedelta(days=n % 30)
            contracts.append(
                (n, tenant_id, n, f"HT-2026-{c + 1:04d}", "售后服务协议", "active", effective,
                 effective.replace(year=effective.year + 1), "CNY", effective - timedelta(days=7),
                 1, 1, 4, 24, 2, 8, "0.1000", 3, 30, 2, *[""] * 5, NOW, NOW)
            )  # fmt: skip
            for i in range(REQUESTS_EACH):
                request_id += 1
                received = datetime(effective.year, effective.month, effective.day, 2, tzinfo=UTC) + timedelta(
                    days=2 * i, hours=i
                )
                office = i % 2 == 1
                late = i < late_answers(n)
                answered = received + timedelta(hours=6 if late else 1)
                slow = i == 9 and n % 3 == 0  # fixed after its 72 h
                resolved = received + timedelta(hours=80 if slow else 5)
                code = "GENERAL" if office else "REMOTE"
                requests.append(
                    (request_id, tenant_id, n, n, c * REQUESTS_EACH + i + 1, cats[code],
                     "general" if office else "remote_support", "normal", "portal", f"Request {n}-{i}", "",
                     "closed", False, "", "", received, office_id if office else None, 4, 72, None,
                     received + timedelta(hours=4), None, received + timedelta(hours=72), None, answered, None,
                     resolved, resolved + timedelta(hours=2), None, late, False, slow, received, received)
                )  # fmt: skip
                if i == 3 and n % 5 == 0:  # reopened once by the client
                    event_id += 1
                    events.append((event_id, tenant_id, n, request_id, "reopened", "resolved", "in_progress", "",
                                   False, "{}", resolved))  # fmt: skip
                if i == 4 and n % 10 == 0:  # a service below the agreed standard (§8.1.1)
                    breaches.append((tenant_id, n, request_id, n, "below_standard", "8.1.1", received, None,
                                     resolved, "{}"))  # fmt: skip
                if i < 3:
                    ratings.append((tenant_id, n, request_id, n, 3 + (n + i) % 3, "", resolved))
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")  # rows consistent by construction: no FK triggers
        copy_rows(cur, "client", ("id", "tenant_id", "legal_name", "uscc", "address", "notes", "created_at"), clients)
        copy_rows(
            cur,
            "contract",
            ("id", "tenant_id", "client_id", "number", "title", "status", "effective_date", "ends_on", "currency",
             "signed_on", "term_years", "renewal_notice_months", "service_response_hours", "onsite_arrival_hours",
             "fault_response_hours", "consult_response_hours", "penalty_rate", "dispute_deadline_months",
             "payment_net_days", "confidentiality_years", "mediation_venue", "court_venue", "party_a_signatory",
             "party_b_signatory", "signing_place", "created_at", "updated_at"),
            contracts,
        )  # fmt: skip
        copy_rows(
            cur,
            "service_request",
            ("id", "tenant_id", "client_id", "contract_id", "number", "category_id", "kind", "priority", "channel",
             "subject", "description", "status", "is_open", "requester_name", "requester_contact", "received_at",
             "calendar_id", "response_hours", "resolution_hours", "arrival_hours", "response_due_at",
             "arrival_due_at", "resolution_due_at", "next_due_at", "first_response_at", "first_arrival_at",
             "resolved_at", "closed_at", "paused_since", "response_breached", "arrival_breached",
             "resolution_breached", "created_at", "updated_at"),
            requests,
        )  # fmt: skip
        copy_rows(
            cur,
            "request_event",
            ("id", "tenant_id", "client_id", "request_id", "kind", "from_status", "to_status", "body", "internal",
             "data", "created_at"),
            events,
        )  # fmt: skip
        copy_rows(
            cur,
            "sla_breach",
            ("tenant_id", "client_id", "request_id", "contract_id", "kind", "clause", "due_at", "met_at",
             "detected_at", "evidence"),
            breaches,
        )  # fmt: skip
        copy_rows(
            cur,
            "request_rating",
            ("tenant_id", "client_id", "request_id", "contract_id", "score", "comment", "rated_at"),
            ratings,
        )
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("client", "contract", "service_request", "request_event"):
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608
        raw.commit()
    finally:
        raw.close()
    with pg() as conn:
        conn.execute("VACUUM ANALYZE")
    print(
        f"loaded {TENANTS} tenants, {len(contracts):,} signed agreements, {len(requests):,} requests, "
        f"{len(events):,} reopenings, {len(breaches):,} §8.1.1 breaches and {len(ratings):,} ratings (COPY) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return len(contracts)


def wait_for(expected: int, timeout: float = 1800) -> None:
    """Until every agreement has its evaluation; stops at once if a chunk failed."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    queue = Queue("billing", connection=Redis.from_url(REDIS_URL))
    deadline = time.monotonic() + timeout
    with pg() as conn:
        while True:
            done = conn.execute("SELECT count(*) FROM evaluation").fetchone()[0]
            if done >= expected and not queue.count and not queue.started_job_registry.count:
                return
            failed = FailedJobRegistry(queue=queue).count + ScheduledJobRegistry(queue=queue).count
            if failed or time.monotonic() > deadline:
                raise SystemExit(f"the evaluations did not finish: {failed} chunks failed or waiting for a retry")
            time.sleep(0.02)


def run_with_workers(app, expected: int) -> tuple[float, float, int]:
    """tasks.run_evaluations() as the scheduler calls it; seconds to queue and until all are evaluated."""
    from saas.satisfaction import tasks

    start = time.perf_counter()
    with app.app_context():
        chunks = tasks.run_evaluations()
    queued = time.perf_counter() - start
    wait_for(expected)
    return queued, time.perf_counter() - start, chunks


def copy_baseline() -> tuple[float, int]:
    """COPY the evaluations out, empty the table, and time COPY of them back in (indexes and keys checked)."""
    with pg() as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy("COPY evaluation TO STDOUT") as copy:
            for block in copy:
                buffer.write(block)
        conn.execute("TRUNCATE evaluation CASCADE")
        conn.execute("CHECKPOINT")
        start = time.perf_counter()
        with conn.transaction(), conn.cursor().copy("COPY evaluation FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        took = time.perf_counter() - start
        count = conn.execute("SELECT count(*) FROM evaluation").fetchone()[0]
    return took, count


def check(expected: int) -> list[str]:
    """One evaluation per agreement, of its first period, with the figures its data was made with."""
    problems = []
    with pg() as conn:
        count, agreements, requests = conn.execute(
            "SELECT count(*), count(DISTINCT contract_id), sum(requests) FROM evaluation WHERE period_index = 0"
        ).fetchone()
        if count != expected or agreements != expected or requests != expected * REQUESTS_EACH:
            problems.append(f"{count:,} evaluations of {agreements:,} agreements with {requests:,} requests")
        # response: 10 deadlines, n % 4 of them missed → 100, 90, 80 or 70
        wrong = conn.execute(
            "SELECT count(*) FROM evaluation WHERE response_score <> 100 - 10 * (contract_id % 4)"
        ).fetchone()[0]
        if wrong:
            problems.append(f"{wrong:,} response sub-scores off the data")
        wrong = conn.execute(
            "SELECT count(*) FROM evaluation WHERE resolution_score <> CASE WHEN contract_id % 3 = 0 THEN 90 ELSE 100 "
            "END OR (inputs -> 'quality' ->> 'ratings')::int <> 3"
        ).fetchone()[0]
        if wrong:
            problems.append(f"{wrong:,} resolution sub-scores or rating counts off the data")
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
    log_dir = tempfile.mkdtemp(prefix="bench-evaluations-")
    workers = start_workers(url, log_dir)
    problems = []
    try:
        print(
            f"\nevaluating {expected:,} agreements ({expected * REQUESTS_EACH:,} requests) whose first period's survey "
            f"closed by {TODAY}: tasks.run_evaluations() queues chunks of {_chunk()} on Redis, 2 RQ workers evaluate"
        )
        cpu0, pg0 = cpu_seconds(workers), postgres_cpu_seconds()
        queued, took, chunks = run_with_workers(app, expected)
        cpu1, pg1 = cpu_seconds(workers), postgres_cpu_seconds()
        problems += check(expected)
        pg_cpu = f", PostgreSQL {pg1 - pg0:.1f} s" if pg0 is not None else ""
        print(
            f"evaluation run: {expected:,} evaluations in {took:.1f} s ({expected / took:,.0f} agreements/s); "
            f"run_evaluations() planned and queued {chunks} chunks in {queued:.1f} s; CPU: workers "
            f"{cpu1 - cpu0:.1f} s{pg_cpu}"
        )
        copy_took, copied = copy_baseline()
        print(f"COPY of the same rows: {copied:,} evaluations in {copy_took:.2f} s")
        print(
            f"evaluation / COPY = {took / copy_took:.0f}×  (goal: under {GOAL_SECONDS} s: "
            f"{'met' if took < GOAL_SECONDS else 'NOT MET'})"
        )
        queued, again, chunks = run_with_workers(app, expected)
        with pg() as conn:
            after = conn.execute("SELECT count(*) FROM evaluation").fetchone()[0]
        print(f"run again for {TODAY}: {after - copied:,} evaluations created, {chunks} chunks, {again:.1f} s")
        if after != copied:
            problems.append("the second run made evaluations")
        problems += check(expected)
        print(
            "checks: "
            + (
                "one evaluation per agreement, sub-scores exactly as the data was made"
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

    return Config.EVALUATION_CHUNK_SIZE


if __name__ == "__main__":
    sys.exit(main())
