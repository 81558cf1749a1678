"""Part 2 §8.2: a subcontractor's people see only the requests given to their company, never the vendor's internal
notes (unless one is shared), other requests, the clients' invoices or another subcontractor's work; they
acknowledge, reply, arrive and leave, attach files and resolve, and their actions drive the agreement's clocks."""

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from plugins.third_party import agreements
from plugins.third_party import work as tp_work
from plugins.third_party.models import Assignment
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestEvent, SiteVisit
from tests.plugins.third_party.conftest import BASE, raise_in

HX = {"HX-Request": "true"}


def given(work, world, subject="机房交换机故障 switch down"):
    req = raise_in(work, world, subject=subject)
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()
    return req


def test_p2_s8_the_queue_holds_exactly_the_companys_requests(work, world, client):
    mine = given(work, world, "Marker-mine")
    raise_in(work, world, subject="Marker-not-given")
    other = raise_in(work, world, subject="Marker-second-company")
    tp_work.assign(other, work["subs"][1], work["admin"])
    db.session.commit()
    client.sign_in(work["person"].email)
    queue = client.get(f"{BASE}/work").get_data(as_text=True)
    assert "Marker-mine" in queue and "Marker-not-given" not in queue and "Marker-second-company" not in queue
    assert client.get(f"{BASE}/work/{mine.id}").status_code == 200
    assert client.get(f"{BASE}/work/{other.id}").status_code == 404  # the other subcontractor's work
    home = client.get("/t/alpha/third-party").get_data(as_text=True)
    assert 'data-testid="third-party-cards"' in home and "Contracts in force" not in home
    # the vendor's and the clients' own screens stay closed to a third party
    for url in (
        f"/t/alpha/requests/{mine.id}",
        "/t/alpha/invoices/",
        "/t/alpha/portal/requests/",
        f"{BASE}/agreements",
    ):
        assert client.get(url).status_code in (403, 404), url
    client.post_form("/logout")
    client.sign_in(work["person_2"].email)
    assert client.get(f"{BASE}/work/{mine.id}").status_code == 404
    assert "Marker-second-company" in client.get(f"{BASE}/work").get_data(as_text=True)


def test_p2_s8_internal_notes_stay_hidden_unless_shared(work, world, client):
    req = given(work, world)
    secret = requests.reply(req, work["admin"], "Marker-secret 内部：客户欠款", by_client=False, internal=True)
    shared = requests.reply(req, work["admin"], "Marker-shared 机柜钥匙在前台", by_client=False, internal=True)
    db.session.commit()
    client.sign_in(work["admin"].email)
    response = client.post_form(f"{BASE}/requests/{req.id}/notes/{shared.id}/share", headers=HX)
    assert response.status_code == 200 and 'id="tp-section"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)  # the block alone
    client.post_form("/logout")
    client.sign_in(work["person"].email)
    page = client.get(f"{BASE}/work/{req.id}").get_data(as_text=True)
    assert "Marker-shared" in page and "Marker-secret" not in page
    assert secret.id != shared.id


