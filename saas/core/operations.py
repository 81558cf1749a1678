"""Running it: request ids, JSON logs, /healthz, /readyz and /metrics (docs/operations.md).

- Every request has an id: the caller's `X-Request-ID` when it is a sane one, else a new one; it is echoed in the
  response's `X-Request-ID` and, with LOG_FORMAT=json, on every log line written while the request runs.
- `/healthz`: the process answers (nothing else is asked). `/readyz`: the database answers, Redis answers when
  configured, and the database's migrations are at the scripts' heads; cached for READINESS_CACHE_SECONDS.
  Neither sets a cookie, and both answer whatever Host the caller names (a load balancer's probe names an
  address), since their JSON holds no link.
- `/metrics`: Prometheus's text format (prometheus-client). Request latency by endpoint and status, the RQ
  queues' depths and failed jobs when Redis is configured, and each domain's gauges from the saas_metrics hook.
  With METRICS_TOKEN set it asks for `Authorization: Bearer <token>`; unset, it answers 404 in production and is
  open in development. With PROMETHEUS_MULTIPROC_DIR set (gunicorn's workers), the request series are shared
  between processes through prometheus-client's multiprocess mode.
"""

import hmac
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Response, abort, current_app, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

log = logging.getLogger(__name__)

bp = Blueprint("operations", __name__)

#: The paths a probe or a scraper calls (no tenant, no session, any Host).
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
#: A caller's request id is kept when it is this plain; anything else is replaced by a new one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

#: This process's request series (in multiprocess mode their values live in PROMETHEUS_MULTIPROC_DIR instead).
_REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "aftercare_request_duration_seconds",
    "Time to answer a request, by endpoint and HTTP status.",
    ["endpoint", "status"],
    registry=_REGISTRY,
)


def install(app) -> None:
    """Request ids, the request histogram and the probes' Host exemption; call before any other hook registers."""
    app.before_request(_begin)
    app.after_request(_finish)
    app.wsgi_app = ProbeHostMiddleware(app.wsgi_app, app)


# --- request ids and logs -----------------------------------------------------------------------------------


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _begin():
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    rid = g.get("request_id")
    if rid:
        response.headers["X-Request-ID"] = rid
    started = g.get("request_started")
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(endpoint, str(response.status_code)).observe(time.perf_counter() - started)
    return response


class RequestIdFilter(logging.Filter):
    """Puts the request id (or "-") on every record, for the JSON formatter."""

    def filter(self, record):
        record.request_id = request_id() or "-"
        return True


def configure_logging(log_format: str) -> None:
    """Every handler of the root logger gets the request id; LOG_FORMAT=json makes each line a JSON object."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if log_format == "json":
            from pythonjsonlogger.json import JsonFormatter

            handler.setFormatter(
                JsonFormatter(
                    "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                    rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                )
            )


# --- probes -------------------------------------------------------------------------------------------------


class ProbeHostMiddleware:
    """A probe may name any host: its Host is replaced by a trusted one before TRUSTED_HOSTS is checked.

    Load balancers and Prometheus call the pod's address; the probes' answers carry no link built on the host.
    """

    def __init__(self, wsgi_app, app):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        trusted = self.app.config.get("TRUSTED_HOSTS")
        if trusted and environ.get("PATH_INFO") in PROBE_PATHS:
            host = next((h for h in trusted if not h.startswith(".")), trusted[0].lstrip("."))
            environ["HTTP_HOST"] = host
        return self.wsgi_app(environ, start_response)


@bp.get("/healthz")
def healthz():
    """Alive: the process answers. Asks nothing of the database or Redis."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready: the database answers and is migrated to the heads, and Redis answers when configured."""
    app = current_app._get_current_object()
    cache_for = app.config.get("READINESS_CACHE_SECONDS", 5)
    cached = app.extensions.get("readiness")
    if cached is not None and cache_for and time.monotonic() - cached[0] < cache_for:
        checks = cached[1]
    else:
        checks = readiness_checks(app)
        app.extensions["readiness"] = (time.monotonic(), checks)
    ready = all(value == "ok" or value == "not configured" for value in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


def readiness_checks(app) -> dict[str, str]:
    """{"database": …, "migrations": …, "redis": …}: "ok", "not configured" or what is wrong."""
    from saas.extensions import db

    checks = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            try:
                applied = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except Exception:
                applied = set()
        heads = script_heads(app)
        if applied == heads:
            checks["migrations"] = "ok"
        else:
            missing = sorted(heads - applied)
            checks["migrations"] = "not at head: " + (", ".join(missing) if missing else "unknown revision")
    except Exception as error:
        log.warning("readiness: the database does not answer: %s", _first_line(error))
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    if app.config.get("REDIS_URL"):
        from saas.jobs import redis_connection

        try:
            redis_connection(app).ping()
            checks["redis"] = "ok"
        except Exception as error:
            log.warning("readiness: Redis does not answer: %s", _first_line(error))
            checks["redis"] = "unreachable"
    else:
        checks["redis"] = "not configured"
    return checks


def script_heads(app) -> set[str]:
    """The heads of the core's and every plugin's migration scripts (read once per process: they do not change)."""
    heads = app.extensions.get("migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        migrate_ext = app.extensions["migrate"]
        config = migrate_ext.migrate.get_config(migrate_ext.directory)
        heads = app.extensions["migration_heads"] = set(ScriptDirectory.from_config(config).get_heads())
    return heads


def _first_line(error) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# --- metrics ------------------------------------------------------------------------------------------------


@bp.get("/metrics")
def metrics():
    """The Prometheus text format; a bearer token when METRICS_TOKEN is set, 404 in production without one."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}, "text/plain")
    elif not current_app.config.get("METRICS_OPEN"):
        abort(404)
    from saas.core import dbscope

    with dbscope.platform():  # the domains' gauges count every tenant's rows
        body = generate_latest(scrape_registry(current_app))
    return Response(body, 200, mimetype=CONTENT_TYPE_LATEST)


def scrape_registry(app) -> CollectorRegistry:
    """This scrape's series: the requests', the queues' and each domain's (saas_metrics), each collected safely."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(_REGISTRY))
    if app.config.get("REDIS_URL"):
        registry.register(Guarded("rq", QueueCollector(app)))
    for impl in app.extensions["plugins"].hook.saas_metrics.get_hookimpls():
        for collector in impl.function() or []:
            registry.register(Guarded(impl.plugin_name, collector))
    return registry


class _Forward:
    """The series of another registry, as one collector."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


class Guarded:
    """A collector whose failure (its database or Redis is down) loses only its own series, with one warning."""

    def __init__(self, owner: str, collector):
        self.owner, self.collector = owner, collector

    def collect(self):
        try:
            families = list(self.collector.collect())
        except Exception as error:
            log.warning("metrics: %s's gauges are left out: %s", self.owner, _first_line(error))
            return []
        return families


class QueueCollector:
    """The RQ queues: jobs waiting and jobs failed, per queue."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from rq import Queue
        from rq.registry import FailedJobRegistry

        from saas.jobs import QUEUES, redis_connection

        conn = redis_connection(self.app)
        waiting = GaugeMetricFamily("aftercare_rq_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "aftercare_rq_failed_jobs", "Jobs in each RQ queue's failed registry.", labels=["queue"]
        )
        for name in QUEUES:
            queue = Queue(name, connection=conn)
            waiting.add_metric([name], queue.count)
            failed.add_metric([name], FailedJobRegistry(queue=queue).count)
        return [waiting, failed]
