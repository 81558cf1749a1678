"""Benchmark the request queue and the SLA sweep on PostgreSQL at scale (issue 4).

Data: 100 tenants (through the services: vendor admin, the two calendars with the official Chinese
schedules of 2025 and 2026, the standard categories, a team), 20 clients each with a contract in force,
and 1,000,000 service requests (10,000 per tenant) loaded by COPY: ~20% open, of which ~30% overdue
at the bench's "now"; due times computed with the product's own calendar arithmetic.
Measures server time (p50/p95 over N requests through the WSGI app) and SQL queries per page of the
vendor queue, shows the main query's plan, then times the SLA sweep twice (the second must find nothing).
Run: `.venv/bin/python -m bench.requests` (or `make bench`).
"""

import bisect
import html
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import psycopg
from sqlalchemy import event, insert, select

from bench.run import ADMIN_URL, PASSWORD, REQUESTS

DB_NAME = os.environ.get("BENCH_PG_REQUESTS_DB", "aftercare_bench_requests")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
#: Keep the database afterwards (BENCH_KEEP=1) to look at it with psql.
KEEP = os.environ.get("BENCH_KEEP") == "1"
#: BENCH_TENANTS / BENCH_PER_TENANT shrink the data for a quick try of the script itself.
TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
PER_TENANT = int(os.environ.get("BENCH_PER_TENANT", "10000"))
CLIENTS, MEMBERS = 20, 5
#: Terms of the clients who bought faster service than the contract defaults (4 h, 2 h faults, 8 h consulting).
PREMIUM = {
    "service_response_hours": 2,
    "fault_response_hours": 1,
    "consult_response_hours": 4,
    "onsite_arrival_hours": 8,
}
#: How many "Load more" pages deep the deep pages are.
DEPTH = int(os.environ.get("BENCH_DEPTH", "20"))
OPEN_SHARE, WAITING_SHARE, OVERDUE_SHARE, RESOLVED_SHARE = 0.20, 0.15, 0.30, 0.10
#: The bench's "now": Monday 15 June 2026, 10:00 in Shanghai (the Dragon Boat holiday is that Friday).
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
SLUG = f"v{TENANTS // 2:03d}"  # the tenant whose vendor admin browses the queue
#: Category codes and how often each is raised.
CATEGORY_WEIGHTS = {"FAULT": 25, "REMOTE": 30, "CONSULT": 15, "ONSITE": 10, "GENERAL": 10, "UPGRADE": 5, "TRAINING": 5}
PRIORITY_WEIGHTS = {"urgent": 5, "high": 20, "normal": 60, "low": 15}
CHANNELS = ("portal", "phone", "email", "chat", "api", "monitoring")
SUBJECTS = (
    "ERP 无法登录",
    "数据库备份失败",
    "Mail server queue stuck",
    "VPN 连接断开",
    "Disk usage above 90%",
    "打印机无法连接",
    "SSL certificate expires soon",
    "OA 系统响应慢",
    "Upgrade PostgreSQL to 16",
    "Firewall rule request",
    "新员工账号开通",
    "Backup restore test",
)
REQUEST_COLUMNS = (
    "id",
    "tenant_id",
    "client_id",
    "number",
    "contract_id",
    "category_id",
    "kind",
    "priority",
    "channel",
    "subject",
    "description",
    "status",
    "is_open",
    "requester_id",
    "requester_name",
    "requester_contact",
    "assignee_id",
    "source_key",
    "received_at",
    "calendar_id",
    "response_hours",
    "resolution_hours",
    "arrival_hours",
    "response_due_at",
    "arrival_due_at",
    "resolution_due_at",
    "next_due_at",
    "first_response_at",
    "first_arrival_at",
    "resolved_at",
    "closed_at",
    "paused_since",
    "response_breached",
    "arrival_breached",
    "resolution_breached",
    "created_at",
    "updated_at",
)
COL = {name: i for i, name in enumerate(REQUEST_COLUMNS)}


def fresh_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{DB_NAME}"


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


# Tenants, calendars, categories, clients and contracts -------------------------------------------


