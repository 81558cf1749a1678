"""Part 2 §4.1: a subcontractor works on the client's agreement only while its approval stands. Once the approval is
withdrawn, its people can no longer act on the requests their company holds (the vendor's team takes them over), and
no transfer gives it new requests (Part 2 §4.3)."""

import pytest
from sqlalchemy import func, select

from plugins.third_party import agreements, services
from plugins.third_party import work as tp_work
from plugins.third_party.models import Assignment, Proposal
from saas.core.errors import ServiceError
from saas.extensions import db
from saas.requests.models import RequestEvent, SiteVisit
from tests.plugins.third_party.conftest import BASE, raise_in
from tests.plugins.third_party.test_p2_s4_3_transfer import signed

REFUSAL = "no longer approved to work on this agreement; the vendor&#39;s team takes this request over"


def _withdraw_approval(work):
    proposal = db.session.scalar(
        select(Proposal).where(Proposal.subcontractor_id == work["subs"][0].id, Proposal.status == "approved")
    )
    assert services.withdraw(proposal, work["admin"]) is True
    db.session.commit()


def test_p2_s4_1_after_its_approval_is_withdrawn_the_holder_cannot_act_and_writes_nothing(work, world, client, clock):
    req = raise_in(work, world)
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()
    client.sign_in(work["person"].email)
    assert client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "到场"}).status_code == 302
    visit = db.session.scalar(select(SiteVisit).where(SiteVisit.request_id == req.id))
    db.session.refresh(req)
    status = req.status
    _withdraw_approval(work)
    clock.advance(hours=1)
    events = db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.request_id == req.id))
    for action, data in (
        ("acknowledge", {}),
        ("reply", {"body": "x"}),
        ("arrive", {}),
        ("depart", {"visit_id": str(visit.id)}),
        ("resolve", {"resolution": "x"}),
    ):
        response = client.post_form(f"{BASE}/work/{req.id}/{action}", data)
        assert response.status_code == 422, action
        assert REFUSAL in response.get_data(as_text=True), action
    assert db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.request_id == req.id)) == events
    db.session.refresh(req)
    db.session.refresh(visit)
    assert req.status == status and req.resolved_at is None and visit.departed_at is None
    with pytest.raises(ServiceError, match="no longer approved"):
        tp_work.require_holder(req, agreements.member_of(work["tenant"], work["person"]))


def test_p2_s4_1_the_refusal_reads_in_chinese(work, world, client):
    req = raise_in(work, world)
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()
    _withdraw_approval(work)
    client.sign_in(work["person"].email)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    response = client.post_form(f"{BASE}/work/{req.id}/reply", {"body": "x"})
    assert response.status_code == 422
    assert "准入已不再有效" in response.get_data(as_text=True)


def test_p2_s4_3_after_its_approval_is_withdrawn_a_transfer_gives_it_no_new_request(work, world):
    signed(work, world)
    assert tp_work.current(raise_in(work, world, subject="before")) is not None  # routed while approved
    _withdraw_approval(work)
    before = db.session.scalar(select(func.count(Assignment.id)))
    req = raise_in(work, world, subject="after")  # still raised: the vendor's own team has it
    assert tp_work.current(req) is None
    assert db.session.scalar(select(func.count(Assignment.id))) == before
    with pytest.raises(ServiceError):
        tp_work.assign(req, work["subs"][0], work["admin"])
