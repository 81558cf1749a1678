"""The embedded scheduler (saas/core/scheduler.py): each due job once per tick, failures isolated, one process only."""

import logging
import subprocess
import sys
import types
from datetime import UTC, date, datetime, timedelta

import click
import pytest
from sqlalchemy import select

from saas.core.clock import now
from saas.core.plugins import PeriodicJob, PeriodicJobError, build_plugin_manager, hookimpl, periodic_jobs
from saas.core.scheduler import EmbeddedScheduler, FileLock, Scheduler, job_name, serving, start

T0 = datetime(2026, 1, 15, 2, 0, 30, tzinfo=UTC)


class Recorder:
    """Job functions that note the app clock's time of each run (so they ran inside an app context)."""

    def __init__(self):
        self.runs: dict[str, list[datetime]] = {}

    def job(self, name: str, cron: str, fail: bool = False) -> PeriodicJob:
        def func():
            self.runs.setdefault(name, []).append(now())
            if fail:
                raise RuntimeError(f"{name} broke")
            return name

        func.__qualname__ = name
        return PeriodicJob(func, cron=cron)

    def counts(self) -> dict[str, int]:
        return {name: len(times) for name, times in self.runs.items()}


def test_p3_scheduler_runs_each_due_job_exactly_once_per_tick_on_the_injected_clock(app, clock):
    jobs = Recorder()
    scheduler = Scheduler(
        app, [jobs.job("every_minute", "* * * * *"), jobs.job("hourly", "0 * * * *"), jobs.job("daily", "5 16 * * *")]
    )

    def tick(at):
        clock.set(at)
        return {name.rsplit(".", 1)[1] for name in scheduler.run_due(at)}

    # The first tick of a fresh instance runs every job once: it catches up what it never ran.
    assert tick(T0) == {"every_minute", "hourly", "daily"}
    assert tick(T0 + timedelta(seconds=10)) == set()  # nothing fired since
    # Five minutes without a tick (a long job held the thread): the minute job runs once, not five times.
    assert tick(datetime(2026, 1, 15, 2, 5, 0, 500000, tzinfo=UTC)) == {"every_minute"}
    assert tick(datetime(2026, 1, 15, 3, 0, 0, 500000, tzinfo=UTC)) == {"every_minute", "hourly"}
    assert tick(datetime(2026, 1, 15, 16, 5, 0, 500000, tzinfo=UTC)) == {"every_minute", "hourly", "daily"}
    assert tick(datetime(2026, 1, 15, 16, 5, 30, tzinfo=UTC)) == set()
    assert jobs.counts() == {"every_minute": 4, "hourly": 3, "daily": 2}
    # Each ran on the injected clock's time of its tick.
    assert jobs.runs["daily"] == [T0, datetime(2026, 1, 15, 16, 5, 0, 500000, tzinfo=UTC)]


def test_p3_scheduler_a_failing_job_is_logged_does_not_stop_the_others_and_runs_again_at_its_next_time(
    app, clock, caplog
):
    jobs = Recorder()
    first, broken, last = (
        jobs.job("first", "* * * * *"),
        jobs.job("broken", "*/10 * * * *", fail=True),
        jobs.job("last", "* * * * *"),
    )
    scheduler = Scheduler(app, [first, broken, last])
    with caplog.at_level(logging.INFO, logger="saas.core.scheduler"):
        outcomes = scheduler.run_due(T0)
    assert outcomes == {job_name(first): True, job_name(broken): False, job_name(last): True}
    failure = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failure) == 1 and "broken" in failure[0].getMessage() and failure[0].exc_info
    # Not retried at every tick: at its next time (02:10), and the others go on meanwhile.
    assert scheduler.run_due(datetime(2026, 1, 15, 2, 1, 0, 500000, tzinfo=UTC)) == {
        job_name(first): True,
        job_name(last): True,
    }
    assert set(scheduler.run_due(datetime(2026, 1, 15, 2, 10, 0, 500000, tzinfo=UTC))) == {
        job_name(first),
        job_name(broken),
        job_name(last),
    }
    assert jobs.counts() == {"first": 3, "broken": 2, "last": 3}


def test_p3_scheduler_keeps_when_each_job_ran_across_restarts(app, tmp_path):
    jobs = Recorder()
    daily = jobs.job("daily", "5 16 * * *")
    Scheduler(app, [daily], state_path=tmp_path / "scheduler.json").run_due(T0)
    # A restart the same morning: the job already ran, so it waits for 16:05.
    again = Scheduler(app, [daily], state_path=tmp_path / "scheduler.json")
    assert again.run_due(T0 + timedelta(hours=1)) == {}
    # A server that was stopped over 16:05 runs it once at its first tick after.
    later = Scheduler(app, [daily], state_path=tmp_path / "scheduler.json")
    assert later.run_due(T0 + timedelta(days=2)) == {job_name(daily): True}
    assert jobs.counts() == {"daily": 2}


