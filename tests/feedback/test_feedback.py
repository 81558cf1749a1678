"""§12.2 feedback channels and §12.3 its process (Annex 8): received, handled, an outcome the client confirms."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from saas.core.errors import ServiceError
from saas.core.models import AppendOnlyError, MailMessage
from saas.extensions import db as _db
from saas.feedback import services as feedback
from saas.feedback.models import Feedback, FeedbackEvent, FeedbackStatus
from saas.requests import services

S = FeedbackStatus


@pytest.fixture
def setup(db, world, make_signed_contract, clock):
    """Both clients of alpha under contracts in force, each with one request."""
    tenant = world.tenant("alpha")
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    first, second = world.clients("alpha")
    contracts = [make_signed_contract(tenant, c, effective=date(2026, 11, 1)) for c in (first, second)]
    category = services.categories(tenant)[0]
    requests = []
    for client, person in ((first, "client_user"), (second, "client_admin_2")):
        requests.append(
            services.create_request(
                tenant, client.id, {"category_id": category.id, "subject": "磁盘告警"}, world.person("alpha", person)
            )
        )
        db.session.commit()
    return {"tenant": tenant, "clients": (first, second), "contracts": contracts, "requests": requests}


def events(fb):
    return [(e.from_status, e.to_status, e.actor.email if e.actor else None, e.note) for e in feedback.timeline(fb)]


def mails_about(fb):
    return sorted(_db.session.scalars(select(MailMessage.to).where(MailMessage.subject.contains(fb.reference))))


def test_s12_3_the_whole_process_with_one_rejection_each_step_recorded_with_who(setup, world, clock, db):
    """received → handling → outcome proposed → rejected (handling) → outcome proposed → confirmed."""
    tenant, (client, _other) = setup["tenant"], setup["clients"]
    user, engineer = world.person("alpha", "client_user"), world.person("alpha", "vendor_engineer")
    fb = feedback.submit(
        tenant,
        client.id,
        user,
        {
            "kind": "complaint",
            "subject": "工程师迟到",
            "body": "约好九点，十点才到。",
            "request_id": setup["requests"][0].id,
        },
    )
    db.session.commit()
    assert (fb.reference, fb.status, fb.channel, fb.contract_id) == (
        "F-1",
        S.RECEIVED,
        "portal",
        setup["contracts"][0].id,
    )
    assert fb.contact_name == user.name and fb.request_id == setup["requests"][0].id
    clock.advance(hours=1)
    feedback.take_up(fb, engineer, "我来跟进")
    assert fb.handler_id == engineer.id
    clock.advance(hours=2)
    feedback.propose_outcome(fb, engineer, "已向工程师提出警告，并调整排班。")
    clock.advance(hours=1)
    feedback.reject(fb, user, "希望给出书面整改措施")
    assert fb.status == S.HANDLING and fb.outcome  # the proposal stays on record in the timeline
    feedback.propose_outcome(fb, engineer, "书面整改措施见附件；下月起现场响应提前半小时出发。")
    feedback.confirm(fb, user)
    db.session.commit()
    assert fb.status == S.CONFIRMED and fb.confirmed_at == clock.now()
    c, e = user.email, engineer.email
    assert events(fb) == [
        ("", S.RECEIVED, c, "约好九点，十点才到。"),
        (S.RECEIVED, S.HANDLING, e, "我来跟进"),
        (S.HANDLING, S.OUTCOME_PROPOSED, e, "已向工程师提出警告，并调整排班。"),
        (S.OUTCOME_PROPOSED, S.HANDLING, c, "希望给出书面整改措施"),
        (S.HANDLING, S.OUTCOME_PROPOSED, e, "书面整改措施见附件；下月起现场响应提前半小时出发。"),
        (S.OUTCOME_PROPOSED, S.CONFIRMED, c, ""),
    ]
    times = [ev.created_at for ev in feedback.timeline(fb)]
    assert times[1] - times[0] == timedelta(hours=1) and times == sorted(times)
    first_event = feedback.timeline(fb)[0]
    first_event.note = "改写"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_s12_3_each_side_does_only_its_own_steps(setup, world, db):
    """The client cannot take up or propose; the vendor cannot confirm or reject for the client; no step skipped."""
    tenant, (client, _other) = setup["tenant"], setup["clients"]
    user, admin = world.person("alpha", "client_user"), world.person("alpha", "vendor_admin")
    fb = feedback.submit(tenant, client.id, user, {"kind": "suggestion", "subject": "希望增加夜间值班"})
    with pytest.raises(ServiceError):
        feedback.take_up(fb, user)
    with pytest.raises(ServiceError):
        feedback.propose_outcome(fb, admin, "已安排")  # not taken up yet
    with pytest.raises(ServiceError):
        feedback.confirm(fb, user)  # nothing to confirm yet
    feedback.take_up(fb, admin)
    with pytest.raises(ServiceError):
        feedback.take_up(fb, world.person("alpha", "vendor_engineer"))  # already taken up
    with pytest.raises(ServiceError):
        feedback.propose_outcome(fb, user, "我们自己解决了")
    with pytest.raises(ServiceError):
        feedback.propose_outcome(fb, admin, "   ")  # an outcome says something
    feedback.propose_outcome(fb, admin, "十二月起增加夜间值班。")
    with pytest.raises(ServiceError):
        feedback.confirm(fb, admin)
    with pytest.raises(ServiceError):
        feedback.reject(fb, admin, "客户不满意")
    with pytest.raises(ServiceError):
        feedback.confirm(fb, world.person("alpha", "client_admin_2"))  # another client's person
    with pytest.raises(ServiceError):
        feedback.reject(fb, user, "")  # a rejection says why
    with pytest.raises(ServiceError):
        feedback.submit(tenant, client.id, admin, {"kind": "praise", "subject": "x"})  # the portal is the client's
    assert fb.status == S.OUTCOME_PROPOSED


def test_s12_3_the_screens_keep_each_side_to_its_steps(setup, world, db, client):
    """A client posting to the vendor's take-up gets 403; the vendor posting the client's confirmation gets 403."""
    tenant, (first, _other) = setup["tenant"], setup["clients"]
    fb = feedback.submit(tenant, first.id, world.person("alpha", "client_user"), {"kind": "complaint", "subject": "慢"})
    db.session.commit()
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.post_form(f"/t/alpha/feedback/{fb.id}/take-up").status_code == 403
    assert client.post_form(f"/t/alpha/feedback/{fb.id}/outcome", {"outcome": "x"}).status_code == 403
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(f"/t/alpha/portal/feedback/{fb.id}/confirm").status_code == 403
    assert client.post_form(f"/t/alpha/portal/feedback/{fb.id}/reject", {"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).status == S.RECEIVED


def test_s12_2_feedback_about_another_clients_request_is_refused(setup, world, db, client):
    tenant, (first, _second) = setup["tenant"], setup["clients"]
    foreign = setup["requests"][1]
    with pytest.raises(ServiceError):
        feedback.submit(
            tenant,
            first.id,
            world.person("alpha", "client_user"),
            {"kind": "complaint", "subject": "x", "request_id": foreign.id},
        )
    with pytest.raises(ServiceError):
        feedback.log(
            tenant,
            first.id,
            world.person("alpha", "vendor_engineer"),
            {
                "kind": "complaint",
                "subject": "x",
                "channel": "phone",
                "contact_name": "王经理",
                "request_number": foreign.number,
            },
        )
    db.session.rollback()
    client.sign_in(world.person("alpha", "client_user").email)
    form = client.get("/t/alpha/portal/feedback/new").get_data(as_text=True)
    assert setup["requests"][0].reference in form and f'value="{foreign.id}"' not in form
    response = client.post_form(
        "/t/alpha/portal/feedback/new", {"kind": "complaint", "subject": "x", "request_id": foreign.id}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Feedback.id))) == 0


def test_s12_2_phone_and_email_feedback_is_logged_with_who_said_it(setup, world, db, client):
    """The vendor logs a call; the client's admins hear of the outcome, since nobody raised it in the portal."""
    tenant, (first, _second) = setup["tenant"], setup["clients"]
    engineer = world.person("alpha", "vendor_engineer")
    with pytest.raises(ServiceError):
        feedback.log(tenant, first.id, engineer, {"kind": "praise", "subject": "x", "channel": "phone"})  # who?
    with pytest.raises(ServiceError):
        feedback.log(
            tenant,
            first.id,
            world.person("alpha", "client_admin"),
            {"kind": "praise", "subject": "x", "channel": "phone", "contact_name": "王"},
        )
    db.session.rollback()
    client.sign_in(engineer.email)
    response = client.post_form(
        "/t/alpha/feedback/new",
        {
            "client_id": first.id,
            "channel": "phone",
            "kind": "praise",
            "subject": "感谢张工连夜处理",
            "contact_name": "王经理",
            "contact_detail": "13800000000",
            "request_number": setup["requests"][0].number,
        },
    )
    assert response.status_code == 302
    fb = db.session.scalar(select(Feedback))
    assert (fb.channel, fb.contact_name, fb.logged_by_id, fb.raised_by_id, fb.request_id) == (
        "phone",
        "王经理",
        engineer.id,
        None,
        setup["requests"][0].id,
    )
    assert mails_about(fb) == ["vendor_admin@alpha.example.com"]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "感谢张工连夜处理" in detail and "王经理" in detail
    client.post_form(f"/t/alpha/feedback/{fb.id}/take-up")
    assert client.post_form(f"/t/alpha/feedback/{fb.id}/outcome", {"outcome": ""}).status_code == 422
    client.post_form(f"/t/alpha/feedback/{fb.id}/outcome", {"outcome": "已转达表扬。"})
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).status == S.OUTCOME_PROPOSED
    assert mails_about(fb) == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]


