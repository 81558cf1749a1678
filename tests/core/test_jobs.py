"""Background jobs: inline without Redis, RQ with it (real server and fakeredis[lua]); safe to run twice."""

import logging
import math

import pytest
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy import func, select

from saas.core.models import Invitation, MailMessage
from saas.core.people import invite
from saas.core.tasks import send_invitation_email


def mail_count(db):
    return db.session.scalar(select(func.count(MailMessage.id)))


@pytest.fixture
def rq_mode(app, redis_conn):
    """Jobs go to RQ on the given Redis connection for the length of a test."""
    app.extensions["redis"] = redis_conn
    yield redis_conn
    app.extensions.pop("redis")


def test_without_redis_jobs_run_inline_and_say_so(db, world, caplog):
    with caplog.at_level(logging.INFO, logger="saas.jobs"):
        invite(world.tenant("alpha"), email="inline@example.com", role="vendor_engineer")
    assert "runs inline (REDIS_URL is not set)" in caplog.text
    assert mail_count(db) == 1


def test_with_redis_the_invitation_mail_is_queued_then_sent_by_a_worker(db, world, rq_mode):
    invitation = invite(world.tenant("alpha"), email="queued@example.com", role="vendor_engineer")
    queue = Queue("mail", connection=rq_mode)
    assert queue.count == 1 and mail_count(db) == 0
    [job] = queue.jobs
    assert job.id == f"invitation-mail-{invitation.id}-{invitation.nonce}"
    assert job.args == (invitation.id,)  # jobs take ids, never objects

    SimpleWorker([queue], connection=rq_mode).work(burst=True)
    assert mail_count(db) == 1
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).sent_at is not None


def test_the_same_job_is_not_queued_twice(db, world, rq_mode):
    from saas.jobs import enqueue

    invitation = invite(world.tenant("alpha"), email="twice@example.com", role="vendor_engineer")
    job_id = f"invitation-mail-{invitation.id}-{invitation.nonce}"
    again = enqueue(send_invitation_email, invitation.id, job_id=job_id, queue="mail")
    assert again.id == job_id
    assert Queue("mail", connection=rq_mode).count == 1


def test_a_job_run_twice_sends_the_mail_once(db, world, rq_mode):
    invitation = invite(world.tenant("alpha"), email="rerun@example.com", role="vendor_engineer")
    send_invitation_email(invitation.id)
    send_invitation_email(invitation.id)  # e.g. a worker killed after sending, before acknowledging
    assert mail_count(db) == 1


def test_a_job_for_a_withdrawn_invitation_sends_nothing(db, world, rq_mode):
    from saas.core.people import revoke_invitation

    invitation = invite(world.tenant("alpha"), email="gone@example.com", role="vendor_engineer")
    revoke_invitation(invitation)
    db.session.commit()
    SimpleWorker([Queue("mail", connection=rq_mode)], connection=rq_mode).work(burst=True)
    assert mail_count(db) == 0


def test_periodic_jobs_are_declared_for_rq_cron(fake_redis):
    scheduler = CronScheduler(connection=fake_redis)
    scheduler.load_config_from_file("saas.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    job = jobs["saas.core.tasks.notify_expired_invitations"]
    assert job.cron == "15 1 * * *" and job.queue_name == "mail"


def test_app_worker_builds_the_app_before_forking(fake_redis, monkeypatch):
    import saas.jobs

    monkeypatch.setattr(saas.jobs, "_worker_app", None)
    worker = saas.jobs.AppWorker(["mail"], connection=fake_redis)
    assert worker is not None and saas.jobs._worker_app is not None
    assert "plugins" in saas.jobs._worker_app.extensions


def test_the_billing_worker_builds_the_app_once_and_runs_jobs_in_the_worker_process(fake_redis, monkeypatch):
    import os

    import saas.jobs

    monkeypatch.setattr(saas.jobs, "_worker_app", None)
    worker = saas.jobs.AppSimpleWorker(["billing"], connection=fake_redis)
    assert saas.jobs._worker_app is not None
    job = Queue("billing", connection=fake_redis).enqueue(os.getpid)
    worker.work(burst=True)
    assert job.return_value() == os.getpid()  # no work horse was forked


def test_a_job_that_failed_is_queued_again_when_asked_again(db, rq_mode):
    """RQ keeps a failed job's id for a year: asking for the same work again must not be refused as a duplicate."""
    from saas.jobs import enqueue

    failing = enqueue(math.sqrt, -1, job_id="root-once", retries=0)
    SimpleWorker([Queue("default", connection=rq_mode)], connection=rq_mode).work(burst=True)
    assert failing.get_status(refresh=True) == "failed"
    again = enqueue(math.sqrt, 4, job_id="root-once", retries=0)
    assert again.id.startswith("root-once-") and again.get_status() == "queued"
    assert enqueue(math.sqrt, 4, job_id=again.id, retries=0).id == again.id  # queued: not queued twice
