"""§8.1.1 a service below the agreed standard, recorded from the data: a resolution the client rejects twice (it
reopens the request as not fixed) is one breach, with the rejections as its evidence; the vendor reopening is none."""

from datetime import UTC, datetime

from sqlalchemy import select

from saas.requests import services
from saas.requests.models import RequestStatus, SlaBreach


def test_s8_1_1_a_resolution_the_client_rejects_twice_is_a_breach_recorded_once(db, world, sla_alpha, clock):
    engineer, user = world.person("alpha", "vendor_engineer"), world.person("alpha", "client_user")
    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    req = services.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"]["GENERAL"].id, "subject": "报表导出失败"},
        user,
    )
    db.session.commit()

    def fixed_then(who, by_client):
        clock.advance(hours=1)
        services.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False, note="已修复")
        clock.advance(hours=1)
        services.change_status(req, RequestStatus.IN_PROGRESS, who, by_client=by_client, note="仍然失败")
        db.session.commit()

    fixed_then(engineer, by_client=False)  # the vendor reopening its own resolution is no rejection
    fixed_then(user, by_client=True)  # the client's first rejection
    assert db.session.scalars(select(SlaBreach).where(SlaBreach.kind == "not_fixed")).all() == []
    fixed_then(user, by_client=True)  # the second: below the agreed standard
    fixed_then(user, by_client=True)  # a third changes nothing: one breach per request
    breaches = db.session.scalars(select(SlaBreach).where(SlaBreach.kind == "not_fixed")).all()
    assert len(breaches) == 1
    breach = breaches[0]
    assert breach.clause == "8.1.1" and breach.met_at is None
    assert [t[:16] for t in breach.evidence["rejected_at"]] == ["2026-11-03T06:00", "2026-11-03T08:00"]
    timeline = [e for e in services.timeline(req, True) if e.kind == "breach"]
    assert [e.data["kind"] for e in timeline] == ["not_fixed"] and "due_at" not in timeline[0].data
