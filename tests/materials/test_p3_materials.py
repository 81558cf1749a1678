"""Part 3, 说明二 1.2: the vendor asks the client for technical materials a request needs, by a deadline; the request's
clocks stand still while they are awaited and move on by exactly the paused working time; not supplied by the
deadline, the client's breach is recorded once with its evidence, and the vendor may propose a §8.2 penalty,
confirmed and billed once on the next invoice, or waived, or contested in a dispute."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing.models import Invoice, InvoiceLine
from saas.billing.services import bill
from saas.core.models import AppendOnlyError, MailMessage
from saas.disputes import services as disputes
from saas.extensions import db
from saas.materials import breaches, penalties, services
from saas.materials.models import ClientBreach, MaterialsPenalty, MaterialsRequest, MaterialsStatus
from saas.requests import services as requests
from saas.requests.models import RequestAttachment, RequestEvent, RequestPause, RequestStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def office_request(sla_alpha, world, clock):
    """A general request on the office calendar (09:00–12:00, 13:00–18:00 on weekdays), raised Tuesday 1 December
    2026 at 09:00: response within 4 working hours (due 14:00), resolution within 8 (due 18:00)."""
    sla_alpha["cats"]["GENERAL"].resolution_hours = {"urgent": 8, "high": 8, "normal": 8, "low": 8}
    clock.set(local(2026, 12, 1, 9, 0))
    req = requests.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"]["GENERAL"].id, "subject": "报表导出失败"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    assert (req.response_due_at, req.resolution_due_at) == (local(2026, 12, 1, 14, 0), local(2026, 12, 1, 18, 0))
    return req


def ask(req, world, what="数据库慢查询日志", due=None):
    materials = services.ask(req, world.person("alpha", "vendor_engineer"), what, due or local(2026, 12, 3, 18, 0))
    db.session.commit()
    return materials


def test_p3_asking_for_materials_stops_the_clocks_and_supplying_moves_them_by_the_paused_working_time(
    db, world, clock, office_request
):
    req = office_request
    clock.set(local(2026, 12, 1, 10, 0))  # 1 working hour used
    materials = ask(req, world)
    assert materials.status == MaterialsStatus.ASKED and req.paused_since == local(2026, 12, 1, 10, 0)
    assert req.response_due_at is None and req.resolution_due_at is None and req.next_due_at is None
    assert req.first_response_at is None  # an ask is no answer to the request
    pause = db.session.get(RequestPause, materials.pause_id)
    assert (pause.reason, pause.ended_at) == ("materials", None)

    clock.set(local(2026, 12, 2, 11, 0))  # paused: Tue 10–12, 13–18 and Wed 09–11, 9 working hours
    assert services.supply(
        materials, world.person("alpha", "client_user"), "日志见附件", [("slow.log", "text/plain", b"x")]
    )
    db.session.commit()
    assert req.paused_since is None
    # 3 response hours left from Wed 11:00: 11–12, 13–15; 7 resolution hours: 11–12, 13–18, Thu 09–10.
    assert req.response_due_at == local(2026, 12, 2, 15, 0)
    assert req.resolution_due_at == local(2026, 12, 3, 10, 0)
    assert req.next_due_at == local(2026, 12, 2, 15, 0)
    assert (materials.status, materials.supplied_at, materials.late) == (
        MaterialsStatus.SUPPLIED,
        local(2026, 12, 2, 11, 0),
        False,
    )
    assert db.session.get(RequestPause, materials.pause_id).ended_at == local(2026, 12, 2, 11, 0)
    files = db.session.scalars(select(RequestAttachment).where(RequestAttachment.request_id == req.id)).all()
    assert [(f.filename, f.event_id) for f in files] == [("slow.log", materials.supplied_event_id)]
    lines = [
        e.data["action"]
        for e in db.session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == req.id, RequestEvent.kind == "materials")
        )
    ]
    assert lines == ["asked", "supplied"]
    # a second click supplies nothing more
    assert not services.supply(materials, world.person("alpha", "client_user"), "again")


def test_p3_two_asks_and_waiting_on_the_client_keep_the_clocks_still_until_every_one_ends(
    db, world, clock, office_request
):
    req, engineer, user = office_request, world.person("alpha", "vendor_engineer"), world.person("alpha", "client_user")
    clock.set(local(2026, 12, 1, 10, 0))
    logs = ask(req, world, "日志")
    clock.set(local(2026, 12, 1, 11, 0))
    diagram = ask(req, world, "网络拓扑图")
    requests.change_status(req, RequestStatus.WAITING_ON_CLIENT, engineer, by_client=False)
    db.session.commit()
    clock.set(local(2026, 12, 1, 14, 0))
    requests.reply(req, user, "拓扑图在整理", by_client=True)  # the client answers: waiting on it ends…
    db.session.commit()
    assert req.status == RequestStatus.IN_PROGRESS
    assert req.paused_since == local(2026, 12, 1, 10, 0) and req.next_due_at is None  # …the asks still hold
    clock.set(local(2026, 12, 1, 15, 0))
    services.supply(logs, user, "日志已上传")
    db.session.commit()
    assert req.paused_since == local(2026, 12, 1, 11, 0) and req.response_due_at is None  # the diagram still holds
    clock.set(local(2026, 12, 1, 16, 0))
    assert services.withdraw(diagram, engineer, "已在现场拿到")
    db.session.commit()
    assert req.paused_since is None
    # 1 h used before 10:00; 3 response hours from 16:00: 16–18, Wed 09–10.
    assert req.response_due_at == local(2026, 12, 2, 10, 0)
    assert diagram.status == MaterialsStatus.WITHDRAWN
    assert db.session.scalar(select(func.count()).select_from(RequestPause).where(RequestPause.ended_at.is_(None))) == 0


def test_p3_a_deadline_in_the_past_or_too_far_is_refused_saying_why_and_nothing_is_written(
    db, world, clock, office_request
):
    req = office_request
    clock.set(local(2026, 12, 1, 10, 0))
    with pytest.raises(services.MaterialsError, match="has passed already"):
        services.ask(req, world.person("alpha", "vendor_engineer"), "日志", local(2026, 12, 1, 9, 59))
    with pytest.raises(services.MaterialsError, match="within 180 days"):
        services.ask(req, world.person("alpha", "vendor_engineer"), "日志", local(2027, 7, 1, 9, 0))
    with pytest.raises(services.MaterialsError, match="Say which materials"):
        services.ask(req, world.person("alpha", "vendor_engineer"), "  ", local(2026, 12, 2, 9, 0))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MaterialsRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(RequestPause)) == 0
    assert req.paused_since is None and req.response_due_at == local(2026, 12, 1, 14, 0)


def test_p3_the_ask_form_refuses_a_past_deadline_in_both_languages_as_an_htmx_fragment(
    db, world, clock, client, office_request
):
    req = office_request
    clock.set(local(2026, 12, 1, 10, 0))
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    url = f"/t/alpha/materials/ask/{req.id}"
    hx = {"HX-Request": "true"}
    refused = client.post_form(url, {"what": "日志", "due_at": "2026-11-30T18:00"}, headers=hx)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in body and 'id="materials-section"' in body
    assert "has passed already: give one after now" in body
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    body = client.post_form(url, {"what": "日志", "due_at": "2026-11-30T18:00"}, headers=hx).get_data(as_text=True)
    assert "已经过去" in body
    missing = client.post_form(url, {"what": "", "due_at": ""}, headers=hx)
    assert missing.status_code == 422 and "请说明需要哪些资料" in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MaterialsRequest)) == 0

    made = client.post_form(url, {"what": "日志", "due_at": "2026-12-03T18:00"}, headers=hx)
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and "<html" not in body and 'data-testid="materials-row"' in body
    # the same ask sent again (a double click on an HTMX form) is the first one
    client.post_form(url, {"what": "日志", "due_at": "2026-12-03T18:00"}, headers=hx)
    asks = db.session.scalars(select(MaterialsRequest)).all()
    assert [(m.what, m.due_at) for m in asks] == [("日志", local(2026, 12, 3, 18, 0))]
    page = client.get(f"/t/alpha/requests/{req.id}").get_data(as_text=True)
    assert "日志" in page and 'data-testid="ask-form"' in page


def test_p3_the_sweep_reminds_a_day_before_and_records_the_breach_once_with_its_evidence(
    db, world, clock, office_request, sla_alpha
):
    tenant, req = sla_alpha["tenant"], office_request
    clock.set(local(2026, 12, 1, 10, 0))
    materials = ask(req, world, "AWR 报告", local(2026, 12, 3, 18, 0))
    admin = world.person("alpha", "client_admin")
    mails = lambda prefix: db.session.scalars(  # noqa: E731
        select(MailMessage.to).where(MailMessage.dedupe_key.like(f"{prefix}:{materials.id}:%"))
    ).all()
    assert mails("materials-asked") == [admin.email]

    clock.set(local(2026, 12, 2, 0, 10))  # due tomorrow: reminded once
    assert breaches.sweep(tenant) == 0
    db.session.commit()
    assert breaches.sweep(tenant) == 0
    assert mails("materials-reminder") == [admin.email] and materials.reminded_at == local(2026, 12, 2, 0, 10)

    clock.set(local(2026, 12, 3, 17, 59))
    assert breaches.sweep(tenant) == 0 and materials.status == MaterialsStatus.ASKED
    clock.set(local(2026, 12, 4, 0, 10))
    assert breaches.sweep(tenant) == 1
    db.session.commit()
    assert breaches.sweep(tenant) == 0  # the next run, or a re-run, records nothing twice
    db.session.commit()
    breach = db.session.scalars(select(ClientBreach)).one()
    assert (breach.clause, breach.kind, breach.due_at, breach.detected_at) == (
        "p3",
        "materials",
        local(2026, 12, 3, 18, 0),
        local(2026, 12, 4, 0, 10),
    )
    assert breach.evidence == {
        "what": "AWR 报告",
        "asked_at": local(2026, 12, 1, 10, 0).astimezone(ZoneInfo("UTC")).isoformat(),
        "asked_by": world.person("alpha", "vendor_engineer").name,
        "due_at": local(2026, 12, 3, 18, 0).astimezone(ZoneInfo("UTC")).isoformat(),
        "reminders": [
            local(2026, 12, 1, 10, 0).astimezone(ZoneInfo("UTC")).isoformat(),
            local(2026, 12, 2, 0, 10).astimezone(ZoneInfo("UTC")).isoformat(),
        ],
        "found_at": local(2026, 12, 4, 0, 10).astimezone(ZoneInfo("UTC")).isoformat(),
        "request_id": req.id,
        "request": req.number,
        "subject": "报表导出失败",
        "contract": sla_alpha["contract"].number,
    }
    assert materials.status == MaterialsStatus.OVERDUE and mails("materials-overdue") == [admin.email]
    assert req.next_due_at is None  # still awaited: the clocks stand still until supplied or withdrawn
    with pytest.raises(AppendOnlyError):
        breach.evidence = {}
        db.session.flush()
    db.session.rollback()
    # supplied late: the breach stays, the clocks run again
    clock.set(local(2026, 12, 4, 9, 0))
    services.supply(db.session.get(MaterialsRequest, materials.id), world.person("alpha", "client_user"), "迟到的报告")
    db.session.commit()
    late = db.session.get(MaterialsRequest, materials.id)
    assert late.status == MaterialsStatus.SUPPLIED and late.late
    assert db.session.scalar(select(func.count()).select_from(ClientBreach)) == 1


def overdue_breach(world, clock, req, tenant) -> ClientBreach:
    clock.set(local(2026, 12, 1, 10, 0))
    ask(req, world, "AWR 报告", local(2026, 12, 2, 18, 0))
    clock.set(local(2026, 12, 3, 0, 10))
    breaches.sweep(tenant)
    db.session.commit()
    return db.session.scalars(select(ClientBreach)).one()


def invoice_lines(contract) -> list[tuple[str, str, Decimal]]:
    return [
        (invoice, line.kind, line.amount)
        for invoice, line in db.session.execute(
            select(Invoice.number, InvoiceLine)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .where(Invoice.contract_id == contract.id)
            .order_by(Invoice.id, InvoiceLine.position)
        ).all()
    ]


def test_s8_2_the_materials_penalty_is_the_stated_base_times_the_rate_confirmed_and_billed_once(
    db, world, clock, office_request, sla_alpha
):
    tenant, contract = sla_alpha["tenant"], sla_alpha["contract"]
    breach = overdue_breach(world, clock, office_request, tenant)
    billing = world.person("alpha", "vendor_billing")
    line = contract.lines[0]  # remote support, 1 × 3,000.00 a month
    penalty = penalties.propose(breach, billing, line=line)
    db.session.commit()
    assert (penalty.basis, penalty.rate, penalty.amount, penalty.status) == (
        Decimal("3000.00"),
        Decimal("0.1000"),
        Decimal("300.00"),
        "proposed",
    )
    assert penalty.basis_note.endswith("1 × 3000.00 CNY") and penalty.clause == "8.2"
    with pytest.raises(penalties.PenaltyError, match="proposed for this breach already"):
        penalties.propose(breach, billing, basis=Decimal("100.00"), basis_note="x")
    db.session.rollback()
    with pytest.raises(penalties.PenaltyError, match="Say why"):
        penalties.waive(penalty, billing, " ")
    db.session.rollback()
    assert penalties.confirm(penalty, billing, "按第 8.2 条")
    assert not penalties.confirm(penalty, billing)
    db.session.commit()

    clock.set(local(2027, 1, 1, 0, 30))
    assert bill(tenant, [contract.id], date(2027, 1, 1)) >= 1
    assert bill(tenant, [contract.id], date(2027, 1, 1)) == 0  # the same run again
    db.session.commit()
    clock.set(local(2027, 2, 1, 0, 30))
    bill(tenant, [contract.id], date(2027, 2, 1))
    db.session.commit()
    penalty_lines = [row for row in invoice_lines(contract) if row[1] == "penalty"]
    assert len(penalty_lines) == 1 and penalty_lines[0][2] == Decimal("300.00")
    db.session.refresh(penalty)
    assert penalty.status == "billed" and penalty.billed_invoice.number == penalty_lines[0][0]
    line_row = db.session.scalar(select(InvoiceLine).where(InvoiceLine.kind == "penalty"))
    assert line_row.source["key"] == f"materials.penalty:{penalty.id}"
    assert "Part 3, 说明二 1.2" in line_row.description and f"#{office_request.number}" in line_row.description


def test_s8_2_a_stated_base_is_rounded_once_half_up_and_must_say_how_it_was_found(
    db, world, clock, office_request, sla_alpha
):
    breach = overdue_breach(world, clock, office_request, sla_alpha["tenant"])
    billing = world.person("alpha", "vendor_billing")
    with pytest.raises(penalties.PenaltyError, match="Say how the base was found"):
        penalties.propose(breach, billing, basis=Decimal("1234.55"))
    with pytest.raises(penalties.PenaltyError, match="above zero"):
        penalties.propose(breach, billing, basis=Decimal("0"), basis_note="x")
    db.session.rollback()
    penalty = penalties.propose(breach, billing, basis=Decimal("1234.55"), basis_note="十二月现场支持费的一半")
    assert penalty.amount == Decimal("123.46")  # 123.455, rounded half-up once (Babel would round half-even)


def test_s8_2_a_contested_materials_penalty_decided_for_the_client_is_waived(
    db, world, clock, office_request, sla_alpha
):
    tenant = sla_alpha["tenant"]
    breach = overdue_breach(world, clock, office_request, tenant)
    penalty = penalties.propose(breach, world.person("alpha", "vendor_billing"), line=sla_alpha["contract"].lines[0])
    db.session.commit()
    dispute = disputes.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject="materials",
        subject_id=penalty.id,
        contract=None,
        summary="资料已通过邮件发送",
        client_id=sla_alpha["client"].id,
    )
    assert dispute.amount == Decimal("300.00") and dispute.contract_id == sla_alpha["contract"].id
    disputes.resolve(dispute, world.person("alpha", "vendor_admin"), outcome="for_client", note="邮件记录属实")
    db.session.commit()
    db.session.refresh(penalty)
    assert penalty.status == "waived" and dispute.number in penalty.note


def test_s8_2_a_contested_materials_penalty_decided_for_the_vendor_is_confirmed(
    db, world, clock, office_request, sla_alpha
):
    tenant = sla_alpha["tenant"]
    breach = overdue_breach(world, clock, office_request, tenant)
    penalty = penalties.propose(breach, world.person("alpha", "vendor_billing"), line=sla_alpha["contract"].lines[0])
    dispute = disputes.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject="materials",
        subject_id=penalty.id,
        contract=None,
        summary="不同意",
        client_id=sla_alpha["client"].id,
    )
    disputes.resolve(dispute, world.person("alpha", "vendor_admin"), outcome="for_vendor", note="资料确未提供")
    db.session.commit()
    db.session.refresh(penalty)
    assert penalty.status == "confirmed"


def test_p3_screens_the_vendor_proposes_confirms_and_waives_by_htmx_and_the_client_sees_its_own(
    db, world, clock, client, office_request, sla_alpha
):
    breach = overdue_breach(world, clock, office_request, sla_alpha["tenant"])
    materials = breach.materials
    hx = {"HX-Request": "true"}
    client.sign_in(world.person("alpha", "vendor_billing").email)
    listed = client.get("/t/alpha/materials/?status=overdue").get_data(as_text=True)
    assert "AWR 报告" in listed and 'data-testid="materials-row"' in listed
    detail = client.get(f"/t/alpha/materials/{materials.id}").get_data(as_text=True)
    assert "Party A&#39;s breach" in detail and 'data-testid="materials-timeline"' in detail
    assert "AWR 报告" in client.get("/t/alpha/materials/breaches", headers=hx).get_data(as_text=True)
    url = f"/t/alpha/materials/breaches/{breach.id}"
    assert 'data-testid="propose-form"' in client.get(url).get_data(as_text=True)
    refused = client.post_form(f"{url}/penalty", {"line_id": "0", "basis": "", "basis_note": ""}, headers=hx)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MaterialsPenalty)) == 0
    line = sla_alpha["contract"].lines[0]
    made = client.post_form(f"{url}/penalty", {"line_id": str(line.id)}, headers=hx)
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and 'id="breach-penalty"' in body and "<html" not in body and "300.00" in body
    penalty = db.session.scalars(select(MaterialsPenalty)).one()
    waive = client.post_form(f"/t/alpha/materials/penalties/{penalty.id}/waive", {"reason": ""}, headers=hx)
    assert waive.status_code == 422 and "Say why the penalty is waived." in waive.get_data(as_text=True)
    done = client.post_form(f"/t/alpha/materials/penalties/{penalty.id}/confirm", {"note": ""}, headers=hx)
    assert done.status_code == 200 and "Penalty confirmed" in done.get_data(as_text=True)

    client.sign_in(world.person("alpha", "client_admin").email)
    mine = client.get("/t/alpha/portal/materials/breaches").get_data(as_text=True)
    assert "AWR 报告" in mine and "300.00" in mine
    assert "AWR 报告" in client.get(f"/t/alpha/portal/materials/breaches/{breach.id}").get_data(as_text=True)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    assert "甲方违约" in client.get(f"/t/alpha/portal/materials/breaches/{breach.id}").get_data(as_text=True)


def test_p3_the_client_supplies_on_its_request_page_by_htmx_and_another_client_of_the_vendor_gets_404(
    db, world, clock, client, office_request, sla_alpha
):
    req = office_request
    clock.set(local(2026, 12, 1, 10, 0))
    materials = ask(req, world, "AWR 报告", local(2026, 12, 2, 18, 0))
    clock.set(local(2026, 12, 1, 15, 0))
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)
    assert 'data-testid="supply-form"' in page and 'data-testid="ask-form"' not in page
    prefix = f"m{materials.id}-"
    token = client.csrf_token()
    refused = client.post(
        f"/t/alpha/portal/materials/{materials.id}/supply",
        data={f"{prefix}csrf_token": token, f"{prefix}note": ""},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "Write a note or attach" in refused.get_data(as_text=True)
    supplied = client.post(
        f"/t/alpha/portal/materials/{materials.id}/supply",
        data={
            f"{prefix}csrf_token": token,
            f"{prefix}note": "报告见附件",
            f"{prefix}files": [(__import__("io").BytesIO(b"AWR"), "awr.html")],
        },
        headers={"HX-Request": "true"},
        content_type="multipart/form-data",
    )
    body = supplied.get_data(as_text=True)
    assert supplied.status_code == 200 and "<html" not in body and "the materials are with the vendor" in body
    db.session.expire_all()
    materials = db.session.get(MaterialsRequest, materials.id)
    assert materials.status == MaterialsStatus.SUPPLIED
    file_row = db.session.scalar(
        select(RequestAttachment).where(RequestAttachment.event_id == materials.supplied_event_id)
    )
    assert client.get(f"/t/alpha/portal/requests/{req.id}/files/{file_row.id}").data == b"AWR"
    assert client.get(f"/t/alpha/portal/materials/{materials.id}").status_code == 200

    client.sign_in(world.person("alpha", "client_admin_2").email)  # the vendor's other client
    assert client.get(f"/t/alpha/portal/materials/{materials.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/requests/{req.id}/files/{file_row.id}").status_code == 404
    other = client.post_form(f"/t/alpha/portal/materials/{materials.id}/supply", {f"{prefix}note": "x"})
    assert other.status_code == 404
    listed = client.get("/t/alpha/portal/materials/").get_data(as_text=True)
    assert "AWR 报告" not in listed and not re.search(r"portal/materials/\d+\"", listed)


def test_hook_saas_request_sections_p3_the_materials_block_is_on_the_request_page_of_both_parties(
    db, world, clock, client, office_request
):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    page = client.get(f"/t/alpha/requests/{office_request.id}").get_data(as_text=True)
    assert 'id="materials-section"' in page and "No materials asked of the client" in page
    # the polled clock is the clock alone
    clock_panel = client.get(f"/t/alpha/requests/{office_request.id}/clock", headers={"HX-Request": "true"})
    assert 'id="materials-section"' not in clock_panel.get_data(as_text=True)
    client.sign_in(world.person("alpha", "client_user").email)
    assert 'id="materials-section"' in client.get(f"/t/alpha/portal/requests/{office_request.id}").get_data(
        as_text=True
    )