def _uscc(t: int, c: int) -> str:
    """A valid unified social credit code, unique per tenant and client."""
    from stdnum.cn import uscc

    body = f"9111{t:04d}MA{c:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def setup_tenants() -> list[SimpleNamespace]:
    """Tenants through the services; clients and contracts by Core inserts (no ORM flush guards to meet)."""
    from saas.calendars import services as calendar_service
    from saas.contracts.models import Contract
    from saas.core.models import Client
    from saas.core.people import add_membership, create_user
    from saas.core.tenants import create_tenant
    from saas.extensions import db
    from saas.requests import services, sla
    from saas.requests.models import RequestCategory, RequestSequence
    from saas.team.models import TeamMember

    terms = (
        Contract.service_response_hours,
        Contract.fault_response_hours,
        Contract.consult_response_hours,
        Contract.onsite_arrival_hours,
    )
    tenants = []
    for t in range(TENANTS):
        tenant = create_tenant(name=f"Vendor {t:03d}", slug=f"v{t:03d}", legal_name=f"Vendor {t:03d} Ltd")
        admin = create_user(email=f"admin@v{t:03d}.example.com", name="Admin", password=PASSWORD)
        add_membership(tenant, admin, "vendor_admin")
        always = calendar_service.save_calendar(tenant, {"name": "7×24", "timezone": tenant.timezone, "always": True})
        weekly = {
            f"hours_{d}": calendar_service.format_windows(ws) for d, ws in calendar_service.default_weekly().items()
        }
        office = calendar_service.save_calendar(
            tenant, {"name": "工作日 Business hours", "timezone": tenant.timezone, **weekly}
        )
        # The requests reach back twelve months from June 2026, so 2025's holidays count too.
        for year in (2025, 2026):
            calendar_service.add_official_china_schedule(office, year)
        services.add_standard_categories(tenant, always=always, office=office)
        db.session.add_all(
            [TeamMember(tenant_id=tenant.id, name=f"工程师 {m}", team_role="support_engineer") for m in range(MEMBERS)]
        )
        db.session.add(RequestSequence(tenant_id=tenant.id, last_value=PER_TENANT))
        client_ids = db.session.scalars(
            insert(Client).returning(Client.id),
            [
                {
                    "tenant_id": tenant.id,
                    "legal_name": f"Client {t}-{c}",
                    "address": "",
                    "notes": "",
                    "created_at": NOW,
                    "uscc": _uscc(t, c),
                }
                for c in range(CLIENTS)
            ],
        ).all()
        # A quarter of the clients bought faster response than the vendor's default terms.
        contracts = db.session.execute(
            insert(Contract).returning(Contract.id, Contract.client_id, *terms),
            [
                {
                    "tenant_id": tenant.id,
                    "client_id": cid,
                    "number": f"HT-2025-{c + 1:04d}",
                    "title": "售后服务协议",
                    "status": "active",
                    "effective_date": date(2025, 1, 1),
                    "ends_on": date(2028, 1, 1),
                    "term_years": 3,
                    "signed_on": date(2024, 12, 20),
                    **(PREMIUM if c % 4 == 0 else {}),
                }
                for c, cid in enumerate(client_ids)
            ],
        ).all()
        db.session.flush()
        categories = db.session.scalars(select(RequestCategory).where(RequestCategory.tenant_id == tenant.id)).all()
        tenants.append(
            SimpleNamespace(
                id=tenant.id,
                specs=sla.tenant_specs(tenant.id),
                contracts=[(row.client_id, row.id, {c.key: getattr(row, c.key) for c in terms}) for row in contracts],
                members=db.session.scalars(select(TeamMember.id).where(TeamMember.tenant_id == tenant.id)).all(),
                categories={
                    c.code: SimpleNamespace(
                        id=c.id, kind=c.kind, calendar_id=c.calendar_id, resolution_hours=dict(c.resolution_hours)
                    )
                    for c in categories
                },
            )
        )
    db.session.commit()
    return tenants


# Requests ------------------------------------------------------------------------------------------