def test_p2_s8_their_actions_drive_the_clocks(work, world, client, clock):
    req = given(work, world)
    client.sign_in(work["person"].email)
    clock.advance(minutes=10)
    assert client.post_form(f"{BASE}/work/{req.id}/acknowledge").status_code == 302
    db.session.refresh(req)
    assert req.status == "acknowledged" and req.first_response_at == clock.now()
    held = tp_work.current(req)
    assert held.responded_at == clock.now()
    clock.advance(hours=1)
    response = client.post_form(
        f"{BASE}/work/{req.id}/reply",
        {"body": "日志见附件 log attached", "attachment": (BytesIO(b"switch log"), "switch.log")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    clock.advance(hours=1)
    assert client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "到场"}).status_code == 302
    db.session.refresh(req)
    assert req.first_arrival_at is not None and not req.arrival_breached
    visit = db.session.scalar(select(SiteVisit).where(SiteVisit.request_id == req.id))
    clock.advance(hours=2)
    assert (
        client.post_form(f"{BASE}/work/{req.id}/depart", {"visit_id": str(visit.id), "note": "修好"}).status_code == 302
    )
    db.session.refresh(visit)
    assert visit.departed_at == clock.now()
    assert client.post_form(f"{BASE}/work/{req.id}/resolve", {"resolution": ""}).status_code == 422  # say how
    assert client.post_form(f"{BASE}/work/{req.id}/resolve", {"resolution": "更换光模块"}).status_code == 302
    db.session.refresh(req)
    assert req.status == "resolved" and req.resolved_at == clock.now()
    page = client.get(f"{BASE}/work/{req.id}").get_data(as_text=True)
    assert "switch.log" in page
    record = client.get(f"{BASE}/work/record").get_data(as_text=True)
    assert 'data-testid="tp-record"' in record


def test_p2_s8_acting_on_a_request_not_held_is_refused_and_writes_nothing(work, world, client):
    req = given(work, world)
    tp_work.release(req, work["admin"])  # taken back: readable, no longer theirs to act on
    db.session.commit()
    events = db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.request_id == req.id))
    client.sign_in(work["person"].email)
    for action, data in (
        ("acknowledge", {}),
        ("reply", {"body": "x"}),
        ("arrive", {}),
        ("resolve", {"resolution": "x"}),
    ):
        response = client.post_form(f"{BASE}/work/{req.id}/{action}", data)
        assert response.status_code == 403, action
        assert "not assigned to your company" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.request_id == req.id)) == events
    db.session.refresh(req)
    assert req.status == "new"
    client.post_form("/logout")
    client.sign_in(work["person_2"].email)  # never held by the second company: not even found
    assert client.post_form(f"{BASE}/work/{req.id}/acknowledge").status_code == 404


def test_p2_s4_3_the_client_sees_who_handles_the_request_and_assign_is_refused_without_an_agreement(
    work, world, client
):
    from plugins.third_party import services

    req = given(work, world)
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)
    assert 'data-testid="tp-holder"' in page and work["subs"][0].legal_name in page
    client.post_form("/logout")
    # a subcontractor approved for the agreement but without an annex 6 agreement takes nothing
    from tests.plugins.third_party.conftest import sub_data

    onsite = [s.id for s in work["subs"][0].services]
    bare = services.save_subcontractor(work["tenant"], {**sub_data(5), "service_ids": onsite}, work["admin"])
    services.decide(
        services.propose(bare, work["contract"], "x", work["admin"]), True, "", world.person("alpha", "client_admin")
    )
    db.session.commit()
    client.sign_in(work["admin"].email)
    response = client.post_form(f"{BASE}/requests/{req.id}/assign", {"subcontractor_id": str(bare.id)}, headers=HX)
    assert response.status_code == 422 and "no third-party agreement in force" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.request_id == req.id)) == 1
    response = client.post_form(
        f"{BASE}/requests/{req.id}/assign", {"subcontractor_id": str(work["subs"][1].id)}, headers=HX
    )
    assert response.status_code == 200 and work["subs"][1].legal_name in response.get_data(as_text=True)
    assert tp_work.current(req).subcontractor_id == work["subs"][1].id


