"""pytest fixtures: app, db, client, clock, factories, a two-vendor world, Redis, a live server.

The database is PostgreSQL (a real server) or SQLite, chosen by AFTERCARE_TEST_DB; its schema is built
by the Alembic migrations (so the migrations are tested too) and emptied after every test. On PostgreSQL the
migrations run as the tables' owner and the app connects as PG_APP_ROLE, which owns nothing and may not bypass
row-level security, as in production (docs/row-level-security.md): the whole suite runs with RLS on.
"""

import contextvars
import os
import re
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, select, text

from saas import create_app
from saas.config import _testing_encryption_key
from saas.core.clock import FrozenClock
from saas.extensions import db as _db
from saas.extensions import limiter

PASSWORD = "correct-horse-battery-staple"
PG_ADMIN_URL = os.environ.get("AFTERCARE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
#: One database per test session, so parallel runs on one machine never share or drop each other's.
PG_TEST_DB = os.environ.get("AFTERCARE_TEST_PG_DB", f"aftercare_test_{os.getpid()}")
#: The app's login role on PostgreSQL: not a superuser, no BYPASSRLS, owner of no table. One for the whole
#: cluster (parallel test sessions share it), made by the first session that needs it.
PG_APP_ROLE = os.environ.get("AFTERCARE_TEST_PG_ROLE", "aftercare_test_app")
#: What a production-config app in a test needs to start (saas.config.check_production): keys for tests only.
PRODUCTION_SECRETS = {
    "SECRET_KEY": "test-production-secret-key-not-for-real-use",
    "ENCRYPTION_KEYS": _testing_encryption_key(),
}
#: The start of every test's clock: an ordinary Thursday morning in Shanghai.
CLOCK_START = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)


def test_database_kind() -> str:
    return os.environ.get("AFTERCARE_TEST_DB", "postgresql")


test_database_kind.__test__ = False


def _postgres_url(role: str | None = None) -> str:
    """The test database's URL, as the admin (the tables' owner) or as `role` (its password is its name)."""
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=PG_TEST_DB)
    if role is not None:
        url = url.set(username=role, password=role)
    return url.render_as_string(hide_password=False)


def _create_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        _ensure_app_role(conn)
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_TEST_DB}"')


def _ensure_app_role(conn) -> None:
    """Make the app's role once per cluster; parallel sessions and workers take turns (an advisory lock)."""
    conn.execute("SELECT pg_advisory_lock(hashtext('aftercare_test_app_role'))")
    try:
        found = conn.execute(
            "SELECT rolsuper OR rolbypassrls OR NOT rolcanlogin FROM pg_roles WHERE rolname = %s", (PG_APP_ROLE,)
        ).fetchone()
        if found is None:
            conn.execute(f"CREATE ROLE {PG_APP_ROLE} LOGIN PASSWORD '{PG_APP_ROLE}'")
        elif found[0]:  # RLS applies to it only when it is neither a superuser nor BYPASSRLS
            conn.execute(f"ALTER ROLE {PG_APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext('aftercare_test_app_role'))")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, empty database for this test session, as the app connects to it (dropped at the end)."""
    if test_database_kind() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    _create_postgres()
    yield _postgres_url(PG_APP_ROLE)
    _drop_postgres()


@pytest.fixture(scope="session")
def owner_database_url(database_url):
    """The same database as the tables' owner (migrations, emptying tables); None on SQLite."""
    return _postgres_url() if database_url.startswith("postgresql") else None


def _drop_postgres():
    import psycopg

    # FORCE ends the app's pooled connections that are still open.
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def clock():
    """The app's injected clock; every test starts at CLOCK_START (see _reset_between_tests)."""
    return FrozenClock(CLOCK_START)


@pytest.fixture(scope="session")
def app(database_url, owner_database_url, clock):
    """The application on the test database, schema built by `flask db upgrade heads` (as the owner)."""
    from flask_migrate import upgrade

    application = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MIGRATION_DATABASE_URL": owner_database_url,
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": None,
        },
        clock=clock,
    )
    with application.app_context():
        upgrade(revision="heads")
    return application