def test_s12_3_mail_goes_once_to_the_vendor_admins_and_then_to_the_client(setup, world, db):
    """New feedback mails the vendor's admins; an outcome mails who raised it; a re-run of the job sends nothing."""
    tenant, (first, _second) = setup["tenant"], setup["clients"]
    user, engineer = world.person("alpha", "client_user"), world.person("alpha", "vendor_engineer")
    fb = feedback.submit(tenant, first.id, user, {"kind": "complaint", "subject": "响应太慢"})
    db.session.commit()
    assert mails_about(fb) == ["vendor_admin@alpha.example.com"]
    feedback.take_up(fb, engineer)
    db.session.commit()
    assert len(mails_about(fb)) == 1  # taking it up tells nobody
    feedback.propose_outcome(fb, engineer, "已调整值班安排。")
    db.session.commit()
    assert mails_about(fb) == [user.email, "vendor_admin@alpha.example.com"]
    body = db.session.scalar(select(MailMessage.body_text).where(MailMessage.to == user.email))
    assert "已调整值班安排。" in body and f"/t/alpha/portal/feedback/{fb.id}" in body
    ids = db.session.scalars(select(FeedbackEvent.id).where(FeedbackEvent.feedback_id == fb.id)).all()
    assert feedback.send_feedback_mail(ids) == 2  # run again: the same two people, no new mail
    assert db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.subject.contains("F-1"))) == 2
    feedback.reject(fb, user, "还是慢")
    db.session.commit()
    assert mails_about(fb).count(engineer.email) == 1  # the handler hears the client's answer