class WorkingTable:
    """A calendar's working intervals (working_time.working_intervals) laid out once, with running totals.

    `due(start, hours)` is add_working_time without pauses, found by bisection instead of walking the calendar
    day by day (~2 µs instead of 20–130 µs: 1,000,000 requests would take minutes); `Generator.check_table`
    asserts it agrees with add_working_time on thousands of random cases.
    """

    def __init__(self, spec, start: datetime):
        from saas.calendars.working_time import working_intervals

        self.start, self.begins, self.ends, self.before, self.after = start, [], [], [], []
        total = timedelta(0)
        for begin, end in working_intervals(spec, start):
            self.begins.append(begin)
            self.ends.append(end)
            self.before.append(total)
            total += end - begin
            self.after.append(total)

    def due(self, start: datetime, hours: int) -> datetime:
        i = bisect.bisect_right(self.ends, start)  # the first interval still open at `start`
        if start < self.start or i >= len(self.ends):
            raise ValueError(f"{start} is outside the table")
        target = self.before[i] + max(start - self.begins[i], timedelta(0)) + timedelta(hours=hours)
        j = bisect.bisect_left(self.after, target)  # the interval in which the time runs out
        if j >= len(self.after):
            raise ValueError(f"{hours} h from {start} run past the table")
        return self.begins[j] + (target - self.before[j])