@pytest.fixture(scope="session")
def owner_engine(owner_database_url):
    """An engine on the test database as the tables' owner (PostgreSQL), else None."""
    if owner_database_url is None:
        yield None
        return
    engine = create_engine(owner_database_url, pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def db(app, clock, owner_engine):
    """The database inside an app context; every table is emptied after the test.

    The test's own code runs outside any request, so in the platform scope (saas/core/dbscope.py): it sees
    every tenant's rows; the requests it makes see only what their tenant may.
    """
    clock.set(CLOCK_START)
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        _empty_tables(owner_engine or _db.engine)
    limiter.reset()


def _empty_tables(engine):
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (table names come from our metadata)


class SaasClient(FlaskClient):
    """A test client that fills in CSRF tokens the way a browser form would.

    Each request runs in an empty context: Flask would otherwise reuse the test's app context, so `g`
    (where Flask-WTF caches the CSRF token) and the database session would leak from request to request.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
        if match is None and not self.application.config["WTF_CSRF_ENABLED"]:
            return ""
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, f"sign-in of {email} failed"
        return response


@pytest.fixture
def client(app, db):
    """A browser-like test client (cookies kept, CSRF filled in by post_form)."""
    app.test_client_class = SaasClient
    return app.test_client()


@pytest.fixture
def make_tenant(db):
    """Factory: make_tenant("acme") -> an active tenant."""
    from saas.core.tenants import create_tenant

    def make(slug="acme", **kwargs):
        kwargs.setdefault("name", slug.title())
        kwargs.setdefault("legal_name", f"{slug.title()} 信息技术有限公司")
        tenant = create_tenant(slug=slug, **kwargs)
        db.session.commit()
        return tenant

    return make


@pytest.fixture
def make_client_org(db):
    """Factory: make_client_org(tenant, "Name") -> a client with a valid unified social credit code."""
    from saas.core.clients import save_client

    counter = iter(range(1, 10_000))

    def make(tenant, legal_name=None, **kwargs):
        n = next(counter)
        data = {"legal_name": legal_name or f"Client {n}", "uscc": valid_uscc(tenant.id * 1000 + n), "address": ""}
        data.update(kwargs)
        client = save_client(tenant, data)
        db.session.commit()
        return client

    return make


@pytest.fixture
def make_user(db):
    """Factory: make_user(tenant, role, client=None, email=None) -> a user with that membership."""
    from saas.core.people import add_membership, create_user

    def make(tenant=None, role=None, client=None, email=None, platform_admin=False, name=None):
        email = email or f"{role or 'user'}.{os.urandom(3).hex()}@example.com"
        user = create_user(
            email=email, name=name or email.split("@")[0], password=PASSWORD, platform_admin=platform_admin
        )
        if tenant is not None:
            add_membership(tenant, user, role, client.id if client is not None else None)
        db.session.commit()
        return user

    return make


def valid_uscc(n: int) -> str:
    """A syntactically valid 统一社会信用代码 made from a number (check character computed)."""
    from stdnum.cn import uscc

    body = f"91110108MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


class World:
    """Two vendors, each with two clients and a person in every role: the isolation playground."""

    def __init__(self, make_tenant, make_client_org, make_user):
        from saas.core.models import Role

        self.vendors = {}
        for slug in ("alpha", "beta"):
            tenant = make_tenant(slug, name=f"{slug.title()} Vendor Marker-{slug}")
            clients = [make_client_org(tenant, f"{slug.title()} Client {i} Marker-{slug}-c{i}") for i in (1, 2)]
            people = {}
            for role in Role:
                client = clients[0] if role.is_client else None
                people[role.value] = make_user(tenant, role.value, client, email=f"{role.value}@{slug}.example.com")
            people["client_admin_2"] = make_user(
                tenant, "client_admin", clients[1], email=f"client_admin_2@{slug}.example.com"
            )
            self.vendors[slug] = {"tenant": tenant, "clients": clients, "people": people}

    def tenant(self, slug):
        return self.vendors[slug]["tenant"]

    def clients(self, slug):
        return self.vendors[slug]["clients"]

    def person(self, slug, role):
        return self.vendors[slug]["people"][role]


@pytest.fixture
def world(make_tenant, make_client_org, make_user):
    """Two vendors ("alpha", "beta") with two clients each and people in every role."""
    return World(make_tenant, make_client_org, make_user)


@pytest.fixture
def enable_plugin(db):
    """enable_plugin(tenant, name): switch a plugin on for a tenant."""
    from saas.core.plugins import plugin_manager
    from saas.core.tenants import set_plugin_enabled

    def enable(tenant, name, enabled=True):
        set_plugin_enabled(tenant, name, enabled, plugin_manager().plugin_names())
        db.session.commit()

    return enable


def real_redis_url() -> str:
    """The real Redis database of this test process: AFTERCARE_TEST_REDIS, or 15, 14, … per xdist worker.

    Parallel workers each empty their database before and after every test, so each needs its own.
    """
    if os.environ.get("AFTERCARE_TEST_REDIS"):
        url = os.environ["AFTERCARE_TEST_REDIS"]
        base, _, number = url.rpartition("/")
    else:
        base, number = "redis://127.0.0.1:6379", "15"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw")) if worker.removeprefix("gw").isdigit() else 0
    return f"{base}/{(int(number) - index) % 16}"


@pytest.fixture
def real_redis():
    """The real Redis server (this worker's own database, emptied before and after)."""
    from redis import Redis

    conn = Redis.from_url(real_redis_url())
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def fake_redis():
    """fakeredis with Lua (RQ's scripts need it)."""
    import fakeredis

    return fakeredis.FakeRedis()


@pytest.fixture(params=["real", "fake"])
def redis_conn(request):
    """The same test against the real Redis server and against fakeredis[lua]."""
    return request.getfixturevalue(f"{request.param}_redis")


@pytest.fixture
def live_server(app, db):
    """The app served over HTTP on a free local port, in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base, configured = f"http://127.0.0.1:{server.server_port}", app.config["BASE_URL"]
    app.config["BASE_URL"] = base  # the links the app makes (return and notify URLs, mail) lead back to it
    yield base
    app.config["BASE_URL"] = configured
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where browser tests keep screenshots (test-artifacts/, ignored by git)."""
    path = Path(os.environ.get("AFTERCARE_ARTIFACTS", Path.cwd() / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def contract_data(title: str = "售后服务协议", effective: date | None = None, **terms) -> dict:
    """The fields of a contract form with the product's default terms; override any with keywords."""
    data = {
        "title": title,
        "effective_date": effective or date(2026, 1, 31),
        "party_a_signatory": "王经理",
        "party_b_signatory": "张总",
        "signing_place": "北京",
        "term_years": 1,
        "renewal_notice_months": 1,
        "service_response_hours": 4,
        "onsite_arrival_hours": 24,
        "fault_response_hours": 2,
        "consult_response_hours": 8,
        "penalty_rate": Decimal("0.1000"),
        "dispute_deadline_months": 3,
        "payment_net_days": 30,
        "confidentiality_years": 2,
        "mediation_venue": "",
        "court_venue": "",
    }
    data.update(terms)
    return data


@pytest.fixture
def make_contract(db):
    """Factory: make_contract(tenant, client, lines=[(service_code, qty, fee)], **terms) -> a draft contract."""
    from saas.contracts.services import add_standard_services, create_draft, list_services

    def make(tenant, client, lines=(("REMOTE", "1", "3000.00"),), title="售后服务协议", effective=None, **terms):
        add_standard_services(tenant)
        db.session.flush()
        catalogue = {s.code: s for s in list_services(tenant)}
        rows = [
            {
                "service_id": catalogue[code].id,
                "description": catalogue[code].name_zh,
                "quantity": Decimal(qty),
                "monthly_fee": Decimal(fee),
            }
            for code, qty, fee in lines
        ]
        contract = create_draft(tenant, client.id, contract_data(title, effective, **terms), rows)
        db.session.commit()
        return contract

    return make


@pytest.fixture
def make_signed_contract(db, make_contract):
    """Factory: make_signed_contract(tenant, client, **terms) -> a contract both parties signed (in force)."""
    from saas.contracts import signing
    from saas.core.models import Membership, Role, User

    def person(tenant, role, client=None):
        stmt = select(User).join(Membership).where(Membership.tenant_id == tenant.id, Membership.role == role)
        if client is not None:
            stmt = stmt.where(Membership.client_id == client.id)
        return db.session.scalars(stmt.order_by(User.id)).first()

    def make(tenant, client, **kwargs):
        contract = make_contract(tenant, client, **kwargs)
        signing.send_for_signatures(contract)
        signers = (("B", person(tenant, Role.VENDOR_ADMIN)), ("A", person(tenant, Role.CLIENT_ADMIN, client)))
        for party, signer in signers:
            document = signing.documents(contract)[0]
            signing.sign(contract, party, signer, document.id, document.sha256)
        db.session.commit()
        return contract

    return make