def test_p2_s8_2_a_former_holder_reads_nothing_written_after_it_let_the_request_go(work, world, client, clock):
    req = given(work, world)
    client_user, engineer = world.person("alpha", "client_user"), world.person("alpha", "vendor_engineer")
    before = requests.reply(
        req, client_user, "Marker-before 机柜在三楼", by_client=True, files=[("before.log", "text/plain", b"b")]
    )
    db.session.commit()
    clock.advance(hours=1)
    tp_work.release(req, work["admin"])
    db.session.commit()
    clock.advance(hours=1)  # after the release: the vendor's own work, not the former holder's business
    after = requests.reply(
        req, client_user, "Marker-after 新的密码", by_client=True, files=[("after.log", "text/plain", b"a")]
    )
    requests.record_visit(req, engineer, None, clock.now(), None, "Marker-visit-after")
    db.session.commit()
    before_file, after_file = (requests.attachments(req, include_internal=False)[e.id][0] for e in (before, after))
    client.sign_in(work["person"].email)
    page = client.get(f"{BASE}/work/{req.id}").get_data(as_text=True)
    assert "Marker-before" in page and "before.log" in page
    assert "Marker-after" not in page and "after.log" not in page and "Marker-visit-after" not in page
    assert 'data-testid="tp-visit"' not in page
    assert client.get(f"{BASE}/work/{req.id}/files/{before_file.id}").data == b"b"
    assert client.get(f"{BASE}/work/{req.id}/files/{after_file.id}").status_code == 404
    member = agreements.member_of(work["tenant"], work["person"])
    assert [e.id for e in tp_work.timeline_for(req, member) if e.id in (before.id, after.id)] == [before.id]
    # given again, it holds it: it reads everything not internal once more
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()
    page = client.get(f"{BASE}/work/{req.id}").get_data(as_text=True)
    assert "Marker-after" in page and "after.log" in page and "Marker-visit-after" in page
    assert client.get(f"{BASE}/work/{req.id}/files/{after_file.id}").data == b"a"


def _suspended_sub(work, admin):
    from plugins.third_party import services

    services.suspend(work["subs"][0], "资质复审 qualification under review", admin)


def _agreement_suspended(work, admin):
    agreements.set_status(work["agreements"][0], "suspended", "合同纠纷 in dispute", admin)


def _agreement_ended_by_time(work, admin):
    work["agreements"][0].ends_on = local_today(work["tenant"]) - timedelta(days=1)


@pytest.mark.parametrize("stop", [_suspended_sub, _agreement_suspended, _agreement_ended_by_time])
def test_p2_s8_2_a_holder_suspended_or_out_of_its_agreement_cannot_act_and_writes_nothing(
    work, world, client, clock, stop
):
    req = given(work, world)
    client.sign_in(work["person"].email)
    assert client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "到场"}).status_code == 302
    visit = db.session.scalar(select(SiteVisit).where(SiteVisit.request_id == req.id))
    db.session.refresh(req)
    status = req.status
    stop(work, work["admin"])
    db.session.commit()
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
        assert "suspended or has ended; the vendor&#39;s team takes it over" in response.get_data(as_text=True), action
    assert db.session.scalar(select(func.count(RequestEvent.id)).where(RequestEvent.request_id == req.id)) == events
    db.session.refresh(req)
    db.session.refresh(visit)
    assert req.status == status and req.resolved_at is None and visit.departed_at is None
    member = agreements.member_of(work["tenant"], work["person"])
    with pytest.raises(ServiceError, match="suspended or has ended"):
        tp_work.require_holder(req, member)


def test_p2_s8_2_a_second_arrival_while_on_site_is_refused(work, world, client, clock):
    req = given(work, world)
    client.sign_in(work["person"].email)
    assert client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "到场"}).status_code == 302
    clock.advance(minutes=30)
    again = client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "又到场"})
    assert again.status_code == 422
    assert "You are on site already; record your departure first." in again.get_data(as_text=True)
    visits = db.session.scalars(select(SiteVisit).where(SiteVisit.request_id == req.id)).all()
    assert len(visits) == 1
    assert client.post_form(f"{BASE}/work/{req.id}/depart", {"visit_id": str(visits[0].id)}).status_code == 302
    clock.advance(minutes=30)
    assert client.post_form(f"{BASE}/work/{req.id}/arrive", {"note": "再次到场"}).status_code == 302  # left: again
    assert db.session.scalar(select(func.count(SiteVisit.id)).where(SiteVisit.request_id == req.id)) == 2
