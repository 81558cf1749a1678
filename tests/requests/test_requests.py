"""§4.1–§4.3 requests and their SLA clocks; §2.1.2 on-site arrival; §8.1.2/§8.1.3 breaches from the sweep."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.contracts import changes, signing
from saas.core.errors import ServiceError
from saas.core.models import AppendOnlyError, MailMessage
from saas.extensions import db
from saas.requests import services, sla
from saas.requests.models import Channel, RequestEvent, RequestKind, RequestStatus, SlaBreach
from saas.team.models import TeamMember

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def raise_request(sla_alpha, world, code="GENERAL", priority="normal", **extra):
    req = services.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"][code].id, "priority": priority, "subject": "数据库连接超时", **extra},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def test_s4_1_friday_1755_holiday_monday_two_pauses_exact_due_times(sla_alpha, world, clock, db):
    """The issue's example, to the minute: raised Friday 17:55, Monday a holiday, waiting on the client twice."""
    category = sla_alpha["cats"]["GENERAL"]
    category.resolution_hours = {"urgent": 8, "high": 8, "normal": 8, "low": 8}
    clock.set(local(2026, 11, 27, 17, 55))  # a Friday
    req = raise_request(sla_alpha, world)
    # 4 working hours: 5 minutes on Friday, Monday off, then 09:00-12:00 and 13:00-13:55 on Tuesday.
    assert req.response_due_at == local(2026, 12, 1, 13, 55)
    assert req.resolution_due_at == local(2026, 12, 1, 17, 55)  # 8 h: 5 min Friday, then all of Tuesday
    engineer = world.person("alpha", "vendor_engineer")
    clock.set(local(2026, 12, 1, 9, 30))
    services.reply(req, engineer, "正在排查", by_client=False)
    assert req.status == RequestStatus.ACKNOWLEDGED and req.first_response_at == local(2026, 12, 1, 9, 30)
    clock.set(local(2026, 12, 1, 10, 0))
    services.change_status(req, RequestStatus.WAITING_ON_CLIENT, engineer, by_client=False, note="请提供日志")
    assert req.resolution_due_at is None and req.next_due_at is None  # the clock stands still
    clock.set(local(2026, 12, 1, 14, 0))
    services.reply(req, world.person("alpha", "client_user"), "日志见附件", by_client=True)
    assert req.status == RequestStatus.IN_PROGRESS
    clock.set(local(2026, 12, 2, 9, 0))
    services.change_status(req, RequestStatus.WAITING_ON_CLIENT, engineer, by_client=False)
    clock.set(local(2026, 12, 2, 10, 30))
    services.change_status(req, RequestStatus.IN_PROGRESS, engineer, by_client=False)
    db.session.commit()
    # 8 h: 5 min Fri; Tue 09:00-10:00 (1h05), paused to 14:00; 14:00-18:00 (5h05); Wed paused to 10:30;
    # 10:30-12:00 (6h35); 13:00 + 1h25 = 14:25.
    assert req.resolution_due_at == local(2026, 12, 2, 14, 25)
    assert req.next_due_at == req.resolution_due_at
    assert [(p.started_at, p.ended_at) for p in req.pauses] == [
        (local(2026, 12, 1, 10, 0), local(2026, 12, 1, 14, 0)),
        (local(2026, 12, 2, 9, 0), local(2026, 12, 2, 10, 30)),
    ]
    clock.set(local(2026, 12, 2, 14, 24))
    services.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    db.session.commit()
    assert db.session.scalar(select(func.count(SlaBreach.id))) == 0  # resolved a minute early: no breach


def test_s2_2_2_fault_around_the_clock_and_the_sweep_records_the_breach_once(sla_alpha, world, clock, db):
    """A fault raised on Saturday night is due two hours later, 7x24; the sweep records §8.1.2 once."""
    clock.set(local(2026, 11, 28, 23, 0))
    req = raise_request(sla_alpha, world, code="FAULT", priority="urgent")
    assert req.kind == RequestKind.FAULT and req.response_hours == 2
    assert req.response_due_at == local(2026, 11, 29, 1, 0)
    assert sla.sweep() == 0
    clock.set(local(2026, 11, 29, 1, 0, 1))
    assert sla.sweep() == 1
    assert sla.sweep() == 0  # a second run records nothing more
    db.session.expire_all()
    breach = db.session.scalar(select(SlaBreach))
    assert (breach.kind, breach.clause, breach.due_at, breach.met_at) == (
        "response",
        "8.1.2",
        local(2026, 11, 29, 1, 0),
        None,
    )
    assert breach.evidence["calendar"]["always"] is True and breach.evidence["target_hours"] == 2
    assert breach.evidence["received_at"] == local(2026, 11, 28, 23, 0).astimezone(UTC).isoformat()
    assert req.response_breached and not req.resolution_breached
    assert req.next_due_at == req.resolution_due_at == local(2026, 11, 29, 7, 0)  # urgent: 8 h, around the clock
    events = db.session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == req.id)).all()
    assert events.count("breach") == 1
    # Answering late afterwards does not record the same breach again.
    services.reply(req, world.person("alpha", "vendor_engineer"), "处理中", by_client=False)
    db.session.commit()
    assert db.session.scalar(select(func.count(SlaBreach.id))) == 1
    with pytest.raises(AppendOnlyError):
        db.session.delete(breach)
        db.session.flush()
    db.session.rollback()


