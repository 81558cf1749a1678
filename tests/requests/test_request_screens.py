"""The request screens (§4.2): the client raises and answers in the portal, staff work the queue; no N+1."""

import io
import re
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from saas.extensions import db as _db
from saas.requests import services
from saas.requests.models import RequestStatus, ServiceRequest
from saas.team.models import TeamMember


@contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_s4_2_client_raises_in_the_portal_and_staff_answer(client, world, alpha, clock, db):
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get("/t/alpha/portal/requests/new").get_data(as_text=True)
    assert alpha["contract"].number in page
    response = client.post_form(
        "/t/alpha/portal/requests/new",
        {
            "category_id": alpha["cats"]["FAULT"].id,
            "priority": "urgent",
            "subject": "ERP 无法登录",
            "description": "所有用户报错 500",
            "attachment": (io.BytesIO(b"trace"), "error.log"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    req = db.session.scalar(select(ServiceRequest))
    assert (req.subject, req.priority, req.channel, req.requester_id) == (
        "ERP 无法登录",
        "urgent",
        "portal",
        world.person("alpha", "client_user").id,
    )
    client.post_form("/logout")

    client.sign_in(world.person("alpha", "vendor_engineer").email)
    queue = client.get("/t/alpha/requests/").get_data(as_text=True)
    assert "ERP 无法登录" in queue and "#1" in queue
    detail = client.get(f"/t/alpha/requests/{req.id}").get_data(as_text=True)
    assert "error.log" in detail and 'data-testid="sla-response"' in detail
    client.post_form(f"/t/alpha/requests/{req.id}/reply", {"body": "内部：查数据库", "internal": "y"})
    client.post_form(f"/t/alpha/requests/{req.id}/reply", {"body": "正在处理，请稍候"})
    client.post_form(f"/t/alpha/requests/{req.id}/status", {"to_status": "waiting_on_client", "note": "请提供截图"})
    db.session.expire_all()
    assert req.status == RequestStatus.WAITING_ON_CLIENT and req.first_response_at is not None
    client.post_form("/logout")

    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)
    assert "正在处理，请稍候" in portal and "内部：查数据库" not in portal
    client.post_form(f"/t/alpha/portal/requests/{req.id}/reply", {"body": "截图已上传"})
    db.session.expire_all()
    assert req.status == RequestStatus.IN_PROGRESS
    # the client cannot reach the vendor's screens of the same request
    assert client.get(f"/t/alpha/requests/{req.id}").status_code == 403


def test_s4_2_the_client_confirms_the_resolution_in_the_portal(client, world, alpha, clock, db):
    req = services.create_request(
        alpha["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": alpha["cats"]["GENERAL"].id, "subject": "换打印机"},
        world.person("alpha", "client_user"),
    )
    services.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    client.sign_in(world.person("alpha", "client_user").email)
    assert "Confirm resolution" in client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)
    client.post_form(f"/t/alpha/portal/requests/{req.id}/reopen", {"note": ""})
    db.session.expire_all()
    assert req.status == RequestStatus.RESOLVED  # reopening needs a reason
    client.post_form(f"/t/alpha/portal/requests/{req.id}/confirm")
    db.session.expire_all()
    assert req.status == RequestStatus.CLOSED and req.closed_at is not None


def test_s10_4_portal_says_no_new_requests_without_an_agreement(client, world, alpha, db):
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the second client has no contract
    page = client.get("/t/alpha/portal/requests/new").get_data(as_text=True)
    assert "no service agreement in force" in page and 'name="subject"' not in page
    response = client.post_form(
        "/t/alpha/portal/requests/new", {"category_id": alpha["cats"]["GENERAL"].id, "subject": "x"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(ServiceRequest.id)) is None


def test_s4_2_staff_log_a_phone_request_with_the_time_it_was_received(client, world, alpha, clock, db):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    response = client.post_form(
        "/t/alpha/requests/new",
        {
            "client_id": world.clients("alpha")[0].id,
            "category_id": alpha["cats"]["CONSULT"].id,
            "priority": "normal",
            "channel": "phone",
            "requester_name": "赵先生",
            "requester_contact": "010-1234",
            "subject": "备份策略咨询",
            "received_at": "2026-11-02T09:50",
        },
    )
    assert response.status_code == 302
    req = db.session.scalar(select(ServiceRequest))
    assert req.received_at == datetime(2026, 11, 2, 1, 50, tzinfo=UTC)  # 09:50 in Shanghai
    bad = client.post_form(
        "/t/alpha/requests/new",
        {
            "client_id": world.clients("alpha")[0].id,
            "category_id": alpha["cats"]["CONSULT"].id,
            "priority": "normal",
            "channel": "phone",
            "subject": "future",
            "received_at": "2026-11-03T09:50",
        },
    )
    assert bad.status_code == 422 and "cannot be received in the future" in bad.get_data(as_text=True)


def test_s4_2_visit_form_records_arrival_in_local_time(client, world, alpha, clock, db):
    req = services.create_request(
        alpha["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": alpha["cats"]["ONSITE"].id, "subject": "机房巡检"},
        world.person("alpha", "client_user"),
    )
    member = TeamMember(tenant_id=alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    db.session.commit()
    clock.set(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    client.post_form(
        f"/t/alpha/requests/{req.id}/visits",
        {
            "engineer_id": member.id,
            "arrived_at": "2026-11-02T13:30",
            "departed_at": "2026-11-02T15:00",
            "note": "更换硬盘",
        },
    )
    db.session.expire_all()
    assert req.first_arrival_at == datetime(2026, 11, 2, 5, 30, tzinfo=UTC)
    assert "更换硬盘" in client.get(f"/t/alpha/requests/{req.id}").get_data(as_text=True)


def _raise(alpha, world, n):
    for i in range(n):
        services.create_request(
            alpha["tenant"],
            world.clients("alpha")[0].id,
            {"category_id": alpha["cats"]["FAULT" if i % 2 else "ONSITE"].id, "subject": f"Request {i}"},
            world.person("alpha", "client_user"),
        )
    _db.session.commit()


def test_s4_2_queue_queries_do_not_grow_with_the_data(client, world, alpha, db):
    """The queue's SQL statements per page are the same for 3 requests and for 40 (two pages)."""
    members = [TeamMember(tenant_id=alpha["tenant"].id, name=f"工程师{i}", team_role="dba") for i in range(3)]
    db.session.add_all(members)
    _raise(alpha, world, 3)
    for i, req in enumerate(db.session.scalars(select(ServiceRequest))):
        req.assignee_id = members[i % 3].id
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.get("/t/alpha/requests/")  # warm caches (categories, catalogue)
    with count_queries() as few:
        assert client.get("/t/alpha/requests/").status_code == 200
    _raise(alpha, world, 37)
    for i, req in enumerate(db.session.scalars(select(ServiceRequest))):
        req.assignee_id = members[i % 3].id
    db.session.commit()
    with count_queries() as many:
        page = client.get("/t/alpha/requests/").get_data(as_text=True)
    assert len(many) == len(few), "\n".join(many)
    after = re.search(r'after=([^&"]+)', page).group(1)
    with count_queries() as deep:
        second = client.get(f"/t/alpha/requests/?after={after}", headers={"HX-Request": "true"})
    assert second.status_code == 200 and second.get_data(as_text=True).count('data-testid="request-row"') == 15
    assert len(deep) <= len(few)


def test_s4_2_queue_pages_in_due_order_without_gaps_or_repeats(client, world, alpha, db, clock):
    _raise(alpha, world, 30)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    seen, url = [], "/t/alpha/requests/"
    while url:
        page = client.get(url, headers={"HX-Request": "true"} if "after" in url else {}).get_data(as_text=True)
        seen += re.findall(r'data-testid="request-row">\s*<td class="nowrap"><a href="[^"]+">#(\d+)', page)
        more = re.search(r'href="(/t/alpha/requests/\?after=[^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert sorted(map(int, seen)) == list(range(1, 31)) and len(seen) == 30
    dues = db.session.scalars(
        select(ServiceRequest.number).order_by(ServiceRequest.next_due_at, ServiceRequest.id)
    ).all()
    assert list(map(int, seen)) == dues


def test_s4_3_vendor_admin_refines_a_category(client, world, alpha, db):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    category = alpha["cats"]["FAULT"]
    response = client.post_form(
        f"/t/alpha/requests/categories/{category.id}",
        {
            "code": "FAULT",
            "kind": "fault",
            "name_zh": "故障",
            "name_en": "Fault",
            "calendar_id": 0,
            "resolution_urgent": 4,
            "resolution_high": 8,
            "resolution_normal": 24,
            "resolution_low": 0,
            "active": "y",
        },
    )
    assert response.status_code == 422  # zero hours refused
    response = client.post_form(
        f"/t/alpha/requests/categories/{category.id}",
        {
            "code": "FAULT",
            "kind": "fault",
            "name_zh": "故障",
            "name_en": "Fault",
            "calendar_id": 0,
            "resolution_urgent": 4,
            "resolution_high": 8,
            "resolution_normal": 24,
            "resolution_low": 48,
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert category.resolution_hours == {"urgent": 4, "high": 8, "normal": 24, "low": 48}
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get(f"/t/alpha/requests/categories/{category.id}").status_code == 403


def test_s4_1_a_portal_request_sent_twice_at_once_makes_one_request_and_both_answers_show_it(
    client, world, alpha, db, app
):
    """A double click on Send (the same form, its one-time token, twice at the same moment)."""
    from saas.testing.race import at_once, once_token

    email = world.person("alpha", "client_user").email
    client.sign_in(email)
    page = client.get("/t/alpha/portal/requests/new").get_data(as_text=True)
    form = {
        "category_id": alpha["cats"]["FAULT"].id,
        "priority": "high",
        "subject": "打印机卡纸",
        "description": "三楼",
        "_once": once_token(page),
        "csrf_token": client.csrf_token(),
    }
    second = app.test_client()
    second.sign_in(email)
    second_form = {**form, "csrf_token": second.csrf_token()}
    answers = at_once(
        lambda: client.post("/t/alpha/portal/requests/new", data=form),
        lambda: second.post("/t/alpha/portal/requests/new", data=second_form),
    )
    req = db.session.scalars(select(ServiceRequest)).one()
    assert sorted(a.status_code for a in answers) == [302, 303]
    assert {a.headers["Location"] for a in answers} == {f"/t/alpha/portal/requests/{req.id}"}
    again = client.post("/t/alpha/portal/requests/new", data=form, follow_redirects=True)  # resent later: the same
    assert "This form was already sent" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1
    fresh = once_token(client.get("/t/alpha/portal/requests/new").get_data(as_text=True))
    assert fresh != form["_once"]  # a new form is a new request
    client.post("/t/alpha/portal/requests/new", data={**form, "_once": fresh})
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 2


def test_s4_1_a_form_shown_again_with_its_errors_keeps_its_token_usable(client, world, alpha, db):
    from saas.testing.race import once_token

    client.sign_in(world.person("alpha", "client_user").email)
    token = once_token(client.get("/t/alpha/portal/requests/new").get_data(as_text=True))
    form = {"category_id": alpha["cats"]["FAULT"].id, "priority": "high", "subject": "", "_once": token}
    assert client.post_form("/t/alpha/portal/requests/new", form).status_code == 422
    assert client.post_form("/t/alpha/portal/requests/new", {**form, "subject": "已补上"}).status_code == 302
    assert db.session.scalar(select(ServiceRequest.subject)) == "已补上"
