"""/healthz, /readyz, /metrics (with the saas_metrics hook), request ids, JSON logs, and 503s during an outage."""

import json
import logging
import types
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from saas import create_app
from saas.core.plugins import hookimpl
from saas.testing.fixtures import PRODUCTION_SECRETS, SaasClient, test_database_kind

#: The rate limiter is one object for every app of the process: an app given REDIS_URL would move its counters there.
MEMORY = "memory://"


def series(body: str) -> dict[str, list]:
    """{metric family name: [(sample name, labels, value)]} of a Prometheus text answer."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(body)
    }


def other_app(url: str, config: str = "testing", extra_plugins=None, **overrides):
    application = create_app(
        config,
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key",  # the suite's: a session signed by the shared app opens here too
            **(PRODUCTION_SECRETS if config == "production" else {}),
            **overrides,
        },
        extra_plugins=extra_plugins,
    )
    application.test_client_class = SaasClient
    return application


def unreachable_database_url(tmp_path) -> str:
    """A database that does not answer: PostgreSQL on a closed port, or an SQLite file in a missing folder."""
    if test_database_kind() == "postgresql":
        return "postgresql+psycopg://nobody:nothing@127.0.0.1:1/aftercare"
    return f"sqlite:///{tmp_path}/missing/folder/aftercare.db"


# --- /healthz and /readyz -----------------------------------------------------------------------------------


def test_p3_healthz_answers_alive_without_a_cookie_even_with_the_database_down(client, tmp_path):
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json) == (200, {"status": "ok"})
    assert "Set-Cookie" not in answer.headers
    down = other_app(unreachable_database_url(tmp_path)).test_client().get("/healthz")
    assert (down.status_code, down.json) == (200, {"status": "ok"})


def test_p3_readyz_is_ready_when_the_database_answers_and_is_at_head(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "not configured"},
    }
    assert "Set-Cookie" not in answer.headers


def test_p3_readyz_fails_when_the_database_is_down(app, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        answer = other_app(unreachable_database_url(tmp_path)).test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    assert answer.json["checks"]["database"] == "unreachable"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_p3_readyz_fails_when_the_migrations_are_not_at_head(app, tmp_path):
    url = f"sqlite:///{tmp_path}/behind.db"
    behind = other_app(url)
    assert behind.test_client().get("/readyz").json["checks"]["migrations"].startswith("not at head")  # never migrated
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(64) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0012_late_payment')"))
    engine.dispose()
    answer = behind.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["database"] == "ok"
    assert answer.json["checks"]["migrations"].startswith("not at head: ")


def test_p3_readyz_fails_when_redis_is_configured_and_does_not_answer(app, database_url):
    configured = other_app(database_url, REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI=MEMORY)
    answer = configured.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["redis"] == "unreachable"
    assert answer.json["checks"]["database"] == "ok"


def test_p3_probes_answer_whatever_host_a_load_balancer_names_in_production(tmp_path):
    production = other_app(f"sqlite:///{tmp_path}/p.db", "production", BASE_URL="https://aftercare.example.com")
    browser = production.test_client()
    assert browser.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200
    assert browser.get("/login", headers={"Host": "10.0.0.7:8000"}).status_code == 400  # pages still refuse it


# --- request ids and logs -----------------------------------------------------------------------------------


def test_p3_a_request_id_is_taken_from_the_caller_or_made_and_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42.a"}).headers["X-Request-ID"] == "lb-42.a"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]


def test_p3_json_logs_carry_the_request_id_on_every_line(app):
    from saas.core.operations import RequestIdFilter, configure_logging

    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        configure_logging("json")
        assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
        with app.test_request_context("/", headers={"X-Request-ID": "abc-123"}):
            app.preprocess_request()
            record = logging.LogRecord("saas.test", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
            assert handler.filter(record)
            line = json.loads(handler.format(record))
        assert line["message"] == "hello there" and line["request_id"] == "abc-123"
        assert (line["level"], line["logger"]) == ("WARNING", "saas.test")
    finally:
        root.removeHandler(handler)


# --- /metrics -------------------------------------------------------------------------------------------------


def test_p3_metrics_expose_request_latency_the_sla_sweep_lag_and_the_last_billing_run(client, db, world):
    from saas.billing.models import BillingRun

    client.get("/healthz")
    client.get("/no-such-page")
    body = client.get("/metrics").get_data(as_text=True)
    found = series(body)
    latency = found["aftercare_request_duration_seconds"]
    assert ("aftercare_request_duration_seconds_count", {"endpoint": "operations.healthz", "status": "200"}) in [
        (name, labels) for name, labels, _ in latency
    ]
    assert any(labels == {"endpoint": "unmatched", "status": "404"} for _, labels, _ in latency)
    assert found["aftercare_sla_oldest_unswept_deadline_age_seconds"][0][2] == 0.0
    assert "aftercare_billing_last_run_duration_seconds" not in found  # no run yet
    assert "aftercare_rq_queue_jobs" not in found  # no Redis configured

    start = datetime(2026, 1, 14, 16, 30, tzinfo=UTC)
    for tenant, finished in ((world.tenant("alpha"), start + timedelta(seconds=42)), (world.tenant("beta"), None)):
        db.session.add(
            BillingRun(
                tenant_id=tenant.id,
                run_day=date(2026, 1, 15),
                started_at=start,
                finished_at=finished,
                chunks=1,
                chunks_done=1 if finished else 0,
                invoices_created=3,
            )
        )
    db.session.commit()
    found = series(client.get("/metrics").get_data(as_text=True))
    assert found["aftercare_billing_last_run_success"][0][2] == 0.0  # beta's part has not finished
    assert found["aftercare_billing_last_run_invoices"][0][2] == 6
    assert found["aftercare_billing_last_run_started_timestamp_seconds"][0][2] == start.timestamp()
    beta_run = db.session.scalars(db.select(BillingRun).where(BillingRun.finished_at.is_(None))).one()
    beta_run.finished_at, beta_run.chunks_done = start + timedelta(seconds=90), 1
    db.session.commit()
    found = series(client.get("/metrics").get_data(as_text=True))
    assert found["aftercare_billing_last_run_success"][0][2] == 1.0
    assert found["aftercare_billing_last_run_duration_seconds"][0][2] == 90.0


def test_p3_metrics_show_how_late_the_sla_sweep_is(client, db, clock, world, make_signed_contract):
    from saas.calendars import services as calendar_service
    from saas.requests import services as request_services

    tenant, client_org = world.tenant("alpha"), world.clients("alpha")[0]
    make_signed_contract(tenant, client_org, effective=date(2026, 1, 1))
    always = calendar_service.save_calendar(tenant, {"name": "7x24", "timezone": "Asia/Shanghai", "always": True})
    request_services.add_standard_categories(tenant, always=always, office=always)
    db.session.commit()
    fault = next(c for c in request_services.categories(tenant) if c.code == "FAULT")
    request_services.create_request(
        tenant,
        client_org.id,
        {"category_id": fault.id, "priority": "urgent", "subject": "宕机"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    clock.advance(hours=2, minutes=5)  # due after 2 hours; nothing swept it
    found = series(client.get("/metrics").get_data(as_text=True))
    assert found["aftercare_sla_oldest_unswept_deadline_age_seconds"][0][2] == 300.0


def test_p3_metrics_count_the_rq_queues_and_failed_jobs_when_redis_is_configured(app, database_url, fake_redis):
    from rq import Queue

    configured = other_app(database_url, REDIS_URL="redis://fake", RATELIMIT_STORAGE_URI=MEMORY)
    configured.extensions["redis"] = fake_redis
    Queue("mail", connection=fake_redis).enqueue(print, "hello")
    found = series(configured.test_client().get("/metrics").get_data(as_text=True))
    waiting = {labels["queue"]: value for _, labels, value in found["aftercare_rq_queue_jobs"]}
    assert waiting == {"default": 0, "mail": 1, "billing": 0}
    assert {labels["queue"] for _, labels, _ in found["aftercare_rq_failed_jobs"]} == {"default", "mail", "billing"}


def test_p3_metrics_refuse_without_the_token_in_production(tmp_path):
    url = f"sqlite:///{tmp_path}/p.db"
    closed = other_app(url, "production", BASE_URL="https://aftercare.example.com")
    assert closed.test_client().get("/metrics", headers={"Host": "aftercare.example.com"}).status_code == 404
    guarded = other_app(url, "production", BASE_URL="https://aftercare.example.com", METRICS_TOKEN="s3cret-token")
    browser = guarded.test_client()
    assert browser.get("/metrics").status_code == 401
    assert browser.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = browser.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert "aftercare_request_duration_seconds" in answer.get_data(as_text=True)


class _TicketsBacklog:
    def collect(self):
        gauge = GaugeMetricFamily("helpdesk_tickets_open", "Open tickets.")
        gauge.add_metric([], 7)
        return [gauge]


class _Broken:
    def collect(self):
        raise RuntimeError("the helpdesk's database is away")


def test_hook_saas_metrics_a_plugin_adds_its_gauges_and_a_failing_one_loses_only_its_own(app, database_url, caplog):
    helpdesk = types.ModuleType("helpdesk_metrics")
    helpdesk.saas_metrics = hookimpl(lambda: [_TicketsBacklog(), _Broken()])
    with_plugin = other_app(database_url, extra_plugins={"helpdesk": helpdesk})
    with caplog.at_level(logging.WARNING):
        found = series(with_plugin.test_client().get("/metrics").get_data(as_text=True))
    assert found["helpdesk_tickets_open"][0][2] == 7
    assert "aftercare_sla_oldest_unswept_deadline_age_seconds" in found  # the domains' gauges are still there
    assert any("helpdesk" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


# --- 503 while a dependency is down -----------------------------------------------------------------------


@pytest.fixture
def outage(client, world, tmp_path):
    """A browser signed in on the real database, then sent to the same app whose database does not answer."""
    client.sign_in(world.person("alpha", "vendor_admin").email)
    cookie = client.get_cookie("aftercare_session")
    down = other_app(unreachable_database_url(tmp_path))
    browser = down.test_client()
    browser.set_cookie("aftercare_session", cookie.value)
    return browser


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "The service is briefly unavailable"), ("zh-CN,zh;q=0.9", "服务暂时无法使用")],
)
def test_p3_an_unreachable_database_answers_503_with_retry_after_in_the_users_language(
    outage, caplog, language, expected
):
    with caplog.at_level(logging.WARNING):
        answer = outage.get("/t/alpha/", headers={"Accept-Language": language})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert expected in answer.get_data(as_text=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "unreachable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None  # one line, no stack trace
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_p3_an_unreachable_database_answers_503_json_on_the_api(outage):
    answer = outage.get("/api/v1/requests", headers={"Authorization": "Bearer at_whatever"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert answer.json["error"] == "Service unavailable"


def test_p3_a_connection_ended_by_the_server_at_the_end_of_a_request_is_a_warning_not_a_500(
    app, database_url, monkeypatch, caplog
):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from saas.extensions import db

    served = other_app(database_url)

    @served.get("/reads-the-database")
    def reads():
        db.session.execute(text("SELECT 1"))
        return "read"

    real_close = Session.close
    ended = []

    def close_on_a_dead_connection(session):
        if not ended:  # PostgreSQL restarted between the answer and the session's ROLLBACK
            ended.append(session)
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        return real_close(session)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    with caplog.at_level(logging.WARNING):
        answer = served.test_client().get("/reads-the-database")
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "read")
    assert ended
    assert any("went away" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