def test_s8_1_2_a_late_answer_is_recorded_at_once_with_when_it_came(sla_alpha, world, clock, db):
    """Answered after the due time but before any sweep: the breach is recorded with the late answer's time."""
    clock.set(local(2026, 11, 28, 23, 0))
    req = raise_request(sla_alpha, world, code="FAULT")
    clock.set(local(2026, 11, 29, 2, 15))
    services.change_status(req, RequestStatus.IN_PROGRESS, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    breach = db.session.scalar(select(SlaBreach))
    assert breach.met_at == local(2026, 11, 29, 2, 15) and breach.kind == "response"
    assert sla.sweep() == 0


def test_s2_1_2_onsite_arrival_is_measured_against_the_recorded_arrival(sla_alpha, world, clock, db):
    """On-site: arrival due 8 working hours after the request; the engineer's recorded arrival decides."""
    clock.set(local(2026, 11, 26, 10, 0))  # Thursday
    late = raise_request(sla_alpha, world, code="ONSITE")
    on_time = raise_request(sla_alpha, world, code="ONSITE")
    assert late.arrival_due_at == local(2026, 11, 27, 10, 0)  # 8 working hours: Thu 10-12, 13-18, Fri 9-10
    clock.set(local(2026, 11, 26, 10, 30))
    for req in (late, on_time):
        services.reply(req, world.person("alpha", "vendor_engineer"), "已安排工程师上门", by_client=False)
    member = TeamMember(tenant_id=sla_alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    clock.set(local(2026, 11, 27, 16, 0))
    engineer = world.person("alpha", "vendor_engineer")
    services.record_visit(on_time, engineer, member, local(2026, 11, 27, 9, 40), local(2026, 11, 27, 11, 0))
    services.record_visit(late, engineer, member, local(2026, 11, 27, 10, 20), local(2026, 11, 27, 15, 0))
    db.session.commit()
    breaches = db.session.scalars(select(SlaBreach)).all()
    assert [(b.request_id, b.kind, b.clause, b.met_at) for b in breaches] == [
        (late.id, "arrival", "8.1.1", local(2026, 11, 27, 10, 20))
    ]
    assert on_time.first_arrival_at == local(2026, 11, 27, 9, 40) and not on_time.arrival_breached
    with pytest.raises(ServiceError):
        services.record_visit(on_time, engineer, member, local(2026, 11, 27, 17, 0), None)  # in the future


def test_s2_1_2_the_visit_is_on_the_timeline_on_arrival_and_again_on_a_later_departure(sla_alpha, world, clock, db):
    """Each line names the visit's engineer and its times as they stand then: no departure yet, then the departure."""
    clock.set(local(2026, 11, 26, 10, 0))
    req = raise_request(sla_alpha, world, code="ONSITE")
    member = TeamMember(tenant_id=sla_alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    engineer = world.person("alpha", "vendor_engineer")
    clock.set(local(2026, 11, 26, 15, 0))
    visit = services.record_visit(req, engineer, member, local(2026, 11, 26, 14, 30), None, "到场 on site")
    clock.set(local(2026, 11, 26, 17, 0))
    services.record_departure(req, visit, engineer, local(2026, 11, 26, 16, 45), "修好 fixed")
    db.session.commit()
    lines = db.session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == req.id, RequestEvent.kind == "visit")
        .order_by(RequestEvent.id)
    ).all()
    arrived = local(2026, 11, 26, 14, 30).isoformat()
    assert [(e.body, e.data["engineer"], e.data["arrived_at"], e.data["departed_at"]) for e in lines] == [
        ("到场 on site", "李工", arrived, None),
        ("修好 fixed", "李工", arrived, local(2026, 11, 26, 16, 45).isoformat()),
    ]
    assert all(e.actor_id == engineer.id and not e.internal for e in lines)


def test_s8_1_3_sweep_over_many_requests_records_each_deadline_once(sla_alpha, world, clock, db):
    """Response and resolution deadlines of several requests, across chunks and repeated runs."""
    clock.set(local(2026, 11, 28, 23, 0))
    sla.SWEEP_CHUNK, saved = 2, sla.SWEEP_CHUNK
    try:
        requests = [raise_request(sla_alpha, world, code="FAULT", priority="urgent") for _ in range(5)]
        services.reply(requests[0], world.person("alpha", "vendor_engineer"), "收到", by_client=False)
        db.session.commit()
        clock.set(local(2026, 11, 29, 8, 0))  # past response (01:00) and resolution (07:00)
        assert sla.sweep() == 9  # 4 unanswered responses + 5 unresolved
        assert sla.sweep() == 0
    finally:
        sla.SWEEP_CHUNK = saved
    kinds = db.session.execute(select(SlaBreach.kind, func.count()).group_by(SlaBreach.kind)).all()
    assert dict(kinds) == {"response": 4, "resolution": 5}


def test_s4_2_the_client_confirms_or_reopens_and_cannot_resolve(sla_alpha, world, clock, db):
    """The workflow: the client may only answer, confirm or reopen; reopening restarts the clock."""
    clock.set(local(2026, 11, 26, 10, 0))
    req = raise_request(sla_alpha, world)
    client_user, engineer = world.person("alpha", "client_user"), world.person("alpha", "vendor_engineer")
    with pytest.raises(ServiceError):
        services.change_status(req, RequestStatus.RESOLVED, client_user, by_client=True)
    services.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    assert req.first_response_at is not None and req.next_due_at is None and not req.is_open
    clock.set(local(2026, 11, 26, 15, 0))
    services.change_status(req, RequestStatus.IN_PROGRESS, client_user, by_client=True)
    assert req.is_open and req.resolved_at is None
    # 72 h of office time, not counting the 5 hours it stood resolved
    assert req.resolution_due_at == local(2026, 12, 10, 15, 0)
    services.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    services.change_status(req, RequestStatus.CLOSED, client_user, by_client=True)
    db.session.commit()
    kinds = [e.kind for e in services.timeline(req, include_internal=False)]
    assert kinds == ["created", "status", "reopened", "status", "status"]
    with pytest.raises(ServiceError):
        services.reply(req, client_user, "again", by_client=True)


def test_s4_2_internal_notes_stay_with_the_vendor(sla_alpha, world, clock, db):
    clock.set(local(2026, 11, 26, 10, 0))
    req = raise_request(sla_alpha, world)
    services.reply(req, world.person("alpha", "vendor_engineer"), "客户环境有问题", by_client=False, internal=True)
    services.reply(req, world.person("alpha", "client_user"), "internal?", by_client=True, internal=True)
    db.session.commit()
    assert [e.kind for e in services.timeline(req, include_internal=False)] == ["created", "reply"]
    assert [e.kind for e in services.timeline(req, include_internal=True)] == ["created", "note", "reply"]
    assert req.first_response_at is None  # a note is not a response to the client


def test_s10_4_no_request_without_a_contract_in_force(sla_alpha, world, clock, db):
    """A client with no agreement in force cannot raise requests; after termination, neither can this one."""
    clock.set(local(2026, 11, 26, 10, 0))
    other = world.clients("alpha")[1]
    with pytest.raises(ServiceError, match="no service agreement in force"):
        services.create_request(
            sla_alpha["tenant"],
            other.id,
            {"category_id": sla_alpha["cats"]["GENERAL"].id, "subject": "x"},
            world.person("alpha", "vendor_admin"),
        )
    change = changes.propose_termination(
        sla_alpha["contract"], date(2026, 11, 30), "双方协商一致", world.person("alpha", "vendor_admin")
    )
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(sla_alpha["contract"], change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    clock.set(local(2026, 12, 1, 10, 0))
    from saas.contracts.tasks import refresh_contract_statuses

    refresh_contract_statuses()
    with pytest.raises(ServiceError, match="no service agreement in force"):
        raise_request(sla_alpha, world)


def test_s4_2_numbers_count_per_tenant_and_mail_goes_to_the_right_people(sla_alpha, world, clock, db):
    clock.set(local(2026, 11, 26, 10, 0))
    first, second = raise_request(sla_alpha, world), raise_request(sla_alpha, world)
    assert (first.number, second.number) == (1, 2)
    phone = services.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {
            "category_id": sla_alpha["cats"]["CONSULT"].id,
            "subject": "电话咨询",
            "requester_name": "赵先生",
            "requester_contact": "010-12345678",
        },
        world.person("alpha", "vendor_engineer"),
        channel=Channel.PHONE,
    )
    db.session.commit()
    assert phone.requester_id is None and phone.response_hours == 8  # consult_response_hours
    mails = db.session.scalars(select(MailMessage.to).where(MailMessage.subject.contains("#1"))).all()
    assert sorted(mails) == ["vendor_admin@alpha.example.com"]  # the requester raised it: no mail to herself
    phone_mails = db.session.scalars(select(MailMessage.to).where(MailMessage.subject.contains("#3"))).all()
    assert sorted(phone_mails) == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]


def test_s4_1_time_left_of_a_page_equals_each_request_on_its_own(sla_alpha, world, clock, db):
    """The queue walks each calendar once per page: the working time left must be what each row alone gives."""
    clock.set(local(2026, 11, 27, 17, 55))
    reqs = [
        raise_request(sla_alpha, world, code=code, priority=priority)
        for code in ("GENERAL", "FAULT", "ONSITE", "CONSULT")
        for priority in ("urgent", "normal", "low")
    ]
    services.change_status(reqs[0], "waiting_on_client", world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    specs = sla.tenant_specs(sla_alpha["tenant"].id)
    for hours in (0, 1, 30, 80, 200):
        at = local(2026, 11, 27, 17, 55) + timedelta(hours=hours)
        page = sla.clock_states(reqs, specs, at)
        assert page == {r.id: sla.clock_state(r, specs, at) for r in reqs}, hours
    assert page[reqs[0].id]["paused"] and page[reqs[0].id]["left"] is None