class Generator:
    """Requests with due times from the product's calendar arithmetic, and the pauses and breaches they imply."""

    def __init__(self, tenants, seed: int = 2026):
        self.rng = random.Random(seed)
        self.tenants = tenants
        # Every tenant's calendars are alike: one table per distinct calendar serves all tenants.
        self.specs, self.spec_key = [], {}
        for tenant in tenants:
            for calendar_id, spec in tenant.specs.items():
                if spec not in self.specs:
                    self.specs.append(spec)
                self.spec_key[calendar_id] = self.specs.index(spec)
        table_start = NOW - timedelta(days=400)
        self.tables = [WorkingTable(spec, table_start) for spec in self.specs]
        self.due = lambda key, start, hours: self.tables[key].due(start, hours)
        self.rows, self.pauses, self.breaches = [], [], []

    def check_table(self, cases: int = 5000) -> None:
        """The tables give add_working_time's answers: random calendars, starts (any second) and targets."""
        from saas.calendars.working_time import add_working_time

        for _ in range(cases):
            key, hours = self.rng.randrange(len(self.specs)), self.rng.choice((1, 2, 4, 8, 24, 72, 160))
            start = NOW - timedelta(seconds=self.rng.randrange(365 * 86400)) + timedelta(days=30)
            expected = add_working_time(self.specs[key], start, timedelta(hours=hours))
            assert self.due(key, start, hours) == expected, (self.specs[key], start, hours)

    def minutes_ago(self, minutes: float) -> datetime:
        """A received time, on the minute."""
        return (NOW - timedelta(minutes=max(1.0, minutes))).replace(second=0, microsecond=0)

    def targets(self, terms: dict, category, priority: str) -> tuple[int, int, int | None]:
        """The contract's response (and on-site arrival) hours and the category's resolution hours, as raised."""
        from saas.requests.services import contract_hours_field

        arrival = terms["onsite_arrival_hours"] if category.kind == "onsite_support" else None
        return terms[contract_hours_field(category.kind)], int(category.resolution_hours[priority]), arrival

    def dues(self, req, paused_since: datetime | None = None) -> None:
        """Due times, then the next one still running (sla.next_due).

        With the clocks stopped since `paused_since` (a pause with no end), a deadline not yet met whose due
        time falls after it has none (a met one keeps its due time): sla.refresh_due's answer, which
        `check_paused` compares on a sample.
        """
        key = self.spec_key[req.calendar_id]
        met = {"response": req.first_response_at, "arrival": req.first_arrival_at, "resolution": req.resolved_at}
        for kind in ("response", "arrival", "resolution"):
            hours = getattr(req, f"{kind}_hours")
            at = self.due(key, req.received_at, hours) if hours else None
            if at is not None and paused_since is not None and met[kind] is None and at > paused_since:
                at = None
            setattr(req, f"{kind}_due_at", at)
        req.next_due_at = self.next_due(req)

    def check_paused(self, requests, sample: int = 100) -> None:
        """Paused requests' due times are what sla.refresh_due makes of them when the pause starts."""
        from saas.requests.sla import refresh_due

        paused = [r for r in requests if r.pause and r.pause[2] is None]
        for req in self.rng.sample(paused, min(sample, len(paused))):
            mine = (req.response_due_at, req.arrival_due_at, req.resolution_due_at, req.next_due_at)
            self.dues(req)  # as they stood before the pause
            refresh_due(req, self.specs[self.spec_key[req.calendar_id]], [req.pause[1:]])
            assert mine == (req.response_due_at, req.arrival_due_at, req.resolution_due_at, req.next_due_at), req

    def between(self, start: datetime, end: datetime, low: float = 0.05, high: float = 0.9) -> datetime:
        return start + (end - start) * self.rng.uniform(low, high)

    def request(self, tenant, state: str) -> SimpleNamespace:
        rng = self.rng
        code = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        category = tenant.categories[code]
        priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
        client_id, contract_id, terms = rng.choice(tenant.contracts)
        response_h, resolution_h, arrival_h = self.targets(terms, category, priority)
        req = SimpleNamespace(
            tenant_id=tenant.id,
            client_id=client_id,
            contract_id=contract_id,
            category_id=category.id,
            kind=category.kind,
            priority=priority,
            calendar_id=category.calendar_id,
            response_hours=response_h,
            resolution_hours=resolution_h,
            arrival_hours=arrival_h,
            status=state,
            is_open=True,
            first_response_at=None,
            first_arrival_at=None,
            resolved_at=None,
            closed_at=None,
            paused_since=None,
            response_breached=False,
            arrival_breached=False,
            resolution_breached=False,
            assignee_id=rng.choice(tenant.members) if rng.random() < 0.7 else None,
            pause=None,
            late=[],
        )
        # Office-hours clocks run ~40 of 168 hours a week: wall-clock ages stretch accordingly.
        stretch = 1.0 if self.specs[self.spec_key[req.calendar_id]].always else 4.5
        if state in ("new", "acknowledged", "in_progress"):
            self.place_open(req, overdue=rng.random() < OVERDUE_SHARE / (1 - WAITING_SHARE), stretch=stretch)
        elif state == "waiting_on_client":
            self.place_waiting(req)
        else:
            self.place_done(req, state)
        return req

    def respond(self, req) -> None:
        """Responded in time; on-site, in progress: the engineer has been (in time)."""
        req.first_response_at = self.between(req.received_at, min(req.response_due_at, NOW))
        if req.arrival_hours and req.status == "in_progress" and self.rng.random() < 0.5:
            req.first_arrival_at = self.between(req.first_response_at, min(req.arrival_due_at, NOW))

    def place_open(self, req, overdue: bool, stretch: float) -> None:
        """Pick a received time so that the earliest running deadline is past (overdue) or still ahead."""
        responded = req.status != "new"
        nearest = min(
            h for h in (req.response_hours if not responded else None, req.resolution_hours, req.arrival_hours) if h
        )
        # Working time never runs faster than the wall clock: younger than the nearest target is never late.
        age = 60 * nearest * (self.rng.uniform(1.2, 4) * stretch if overdue else self.rng.uniform(0.02, 0.98))
        for _ in range(16):
            req.received_at = self.minutes_ago(age)
            req.first_response_at = req.first_arrival_at = None
            self.dues(req)
            if responded:
                self.respond(req)
                req.next_due_at = self.next_due(req)
            if (req.next_due_at is not None and req.next_due_at <= NOW) == overdue:
                return
            age = age * 2 if overdue else age / 2
        raise AssertionError(f"could not place an open request ({req.status}, overdue={overdue})")

    def next_due(self, req):
        from saas.requests.sla import next_due

        return next_due(req)

    def place_waiting(self, req) -> None:
        """Responded by asking the client: the clocks stand still since, due times None (sla.refresh_due)."""
        req.received_at = self.minutes_ago(self.rng.uniform(30, 60 * 24 * 20))
        self.dues(req)
        req.first_response_at = self.between(req.received_at, min(req.response_due_at, NOW))
        req.paused_since = req.first_response_at
        req.pause = ("waiting_on_client", req.paused_since, None)
        self.dues(req, req.paused_since)

    def place_done(self, req, state: str) -> None:
        """Resolved (awaiting the client's confirmation, clocks paused) or closed; a few deadlines were missed."""
        rng = self.rng
        days = rng.uniform(0.5, 10) if state == "resolved" else rng.uniform(3, 365)
        req.received_at = self.minutes_ago(days * 24 * 60)
        self.dues(req)
        if rng.random() < 0.05:  # answered late (§8.1.2)
            req.first_response_at = req.response_due_at + timedelta(minutes=rng.uniform(5, 240))
        else:
            req.first_response_at = self.between(req.received_at, req.response_due_at)
        if req.arrival_hours:
            latest = max(req.arrival_due_at, req.first_response_at + timedelta(hours=1))
            req.first_arrival_at = self.between(req.first_response_at, latest)
        if rng.random() < 0.07:  # resolved late (§8.1.3)
            req.resolved_at = req.resolution_due_at + timedelta(hours=rng.uniform(1, 48))
        else:
            started = req.first_arrival_at or req.first_response_at
            req.resolved_at = self.between(started, max(req.resolution_due_at, started), 0.1, 0.95)
        # Nothing happens after now: the last steps of the youngest requests are pulled back.
        req.resolved_at = min(req.resolved_at, NOW - timedelta(minutes=rng.uniform(10, 600)))
        req.first_response_at = min(req.first_response_at, req.resolved_at)
        if req.first_arrival_at:
            req.first_arrival_at = min(req.first_arrival_at, req.resolved_at)
        for kind, met in (
            ("response", req.first_response_at),
            ("arrival", req.first_arrival_at),
            ("resolution", req.resolved_at),
        ):
            due = getattr(req, f"{kind}_due_at")
            if met is not None and due is not None and met > due:
                req.late.append((kind, due, met))
                setattr(req, f"{kind}_breached", True)
        req.is_open = False
        if state == "resolved":  # paused until the client confirms or reopens (exact: computed with the pause)
            req.paused_since = req.resolved_at
            req.pause = ("resolved", req.resolved_at, None)
            self.dues(req, req.resolved_at)
        else:
            req.closed_at = min(req.resolved_at + timedelta(hours=rng.uniform(1, 72)), NOW - timedelta(minutes=5))
            req.pause = ("resolved", req.resolved_at, req.closed_at)
            req.next_due_at = None

    def generate(self) -> None:
        """Every tenant's requests, then ids in the order received (as they would have been inserted)."""
        per_open = round(PER_TENANT * OPEN_SHARE)
        waiting = round(per_open * WAITING_SHARE)
        resolved = round((PER_TENANT - per_open) * RESOLVED_SHARE)
        requests = []
        for tenant in self.tenants:
            states = (
                ["waiting_on_client"] * waiting
                + ["resolved"] * resolved
                + ["closed"] * (PER_TENANT - per_open - resolved)
                + self.rng.choices(["new", "acknowledged", "in_progress"], weights=[35, 15, 35], k=per_open - waiting)
            )
            requests += [self.request(tenant, state) for state in states]
        self.check_table()
        self.check_paused(requests)
        requests.sort(key=lambda r: r.received_at)
        numbers: dict[int, int] = {}
        for request_id, req in enumerate(requests, start=1):
            req.id = request_id
            req.number = numbers[req.tenant_id] = numbers.get(req.tenant_id, 0) + 1
            self.rows.append(self.row(req))
            if req.pause:
                self.pauses.append((req.tenant_id, req.client_id, req.id, *req.pause))
            for kind, due, met in req.late:
                self.breaches.append(
                    (
                        req.tenant_id,
                        req.client_id,
                        req.id,
                        req.contract_id,
                        kind,
                        {"response": "8.1.2", "arrival": "8.1.1", "resolution": "8.1.3"}[kind],
                        due,
                        met,
                        met,
                        json.dumps({"request": req.number, "due_at": due.isoformat(), "met_at": met.isoformat()}),
                    )
                )

    def row(self, req) -> tuple:
        rng = self.rng
        subject = SUBJECTS[req.id % len(SUBJECTS)]
        values = {
            **vars(req),
            "channel": CHANNELS[req.id % len(CHANNELS)],
            "subject": subject,
            "description": f"{subject}：详见附件。 Reported by the client's IT desk.",
            "requester_id": None,
            "requester_name": "张伟",
            "requester_contact": "zhang.wei@client.example.com",
            "source_key": None,
            "created_at": req.received_at + timedelta(seconds=rng.randrange(1, 300)),
            "updated_at": req.closed_at or req.resolved_at or req.first_response_at or req.received_at,
        }
        return tuple(values[name] for name in REQUEST_COLUMNS)


