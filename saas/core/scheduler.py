"""The embedded scheduler: without Redis, the web process runs every periodic job itself, on its cron string.

With REDIS_URL set, `rq cron saas.cron` and the RQ workers run the same jobs (the saas_periodic_jobs hook) and
this never starts. Without it, `start(app)` (called by wsgi.py, so only when serving: `flask run`, gunicorn)
starts one thread that wakes each minute and runs, inline and one at a time, every job whose cron string (UTC,
read by croniter, as `rq cron` reads it) fired since the job last ran. A job that raises is logged and runs again
at its next time; it never stops the others.

Only one process runs the jobs, however many serve (gunicorn's workers, the Flask reloader's two processes): the
one holding an OS file lock (flock) on `scheduler.lock` in the instance directory. The others try again each
minute, so when the holder stops another takes over. When each job last ran is kept in `scheduler.json` beside
it: a server that was stopped when a job was due runs it once at its first tick (coalesced, as anacron does),
and so does a fresh instance, once for each job, since every job is safe to run twice.

Tests drive `Scheduler.run_due(now)` with their own clock; nothing starts in tests or CLI commands.
"""

import fcntl
import json
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path

from croniter import croniter

from saas.core.plugins import PeriodicJob, periodic_jobs

log = logging.getLogger(__name__)

LOCK_FILE = "scheduler.lock"
STATE_FILE = "scheduler.json"
#: How far past each minute the thread wakes, so that a job due on the minute is seen as due.
WAKE_OFFSET = 0.5


def job_name(job: PeriodicJob) -> str:
    """A job's name in the log and the state file, as `rq cron` names it: module.function."""
    return f"{job.func.__module__}.{job.func.__qualname__}"


class Scheduler:
    """Runs each job whose cron string fired since it last ran; `run_due(now)` is one tick."""

    def __init__(self, app, jobs: list[PeriodicJob], state_path: Path | None = None):
        self.app = app
        self.jobs = list(jobs)
        self.state_path = Path(state_path) if state_path else None
        #: When each job (by name) last ran: the tick's time, whether it succeeded or not.
        self.last_run: dict[str, datetime] = self._load()

    def due(self, now: datetime) -> list[PeriodicJob]:
        """The jobs whose cron fired after their last run and at or before `now`; a job never run is due."""
        due = []
        for job in self.jobs:
            last = self.last_run.get(job_name(job))
            if last is None or croniter(job.cron, last).get_next(datetime) <= now:
                due.append(job)
        return due

    def run_due(self, now: datetime) -> dict[str, bool]:
        """Run each due job once, one at a time, in the declared order; returns {name: succeeded}."""
        outcomes = {}
        for job in self.due(now):
            name = job_name(job)
            self.last_run[name] = now  # a failure is retried at the job's next time, not at every tick
            outcomes[name] = self._run(job, name)
        if outcomes:
            self._save()
        return outcomes

    def _run(self, job: PeriodicJob, name: str) -> bool:
        started = time.monotonic()
        log.info("periodic job %s (%s) starts", name, job.cron)
        try:
            with self.app.app_context():
                result = job.func()
        except Exception:
            log.exception(
                "periodic job %s failed after %.1f s; it runs again at its next time (%s)",
                name,
                time.monotonic() - started,
                job.cron,
            )
            return False
        log.info("periodic job %s done in %.1f s: %r", name, time.monotonic() - started, result)
        return True

    def _load(self) -> dict[str, datetime]:
        if self.state_path is None or not self.state_path.exists():
            return {}
        try:
            raw = json.loads(self.state_path.read_text())
            return {name: datetime.fromisoformat(when) for name, when in raw.items()}
        except (ValueError, TypeError, AttributeError):
            log.warning("embedded scheduler: %s is unreadable; every job runs at the first tick", self.state_path)
            return {}

    def _save(self) -> None:
        if self.state_path is None:
            return
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({name: when.isoformat() for name, when in sorted(self.last_run.items())}))
        os.replace(tmp, self.state_path)


class FileLock:
    """An exclusive, non-blocking flock on a file: held by one open file at a time, across processes.

    flock (not lockf) so that two holders in one process exclude each other too. A child forked from the
    holder (gunicorn with preload_app) closes its copy of the descriptor: the lock stays the parent's.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free; True while this object holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        os.register_at_fork(after_in_child=self._forget)
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _forget(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # the parent's lock is untouched: the open file description is still its
            self._fd = None


class EmbeddedScheduler(threading.Thread):
    """The thread: each minute, take the lock if free, and if held run the due jobs."""

    def __init__(self, scheduler: Scheduler, lock: FileLock, clock):
        super().__init__(name="embedded-scheduler", daemon=True)
        self.scheduler, self.lock, self.clock = scheduler, lock, clock
        self.stopping = threading.Event()
        self._told_waiting = False

    def tick(self) -> dict[str, bool]:
        """One minute's work: runs the due jobs if this process holds the lock; returns what ran."""
        if not self.lock.held:
            if not self.lock.acquire():
                if not self._told_waiting:
                    log.info("embedded scheduler: another process holds %s and runs the periodic jobs", self.lock.path)
                    self._told_waiting = True
                return {}
            log.info(
                "embedded scheduler: process %d runs the %d periodic jobs (lock %s)",
                os.getpid(),
                len(self.scheduler.jobs),
                self.lock.path,
            )
        return self.scheduler.run_due(self.clock.now())

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # the state file or the lock: logged, and the thread goes on
                log.exception("embedded scheduler: the tick failed")
            self.stopping.wait(60 - time.time() % 60 + WAKE_OFFSET)

    def stop(self) -> None:
        self.stopping.set()
        self.lock.release()


def serving() -> bool:
    """Whether this process serves requests: a WSGI server imported the app, or `flask run` (its serving process).

    Other CLI commands (`flask db upgrade`, `flask saas demo`) load the app too, and must not schedule.
    """
    import click
    from flask.helpers import get_debug_flag
    from werkzeug.serving import is_running_from_reloader

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    if ctx.command.name != "run":
        return False
    reload = ctx.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()  # the reloader's watcher process serves nothing


def start(app) -> EmbeddedScheduler | None:
    """Start the embedded scheduler when this process serves and the config asks for it (EMBEDDED_SCHEDULER)."""
    from saas.config import INSTANCE_DIR

    if app.config.get("TESTING") or app.config.get("REDIS_URL") or not app.config.get("EMBEDDED_SCHEDULER"):
        return None
    if not serving():
        return None
    jobs = periodic_jobs(app.extensions["plugins"])
    instance = Path(app.config.get("SCHEDULER_DIR") or INSTANCE_DIR)
    scheduler = Scheduler(app, jobs, state_path=instance / STATE_FILE)
    thread = EmbeddedScheduler(scheduler, FileLock(instance / LOCK_FILE), app.extensions["clock"])
    log.info(
        "embedded scheduler: %d periodic jobs, inline in this process (REDIS_URL is not set): %s",
        len(jobs),
        ", ".join(f"{job_name(j)} [{j.cron}]" for j in jobs),
    )
    thread.start()
    app.extensions["scheduler"] = thread
    return thread
