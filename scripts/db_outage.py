"""PostgreSQL restarts under load: every answer is a 200 or a 503, and 200s come back by themselves.

    .venv/bin/python scripts/db_outage.py

It makes a scratch database, migrates it and seeds the demo, serves it with `flask run` on 127.0.0.1, signs in
8 clients that each load the vendor dashboard (which reads the database) in a loop, restarts the PostgreSQL
cluster in the middle (`pg_ctlcluster --skip-systemctl-redirect <version> main restart`), and checks the answers.
It then drops the scratch database.

Restarting PostgreSQL ends EVERY connection to the cluster, other people's tests included: it is not part of
the test suite. Run it by hand, on a machine of your own, at a quiet moment. Bounded: about 30 seconds of load.
Options by environment: OUTAGE_PG_ADMIN (default postgresql://postgres@127.0.0.1:5432/postgres), OUTAGE_PORT,
OUTAGE_NO_RESTART=1 (everything but the restart: to check the script itself).
"""

import collections
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ADMIN = os.environ.get("OUTAGE_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PORT = int(os.environ.get("OUTAGE_PORT", "5078"))
BASE = f"http://127.0.0.1:{PORT}"
CLIENTS = 8
BEFORE, AFTER = 6.0, 15.0  # seconds of load before the restart, and after it ends
PAGE = "/t/huayun/"
EMAIL, PASSWORD = "vendor.admin@huayun.example.com", "demo-password-2026"


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0]


def scratch_database() -> tuple[str, str]:
    name = f"aftercare_outage_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    return name, url


def drop_database(name: str) -> None:
    for _ in range(30):  # PostgreSQL may still be starting
        try:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            time.sleep(1)


def flask(env, *args, **kwargs):
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603 (our own flask)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own server on the loopback)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url}")


def signed_in_opener():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{BASE}/login", timeout=10).read().decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD}).encode()
    landed = opener.open(f"{BASE}/login", data=form, timeout=10)
    assert landed.url.rstrip("/").endswith("/t/huayun"), f"sign-in failed: landed on {landed.url}"
    return opener


def client_loop(opener, stop: threading.Event, answers: list) -> None:
    count = 0
    while not stop.is_set() and count < 5000:
        count += 1
        started = time.monotonic()
        try:
            status = opener.open(f"{BASE}{PAGE}", timeout=15).status
        except urllib.error.HTTPError as error:
            status = error.code
            if status == 503:
                assert error.headers.get("Retry-After"), "a 503 without Retry-After"
        except OSError as error:
            status = f"error: {error}"
        answers.append((started, time.monotonic(), status))


def main() -> int:
    version = pg_version()
    name, url = scratch_database()
    instance = tempfile.mkdtemp(prefix="aftercare-outage-")
    env = {
        **os.environ,
        "AFTERCARE_ENV": "development",
        "AFTERCARE_INSTANCE": instance,
        "DATABASE_URL": url,
        "EMBEDDED_SCHEDULER": "0",  # the requests alone are measured
        "BASE_URL": BASE,
    }
    env.pop("REDIS_URL", None)
    log_path = Path(instance) / "server.log"
    server = None
    try:
        flask(env, "db", "upgrade", "heads", capture_output=True)
        flask(env, "saas", "demo", capture_output=True)
        with log_path.open("w") as log:
            server = subprocess.Popen(  # noqa: S603 (our own flask, fixed arguments)
                [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(PORT)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(f"{BASE}/healthz")
        openers = [signed_in_opener() for _ in range(CLIENTS)]
        answers: list = []
        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(o, stop, answers)) for o in openers]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE)
        restart_began = time.monotonic()
        if os.environ.get("OUTAGE_NO_RESTART") != "1":  # =1: a rehearsal of the script itself, no restart
            subprocess.run(  # noqa: S603 (fixed arguments)
                [
                    shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster",
                    "--skip-systemctl-redirect",
                    version,
                    "main",
                    "restart",
                ],
                check=True,
            )
        restart_ended = time.monotonic()
        time.sleep(AFTER)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        drop_database(name)

    statuses = collections.Counter(status for _, _, status in answers)
    during = collections.Counter(s for a, b, s in answers if b >= restart_began and a <= restart_ended + 1)
    first_200_after = min((b for a, b, s in answers if a > restart_ended and s == 200), default=None)
    tail = [s for a, _, s in answers if a > restart_ended + AFTER - 5]  # the last 5 seconds
    server_log = log_path.read_text()
    tracebacks = server_log.count("Traceback")
    warnings = len(re.findall(r"WARNING .*is unreachable", server_log))
    print(f"PostgreSQL {version}: restart took {restart_ended - restart_began:.1f} s")
    print(f"{len(answers)} answers from {CLIENTS} clients: {dict(statuses)}")
    print(f"around the restart: {dict(during)}")
    if first_200_after is not None:
        print(f"first 200 after the restart ended: {first_200_after - restart_ended:.2f} s later")
    print(f"last 5 s: {dict(collections.Counter(tail))}")
    print(f"server log: {warnings} 'unreachable' warnings, {tracebacks} tracebacks")
    ok = (
        set(statuses) <= {200, 503}
        and bool(tail)
        and all(s == 200 for s in tail)
        and tracebacks == 0
        and first_200_after is not None
    )
    print("OK: only 200 and 503, and 200 again afterwards" if ok else "FAILED")
    if not ok:
        print(server_log[-5000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