def copy_rows(cur, table: str, columns, rows) -> float:
    start = time.perf_counter()
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - start


def load(app) -> None:
    """Tenants through the services, then the requests, their pauses and past breaches by COPY."""
    from saas.extensions import db

    start = time.perf_counter()
    tenants = setup_tenants()
    print(
        f"set up {TENANTS} tenants (admin, calendars, categories, team, {TENANTS * CLIENTS:,} clients and "
        f"contracts) in {time.perf_counter() - start:.1f} s"
    )
    generator = Generator(tenants)
    start = time.perf_counter()
    generator.generate()
    rows = generator.rows
    open_rows = sum(1 for r in rows if r[COL["is_open"]])
    overdue = sum(1 for r in rows if r[COL["is_open"]] and r[COL["next_due_at"]] and r[COL["next_due_at"]] <= NOW)
    print(
        f"generated {len(rows):,} requests ({open_rows:,} open, {overdue:,} overdue at {NOW:%Y-%m-%d %H:%M} UTC), "
        f"{len(generator.pauses):,} pauses, {len(generator.breaches):,} past breaches in "
        f"{time.perf_counter() - start:.1f} s (due times checked against add_working_time)"
    )
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        # A bulk load of rows made consistent above: skip the per-row foreign-key triggers (superuser only).
        cur.execute("SET session_replication_role = replica")
        took = copy_rows(cur, "service_request", REQUEST_COLUMNS, rows)
        print(f"COPY service_request: {len(rows):,} rows in {took:.1f} s ({len(rows) / took:,.0f} rows/s)")
        took = copy_rows(
            cur,
            "request_pause",
            ("tenant_id", "client_id", "request_id", "reason", "started_at", "ended_at"),
            generator.pauses,
        )
        print(
            f"COPY request_pause: {len(generator.pauses):,} rows in {took:.1f} s "
            f"({len(generator.pauses) / took:,.0f} rows/s)"
        )
        took = copy_rows(
            cur,
            "sla_breach",
            (
                "tenant_id",
                "client_id",
                "request_id",
                "contract_id",
                "kind",
                "clause",
                "due_at",
                "met_at",
                "detected_at",
                "evidence",
            ),
            generator.breaches,
        )
        print(
            f"COPY sla_breach: {len(generator.breaches):,} rows in {took:.1f} s "
            f"({len(generator.breaches) / took:,.0f} rows/s)"
        )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("SELECT setval('service_request_id_seq', (SELECT max(id) FROM service_request))")
        raw.commit()
    finally:
        raw.close()
    start = time.perf_counter()
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - start:.1f} s")
    generator.rows.clear()


