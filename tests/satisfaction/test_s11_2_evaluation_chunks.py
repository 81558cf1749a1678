"""§11.2: the daily evaluation job queues each tenant's agreements in chunks on the real Redis, each chunk with an
id made of the tenant, the day and the chunk's agreements; asked again, it queues nothing new and evaluates nothing
twice (the next day's chunks have new ids, and find nothing left to evaluate)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from rq import Queue, SimpleWorker
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from saas.satisfaction.models import Evaluation
from saas.satisfaction.tasks import run_evaluations

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.redis


class BurstWorker(SimpleWorker):
    """RQ's worker without its command channel: stopping that channel's thread waits out its 60-second poll on the
    real Redis, and the commands are not what this test is about."""

    def subscribe(self):
        pass


def test_s11_2_the_evaluation_job_queues_chunks_with_deterministic_ids_and_a_re_run_queues_nothing_new(
    app, db, world, make_signed_contract, clock, real_redis, monkeypatch
):
    tenant = world.tenant("alpha")
    clock.set(datetime(2028, 1, 30, 9, tzinfo=SHANGHAI))
    first, second = world.clients("alpha")
    contracts = [
        make_signed_contract(tenant, client, effective=date(2028, 1, 31), title=f"Agreement {n}")
        for n, client in enumerate((first, second, first))
    ]
    ids = sorted(c.id for c in contracts)
    db.session.commit()
    monkeypatch.setitem(app.extensions, "redis", real_redis)
    monkeypatch.setitem(app.config, "EVALUATION_CHUNK_SIZE", 2)
    queue = Queue("billing", connection=real_redis)

    # 10 March 2028, 01:00 in Shanghai: period 0 (31 Jan – 29 Feb) has ended and its survey closed
    clock.set(datetime(2028, 3, 10, 1, tzinfo=SHANGHAI))
    assert run_evaluations() == 2
    expected = [
        f"evaluate-{tenant.id}-2028-03-10-{ids[0]}-{ids[1]}-2",
        f"evaluate-{tenant.id}-2028-03-10-{ids[2]}-{ids[2]}-1",
    ]
    assert sorted(queue.job_ids) == sorted(expected)
    assert sorted(tuple(job.args[2]) for job in queue.jobs) == [(ids[0], ids[1]), (ids[2],)]
    assert db.session.scalar(select(func.count(Evaluation.id))) == 0  # queued, not run

    assert run_evaluations() == 2  # the same day again: the same ids, already queued
    assert sorted(queue.job_ids) == sorted(expected)

    BurstWorker([queue], connection=real_redis).work(burst=True)
    assert queue.count == 0
    assert sorted(FinishedJobRegistry("billing", connection=real_redis).get_job_ids()) == sorted(expected)
    db.session.expire_all()
    made = db.session.execute(select(Evaluation.contract_id, Evaluation.period_index)).all()
    assert sorted(made) == [(i, 0) for i in ids]

    assert run_evaluations() == 2  # after the work: the finished jobs' ids are not queued again
    assert queue.count == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Evaluation.id))) == 3

    # the next day the chunks have the next day's ids; worked, they find period 0 evaluated and make nothing
    clock.set(datetime(2028, 3, 11, 1, tzinfo=SHANGHAI))
    assert run_evaluations() == 2
    assert sorted(queue.job_ids) == sorted(i.replace("2028-03-10", "2028-03-11") for i in expected)
    BurstWorker([queue], connection=real_redis).work(burst=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Evaluation.id))) == 3
