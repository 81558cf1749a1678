"""Benchmark the console's list screens on PostgreSQL at scale: keyset pages stay fast at any depth.

Data: 100 tenants, 1,000 clients each (100,000), 1,000,000 audit events, loaded with COPY.
Measures server time (p50/p95 over N requests through the WSGI app) and SQL queries per page for the
first page and a deep page of the clients list and the audit log. Run: `make bench`.
"""

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import event

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_PG_DB", "aftercare_bench")
TENANTS, CLIENTS_PER_TENANT, AUDIT_EVENTS = 100, 1_000, 1_000_000
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
PASSWORD = "bench-password-2026"  # noqa: S105 (a throw-away benchmark database)


def fresh_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{DB_NAME}"


def load(app) -> None:
    """Tenants and admins through the services; clients and audit events by COPY."""
    from stdnum.cn import uscc

    from saas.core.people import add_membership, create_user
    from saas.core.tenants import create_tenant
    from saas.extensions import db

    for t in range(TENANTS):
        tenant = create_tenant(name=f"Vendor {t:03d}", slug=f"v{t:03d}", legal_name=f"Vendor {t:03d} Ltd")
        add_membership(
            tenant, create_user(email=f"admin@v{t:03d}.example.com", name="Admin", password=PASSWORD), "vendor_admin"
        )
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        start = time.perf_counter()
        with cur.copy("COPY client (tenant_id, legal_name, uscc, address, notes, created_at) FROM STDIN") as copy:
            now = datetime(2026, 1, 1, tzinfo=UTC)
            for t in range(1, TENANTS + 1):
                for c in range(CLIENTS_PER_TENANT):
                    body = f"9111{t:04d}MA{c:07d}"[:17]
                    copy.write_row((t, f"Client {t}-{c}", body + uscc.calc_check_digit(body), "", "", now))
        with cur.copy(
            "COPY audit_event (tenant_id, actor_email, action, target_type, ip, data, created_at) FROM STDIN"
        ) as copy:
            for i in range(AUDIT_EVENTS):
                copy.write_row(
                    (
                        i % TENANTS + 1,
                        "someone@example.com",
                        "client.updated",
                        "Client",
                        "127.0.0.1",
                        "{}",
                        now + timedelta(seconds=i),
                    )
                )
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
        print(
            f"loaded {TENANTS * CLIENTS_PER_TENANT:,} clients and {AUDIT_EVENTS:,} audit events by COPY "
            f"in {time.perf_counter() - start:.1f} s"
        )
    finally:
        raw.close()


def measure(app, client, url, headers=None):
    from saas.extensions import db

    queries = []

    def count(*_args):
        queries.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    times = []
    for _ in range(REQUESTS):
        queries.clear()
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", count)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def main() -> int:
    from flask_migrate import upgrade

    from saas import create_app
    from saas.testing.fixtures import SaasClient

    url = fresh_database()
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOGIN_RATE_LIMIT": "1000 per minute"},
    )
    app.test_client_class = SaasClient
    with app.app_context():
        upgrade(revision="heads")
        load(app)
    client = app.test_client()
    client.sign_in("admin@v050.example.com", PASSWORD)
    deep_client = CLIENTS_PER_TENANT - 30 + 50 * CLIENTS_PER_TENANT  # ids of tenant 51 run 50,001..51,000
    deep_audit = 50 + 100  # near the oldest events of tenant 51
    cases = [
        ("clients, first page", "/t/v050/clients", None),
        ("clients, deep page (after=…)", f"/t/v050/clients?after={deep_client}", {"HX-Request": "true"}),
        ("clients, search", "/t/v050/clients?q=Client 51-99", {"HX-Request": "true"}),
        ("audit log, first page", "/t/v050/audit", None),
        ("audit log, deep page (before=…)", f"/t/v050/audit?before={deep_audit + 5000}", {"HX-Request": "true"}),
    ]
    print(f"\n{'screen':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}   ({REQUESTS} requests each, PostgreSQL)")
    for label, path, headers in cases:
        p50, p95, queries = measure(app, client, path, headers)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {queries:8d}")
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
