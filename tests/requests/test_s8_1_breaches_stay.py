"""§8.1: a deadline that passed unmet stays a breach whatever happens to the request after; each is told once."""

from datetime import datetime

from sqlalchemy import func, select

from saas.requests import services, sla
from saas.requests.models import RequestEvent, RequestStatus, SlaBreach
from tests.conftest import SHANGHAI


def test_s8_1_1_resolving_without_the_visit_records_the_missed_arrival(office_alpha, raise_request, world, clock, db):
    clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    req = raise_request(office_alpha, "ONSITE")
    services.reply(req, world.person("alpha", "vendor_engineer"), "远程已解决", by_client=False)
    clock.set(datetime(2026, 11, 3, 10, 1, tzinfo=SHANGHAI))  # one minute past the arrival due time, nobody went
    services.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    assert db.session.execute(select(SlaBreach.kind, SlaBreach.met_at)).all() == [("arrival", None)]


def test_s8_1_3_closing_without_confirmation_keeps_what_was_missed(office_alpha, raise_request, world, clock, db):
    clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    req = raise_request(office_alpha, "GENERAL")
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    services.close_by_vendor(req, world.person("alpha", "vendor_admin"), "重复的请求")
    db.session.commit()
    assert sorted(db.session.scalars(select(SlaBreach.kind))) == ["resolution", "response"]
    assert sla.sweep() == 0


def test_s8_1_2_a_breach_already_recorded_is_not_told_twice(office_alpha, raise_request, world, clock, db):
    clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    req = raise_request(office_alpha, "GENERAL")
    clock.set(datetime(2026, 11, 2, 16, 0, tzinfo=SHANGHAI))
    stale = db.session.get(type(req), req.id)
    assert sla.sweep() == 1  # the sweep records the missed response…
    stale.response_breached = False  # …while another transaction still holds the request as it was
    sla.record_breach_if_late(stale, "response", datetime(2026, 11, 2, 16, 5, tzinfo=SHANGHAI))
    db.session.commit()
    assert db.session.scalar(select(func.count(SlaBreach.id))) == 1
    kinds = db.session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == req.id)).all()
    assert kinds.count("breach") == 1
