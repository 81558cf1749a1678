"""Operations: the systemd units' own commands, run in a scratch environment, serve the demo and take jobs;
the nightly backup restores with every row (docs/deploy.md).

Each unit's ExecStart is read from deploy/systemd/ and run as systemd would (its Environment= lines, the
environment file with ${VAR} expanded), with /opt/aftercare standing for this checkout: gunicorn with
gunicorn.conf.py in production mode on PostgreSQL, the two RQ workers and `rq cron` on Redis.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import make_url

from saas.testing.fixtures import PG_ADMIN_URL, PG_APP_ROLE, PRODUCTION_SECRETS, real_redis_url, test_database_kind

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = ("aftercare-web", "aftercare-worker", "aftercare-worker-billing", "aftercare-cron")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(test_database_kind() != "postgresql", reason="production runs on PostgreSQL"),
]


def unit(name: str) -> dict[str, list[str]]:
    """The [Service] settings of a unit file: {key: [values]} (a key may repeat, as Environment= does)."""
    settings: dict[str, list[str]] = {}
    for line in (UNITS / f"{name}.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def env_file(values: dict[str, str]) -> dict[str, str]:
    """deploy/aftercare.env.example with `values` filled in: every variable the example names, no others."""
    example = {}
    for line in (ROOT / "deploy" / "aftercare.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            example[key] = value
    missing = set(values) - set(example)
    assert not missing, f"the example environment file does not name {missing}"
    return {**example, **values}


#: Stands for /run/aftercare (the units' RuntimeDirectory=) in the scratch environment.
RUNTIME = Path(tempfile.gettempdir()) / f"aftercare-run-{os.getpid()}"


def command(name: str, environment: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A unit's ExecStart as systemd runs it: its Environment= lines, ${VAR} expanded, its RuntimeDirectory= made,
    this checkout for /opt/aftercare."""
    settings = unit(name)
    for directory in " ".join(settings.get("RuntimeDirectory", [])).split():
        (RUNTIME / directory.removeprefix("aftercare").lstrip("/")).mkdir(parents=True, exist_ok=True)
    assert settings["WorkingDirectory"] == ["/opt/aftercare"]
    assert settings["EnvironmentFile"] == ["/etc/aftercare/aftercare.env"]
    env = {"PATH": os.environ["PATH"], **environment}
    for assignment in settings.get("Environment", []):
        key, _, value = assignment.partition("=")
        env[key] = value.replace("/run/aftercare", str(RUNTIME))
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], settings["ExecStart"][0])
    argv = [part.replace("/opt/aftercare", str(ROOT)) for part in shlex.split(line)]
    return argv, env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url_for_role(database: str, role: str | None = None) -> str:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    if role:
        url = url.set(username=role, password=role)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def installation(tmp_path_factory, database_url):
    """A scratch installation: its own database (owner and app role), Redis database and environment file."""
    name = f"aftercare_deploy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    redis_url = real_redis_url()
    Redis.from_url(redis_url).flushdb()
    port = free_port()
    instance = tmp_path_factory.mktemp("deploy-instance")
    environment = env_file(
        {
            "AFTERCARE_ENV": "production",
            **PRODUCTION_SECRETS,
            "BASE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": url_for_role(name, PG_APP_ROLE),
            "MIGRATION_DATABASE_URL": url_for_role(name),
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "",
            "MAIL_USERNAME": "",
            "MAIL_PASSWORD": "",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "METRICS_TOKEN": "deploy-check-token",
            "BACKUP_DATABASE_URL": url_for_role(name).replace("+psycopg", ""),
        }
    )
    environment = {k: v for k, v in environment.items() if v != ""}  # unset, as a commented-out line would be
    environment["AFTERCARE_INSTANCE"] = str(instance)
    environment["PYTHONPATH"] = str(ROOT)
    yield {"name": name, "port": port, "env": environment, "redis": redis_url}
    Redis.from_url(redis_url).flushdb()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run_oneshot(argv, env, timeout=300) -> str:
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def running(installation, tmp_path_factory):
    """The migrations unit, the first start's demo seeding, then the four long-running units, as started."""
    env = installation["env"]
    run_oneshot(*command("aftercare-migrate", env))
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "saas", "demo", "--if-empty"]
    assert "demo data seeded" in run_oneshot(flask, {"PATH": os.environ["PATH"], **env})
    logs = tmp_path_factory.mktemp("deploy-logs")
    processes = {}
    for service in SERVICES:
        argv, service_env = command(service, env)
        log = open(logs / f"{service}.log", "w")  # noqa: SIM115 (closed with the process below)
        process = subprocess.Popen(argv, env=service_env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
        processes[service] = (process, log)
    try:
        wait_for_page(installation["port"], processes)
        yield {"processes": processes, "logs": logs, **installation}
    finally:
        for process, _log in processes.values():
            process.terminate()
        for process, log in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def wait_for_page(port, processes, path="/login", seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for service, (process, _) in processes.items():
            assert process.poll() is None, f"{service} stopped with status {process.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:  # noqa: S310
                return response
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"nothing answered on port {port} within {seconds} s")


def get(port: int, path: str, headers: dict | None = None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        return urllib.request.urlopen(request, timeout=10)  # noqa: S310 (http on loopback)
    except urllib.error.HTTPError as error:
        return error


def test_p3_deploy_gunicorn_serves_the_demo_in_production(running):
    response = get(running["port"], "/login", {"Accept-Language": "zh-CN"})
    assert response.status == 200
    page = response.read().decode()
    assert "登录" in page  # the demo's sign-in page, in the browser's language
    assert response.headers["Strict-Transport-Security"]  # production's headers: served as in production
    log = (running["logs"] / "aftercare-web.log").read_text()
    assert "Booting worker" in log and log.count("Booting worker") >= 2  # WEB_CONCURRENCY=2 from the env file
    request_id = response.headers["X-Request-ID"]
    deadline = time.monotonic() + 10  # the access log line is written once the answer has gone
    while f"request_id={request_id}" not in log and time.monotonic() < deadline:
        time.sleep(0.2)
        log = (running["logs"] / "aftercare-web.log").read_text()
    assert f"request_id={request_id}" in log  # the access log names each request as the app does


def test_p3_deploy_health_readiness_and_metrics_answer_behind_gunicorn(running):
    assert get(running["port"], "/healthz").status == 200
    ready = get(running["port"], "/readyz")
    assert ready.status == 200, ready.read()
    assert get(running["port"], "/metrics").status == 401  # METRICS_TOKEN is set in the environment file
    metrics = get(running["port"], "/metrics", {"Authorization": "Bearer deploy-check-token"})
    assert metrics.status == 200 and "aftercare" in metrics.read().decode()


def test_p3_deploy_the_workers_take_jobs_from_their_queues(running):
    conn = Redis.from_url(running["redis"])
    deadline = time.monotonic() + 30
    while len(Worker.all(connection=conn)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    queues = sorted(sorted(q.name for q in worker.queues) for worker in Worker.all(connection=conn))
    assert queues == [["billing"], ["default", "mail"]]

    # A job on each queue, run by the unit that listens to it: both finish.
    jobs = [
        Queue("default", connection=conn).enqueue("saas.core.tasks.forget_old_form_tokens"),
        Queue("billing", connection=conn).enqueue("saas.billing.tasks.mark_overdue_invoices"),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(job.get_status(refresh=True) == "finished" for job in jobs):
        assert not any(job.get_status(refresh=True) == "failed" for job in jobs), [job.exc_info for job in jobs]
        time.sleep(0.5)
    assert [job.get_status(refresh=True) for job in jobs] == ["finished", "finished"]


def test_p3_deploy_rq_cron_registers_every_periodic_job(running):
    from saas.cron import periodic_jobs

    deadline = time.monotonic() + 30
    log_file = running["logs"] / "aftercare-cron.log"
    expected = {job.func.__name__ for job in periodic_jobs()}
    while time.monotonic() < deadline:
        log = log_file.read_text()
        if all(name in log for name in expected):
            break
        time.sleep(0.5)
    assert running["processes"]["aftercare-cron"][0].poll() is None, log_file.read_text()
    missing = {name for name in expected if name not in log_file.read_text()}
    assert not missing, log_file.read_text()


def wait_until_quiet(url: str, still_for: float = 3.0, seconds: float = 180.0) -> None:
    """Return once no row has been inserted, changed or deleted in the database for `still_for` seconds."""
    query = "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
    deadline = time.monotonic() + seconds
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            writes = conn.execute(query).fetchone()[0]
        if writes != last:
            last, since = writes, time.monotonic()
        elif time.monotonic() - since >= still_for:
            return
        time.sleep(0.5)
    raise AssertionError(f"the installation kept writing for {seconds} s")


def test_p3_deploy_the_nightly_backup_restores_every_row(running, tmp_path):
    env = {"PATH": os.environ["PATH"], **running["env"]}
    backup = unit("aftercare-backup")["ExecStart"][0].replace("/opt/aftercare", str(ROOT))
    backup = backup.replace("/var/backups/aftercare", str(tmp_path))
    # The installation is live: just started, its cron and workers catch up on the demo's months (invoices,
    # mails), and any write between the dump and the count shows as a difference. Wait for it to go quiet; a
    # dump that loses rows then differs on every try, a stray write in between does not repeat.
    wait_until_quiet(running["env"]["BACKUP_DATABASE_URL"])
    outputs = []
    for _ in range(3):
        dump = run_oneshot(shlex.split(backup), env).strip().splitlines()[-1]
        assert Path(dump).is_file() and Path(dump).parent == tmp_path
        check = [
            sys.executable,
            str(ROOT / "scripts" / "restore_check.py"),
            dump,
            running["env"]["BACKUP_DATABASE_URL"],
        ]
        done = subprocess.run(check, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)  # noqa: S603
        outputs.append(done.stdout + done.stderr)
        if done.returncode == 0:
            break
    assert "every table has its rows" in outputs[-1], outputs
    with psycopg.connect(running["env"]["BACKUP_DATABASE_URL"], options="-c app.scope=platform") as conn:
        assert conn.execute("SELECT count(*) FROM contract").fetchone()[0] > 0  # the demo's rows were there to copy