def test_s12_3_portal_and_vendor_screens_walk_the_process(setup, world, db, client):
    """The client gives feedback about its request, the vendor lists, takes up and proposes, the client confirms."""
    req = setup["requests"][0]
    client.sign_in(world.person("alpha", "client_user").email)
    response = client.post_form(
        "/t/alpha/portal/feedback/new",
        {"kind": "complaint", "subject": "现场响应慢", "body": "等了两小时", "request_id": req.id},
    )
    assert response.status_code == 302
    fb = db.session.scalar(select(Feedback))
    assert fb.request_id == req.id
    assert "现场响应慢" in client.get("/t/alpha/portal/feedback/").get_data(as_text=True)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    listing = client.get("/t/alpha/feedback/?status=received&kind=complaint").get_data(as_text=True)
    assert "F-1" in listing and "现场响应慢" in listing
    assert "F-1" not in client.get("/t/alpha/feedback/?kind=praise").get_data(as_text=True)
    client.post_form(f"/t/alpha/feedback/{fb.id}/take-up", {"note": "跟进中"})
    client.post_form(f"/t/alpha/feedback/{fb.id}/outcome", {"outcome": "已增派工程师。"})
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/feedback/{fb.id}").get_data(as_text=True)
    assert "已增派工程师。" in page and "Confirm the outcome" in page
    assert client.post_form(f"/t/alpha/portal/feedback/{fb.id}/reject", {"reason": ""}).status_code == 422
    client.post_form(f"/t/alpha/portal/feedback/{fb.id}/confirm", {"note": "谢谢"})
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).status == S.CONFIRMED
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/feedback/{fb.id}").status_code == 404
    assert "现场响应慢" not in client.get("/t/alpha/portal/feedback/").get_data(as_text=True)


def test_s12_3_the_vendor_list_pages_by_keyset_and_numbers_count_per_tenant(setup, world, db, make_signed_contract):
    tenant, (first, _second) = setup["tenant"], setup["clients"]
    user = world.person("alpha", "client_user")
    made = [feedback.submit(tenant, first.id, user, {"kind": "suggestion", "subject": f"建议 {i}"}) for i in range(3)]
    beta = world.tenant("beta")
    other = feedback.submit(
        beta, world.clients("beta")[0].id, world.person("beta", "client_user"), {"kind": "praise", "subject": "好"}
    )
    db.session.commit()
    assert [f.number for f in made] == [1, 2, 3] and other.number == 1
    page, after = feedback.list_feedback(tenant, limit=2)
    assert [f.number for f in page] == [3, 2] and after == made[1].id
    page, after = feedback.list_feedback(tenant, limit=2, after=after)
    assert [f.number for f in page] == [1] and after is None
    assert feedback.list_feedback(tenant, status="confirmed")[0] == []