def test_p3_scheduler_runs_the_real_jobs_the_sla_sweep_breaches_and_the_contract_enters_its_renewal_window(
    app, db, clock, world, make_signed_contract
):
    """The done-when story of `make run`: one tick of the real job list moves both clocks."""
    from saas.calendars import services as calendar_service
    from saas.contracts.models import Contract, ContractStatus
    from saas.requests import services as request_services
    from saas.requests.models import SlaBreach

    tenant, client = world.tenant("alpha"), world.clients("alpha")[0]
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    contract = make_signed_contract(tenant, client, effective=date(2026, 1, 31), renewal_notice_months=2)
    always = calendar_service.save_calendar(tenant, {"name": "7x24", "timezone": "Asia/Shanghai", "always": True})
    request_services.add_standard_categories(tenant, always=always, office=always)
    db.session.commit()
    fault = next(c for c in request_services.categories(tenant) if c.code == "FAULT")
    clock.set(datetime(2026, 12, 3, 1, 0, tzinfo=UTC))  # in the window (from 30 Nov), a fault raised now
    req = request_services.create_request(
        tenant,
        client.id,
        {"category_id": fault.id, "priority": "urgent", "subject": "核心交换机宕机"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    assert db.session.get(Contract, contract.id).status == ContractStatus.ACTIVE

    wanted = {"saas.requests.tasks.sweep_sla_breaches", "saas.contracts.tasks.refresh_contract_statuses"}
    scheduler = Scheduler(app, [j for j in periodic_jobs(app.extensions["plugins"]) if job_name(j) in wanted])
    at = datetime(2026, 12, 3, 3, 0, 30, tzinfo=UTC)  # two hours later: the response is late
    clock.set(at)
    assert scheduler.run_due(at) == dict.fromkeys(wanted, True)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == ContractStatus.EXPIRING
    breaches = db.session.scalars(select(SlaBreach).where(SlaBreach.request_id == req.id)).all()
    assert [b.kind for b in breaches] == ["response"]


# --- cron strings checked at start-up -----------------------------------------------------------------------


def _plugin_with_cron(cron: str):
    module = types.ModuleType("nightly_reports")

    @hookimpl
    def saas_periodic_jobs():
        return [PeriodicJob(print, cron=cron)]

    module.saas_periodic_jobs = saas_periodic_jobs
    return module


@pytest.mark.parametrize(
    ("cron", "reason"),
    [("61 * * * *", "cannot be read"), ("0 2 * *", "has 4 fields"), ("0 0 2 * * *", "has 6 fields")],
)
def test_p3_a_malformed_cron_string_stops_start_up_naming_the_plugin(database_url, cron, reason):
    from saas import create_app

    with pytest.raises(PeriodicJobError) as refused:
        create_app(
            "testing",
            overrides={"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"},
            extra_plugins={"nightly_reports": _plugin_with_cron(cron)},
        )
    message = str(refused.value)
    assert "plugin 'nightly_reports'" in message and repr(cron) in message and reason in message


def test_p3_a_malformed_cron_string_stops_rq_cron_too(monkeypatch, fake_redis):
    from rq.cron import CronScheduler

    import saas.core.plugins

    real = saas.core.plugins.build_plugin_manager
    broken = {"nightly_reports": _plugin_with_cron("*/0 * * * *")}
    monkeypatch.setattr(saas.core.plugins, "build_plugin_manager", lambda: real(extra_plugins=broken))
    with pytest.raises(Exception, match="plugin 'nightly_reports'") as refused:  # rq wraps what the module raised
        CronScheduler(connection=fake_redis).load_config_from_file("saas.cron")
    assert isinstance(refused.value.__cause__, PeriodicJobError)


def test_p3_every_declared_cron_string_is_valid():
    jobs = periodic_jobs(build_plugin_manager())
    assert "saas.requests.tasks.sweep_sla_breaches" in {job_name(j) for j in jobs}


# --- one process only -----------------------------------------------------------------------------------------

_TRY_LOCK = """
import sys
from saas.core.scheduler import FileLock
print("held" if FileLock(sys.argv[1]).acquire() else "refused")
"""


def _other_process_takes(path) -> str:
    command = [sys.executable, "-c", _TRY_LOCK, str(path)]  # this interpreter, a fixed script
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.strip()


def test_p3_the_file_lock_lets_only_one_scheduler_run(app, tmp_path, clock):
    lock_path = tmp_path / "scheduler.lock"
    jobs = Recorder()
    job = jobs.job("every_minute", "* * * * *")
    one = EmbeddedScheduler(Scheduler(app, [job]), FileLock(lock_path), clock)
    two = EmbeddedScheduler(Scheduler(app, [job]), FileLock(lock_path), clock)
    clock.set(T0)
    assert one.tick() == {job_name(job): True}
    assert two.tick() == {}  # the lock is the first's: the second schedules nothing
    assert _other_process_takes(lock_path) == "refused"  # nor does another process
    assert jobs.counts() == {"every_minute": 1}
    one.stop()  # the holder stops: the next one to try takes over
    clock.set(T0 + timedelta(minutes=1))
    assert two.tick() == {job_name(job): True}
    two.stop()
    assert _other_process_takes(lock_path) == "held"


def test_p3_the_scheduler_starts_only_when_serving_and_never_in_tests(app):
    assert start(app) is None  # TESTING: never
    assert serving()  # no CLI command: a WSGI server imported the app
    for name, params, expected in [("upgrade", {}, False), ("demo", {}, False), ("run", {"reload": False}, True)]:
        with click.Context(click.Command(name), info_name=name) as ctx:
            ctx.params.update(params)
            assert serving() is expected, name
    with click.Context(click.Command("run"), info_name="run") as ctx:  # the reloader's watcher serves nothing
        ctx.params["reload"] = True
        assert not serving()