# Measuring -----------------------------------------------------------------------------------------


def follow_more(client, url: str, pages: int) -> str:
    """Follow the queue's "Load more" cursor `pages` times; the URL of the page reached."""
    for _ in range(pages):
        body = client.get(url, headers={"HX-Request": "true"} if "after=" in url else {}).get_data(as_text=True)
        match = re.search(r'hx-get="([^"]*after=[^"]*)"', body)
        assert match, f"no Load more on {url}"
        url = html.unescape(match.group(1))
    return url


def explain(app, client, url: str, headers=None, full: bool = False) -> str:
    """Run the page once, catch its main request query and EXPLAIN ANALYZE it with the same parameters."""
    from saas.extensions import db

    caught = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "FROM service_request" in statement and "ORDER BY" in statement and not caught:
            caught.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert client.get(url, headers=headers or {}).status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", catch)
    statement, parameters = caught[0]
    with app.app_context(), db.engine.connect() as conn:
        plan = [line for (line,) in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
    if full:
        print("\n  " + " ".join(statement.split()))
        print("  " + "\n  ".join(plan))
    top = plan[0].split("  (")[0].strip()
    timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
    nodes = [line.strip().lstrip("-> ").split("  (")[0] for line in plan if "Scan" in line]
    seq = " SEQ SCAN!" if any("Seq Scan" in n for n in nodes) else ""
    return f"{top} | {'; '.join(nodes)} | {timing}{seq}"


def measure(app, client, url, headers=None):
    """bench.run's measure, with this process's CPU time too: the machine's other work shows in wall time only."""
    from saas.extensions import db

    queries = []

    def count(*_args):
        queries.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    times, cpu = [], []
    for _ in range(REQUESTS):
        queries.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", count)
    times.sort()
    cpu.sort()
    p95 = int(len(times) * 0.95) - 1
    return statistics.median(times), times[p95], cpu[p95], len(queries)


def measure_pages(app, client) -> list[tuple[str, str, dict | None]]:
    base = f"/t/{SLUG}/requests/"
    hx = {"HX-Request": "true"}
    deep = follow_more(client, base, DEPTH)
    all_deep = follow_more(client, base + "?status=all", DEPTH)
    cases = [
        ("queue, first page", base, None),
        (f"queue, page {DEPTH + 1} (after=…)", deep, hx),
        ("queue, in progress + high", base + "?status=in_progress&priority=high", None),
        ("queue, due within 2 hours", base + "?soon=1", None),
        ("all, newest first", base + "?status=all", None),
        (f"all, page {DEPTH + 1} (after=…)", all_deep, hx),
    ]
    print(
        f"\n{'screen':34} {'p50 ms':>8} {'p95 ms':>8} {'cpu p95':>8} {'queries':>8}   ({REQUESTS} requests each, "
        f"PostgreSQL; cpu: the app's own CPU time)"
    )
    for label, path, headers in cases:
        p50, p95, cpu95, queries = measure(app, client, path, headers)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {cpu95:8.1f} {queries:8d}")
    return cases


def sweep_twice(app) -> None:
    """The SLA sweep over every open request, with mail jobs only queued (Redis), then again."""
    from redis import Redis
    from rq import Queue

    from saas.extensions import db
    from saas.requests import sla
    from saas.requests.models import ServiceRequest, SlaBreach

    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    app.extensions.pop("redis", None)
    try:
        with app.app_context():
            before = db.session.scalar(select(db.func.count()).select_from(SlaBreach))
            open_count = db.session.scalar(select(db.func.count()).where(ServiceRequest.is_open.is_(True)))
            due_count = db.session.scalar(
                select(db.func.count()).where(ServiceRequest.is_open.is_(True), ServiceRequest.next_due_at <= NOW)
            )
            db.session.commit()
            plans = []

            def explain_due_query(conn, cursor, statement, parameters, context, executemany):
                # The sweep's first statement finds the due requests: its plan, on a connection of its own.
                if not plans and statement.lstrip().startswith("SELECT") and "next_due_at <=" in statement:
                    explaining = time.perf_counter()
                    with db.engine.connect() as other:
                        plans.append(
                            [row for (row,) in other.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters)]
                        )
                    plans.append(time.perf_counter() - explaining)  # not the sweep's time

            event.listen(db.engine, "before_cursor_execute", explain_due_query)
            start = time.perf_counter()
            try:
                first = sla.sweep(NOW)
            finally:
                event.remove(db.engine, "before_cursor_execute", explain_due_query)
            took = time.perf_counter() - start - plans[1]
            jobs = Queue("mail", connection=redis).count
            after = db.session.scalar(select(db.func.count()).select_from(SlaBreach))
            print(
                f"\nSLA sweep over {open_count:,} open requests ({due_count:,} past due): "
                f"{first:,} breaches recorded ({after - before:,} new sla_breach rows) in {took:.1f} s; "
                f"{jobs:,} mail jobs queued (the plan below was taken while it ran)"
            )
            print(
                "  the sweep's due query: "
                + " | ".join(
                    line.strip().lstrip("-> ").split("  (")[0]
                    for line in plans[0]
                    if "Scan" in line or line.startswith("Execution Time")
                )
            )
            start = time.perf_counter()
            second = sla.sweep(NOW)
            print(f"SLA sweep again: {second:,} breaches recorded in {time.perf_counter() - start:.3f} s")
    finally:
        redis.flushdb()
        app.config["REDIS_URL"] = None
        app.extensions.pop("redis", None)


def main() -> int:
    from flask_migrate import upgrade

    from saas import create_app
    from saas.core.clock import FrozenClock
    from saas.testing.fixtures import SaasClient

    url = fresh_database()
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOGIN_RATE_LIMIT": "1000 per minute"},
        clock=FrozenClock(NOW),
    )
    app.test_client_class = SaasClient
    with app.app_context():
        upgrade(revision="heads")
        load(app)
    client = app.test_client()
    client.sign_in(f"admin@{SLUG}.example.com", PASSWORD)
    cases = measure_pages(app, client)
    print("\nplans (EXPLAIN ANALYZE of each page's request query):")
    for n, (label, path, headers) in enumerate(cases):
        print(f"{label:34} {explain(app, client, path, headers, full=n == 0)}")
    sweep_twice(app)
    if KEEP:
        print(f"\nkept database {DB_NAME} (BENCH_KEEP=1)")
    else:
        drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
