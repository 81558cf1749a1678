"""§12.1 service records (Annex 7): every request of a period, its response and resolution, exported."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import event

from saas.core import dbscope
from saas.extensions import db
from saas.records import services as records
from saas.requests import services, sla
from saas.requests.models import RequestStatus
from saas.team.models import TeamMember

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def raise_at(sla_alpha, world, clock, when, code="GENERAL", subject="数据库连接超时"):
    clock.set(when)
    req = services.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"][code].id, "priority": "normal", "subject": subject},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def test_s12_1_a_month_lists_exactly_the_requests_received_in_it_in_shanghai_time(sla_alpha, world, clock, db):
    """23:30 on 30 November in Shanghai is still November; 00:10 on 1 December is December (16:10 UTC on the 30th)."""
    raise_at(sla_alpha, world, clock, local(2026, 11, 2, 10, 0))
    raise_at(sla_alpha, world, clock, local(2026, 11, 30, 23, 30))
    raise_at(sla_alpha, world, clock, local(2026, 12, 1, 0, 10))
    contract = sla_alpha["contract"]
    november = records.service_record(contract, date(2026, 11, 1), date(2026, 11, 30))
    december = records.service_record(contract, date(2026, 12, 1), date(2026, 12, 31))
    assert [line.number for line in november.lines] == [1, 2]
    assert [line.number for line in december.lines] == [3]
    assert november.summary.requests == 2 and december.summary.requests == 1
    # At 00:10 on 1 December in Shanghai (still 30 November in UTC) "this month" is December.
    assert records.preset_period(sla_alpha["tenant"], "this_month") == (date(2026, 12, 1), date(2026, 12, 31))
    assert records.preset_period(sla_alpha["tenant"], "last_month") == (date(2026, 11, 1), date(2026, 11, 30))


def test_s12_1_response_and_resolution_times_count_only_working_hours_without_pauses(sla_alpha, world, clock, db):
    """Raised Friday 17:00; Monday a holiday; answered Tuesday 09:30; waiting on the client 10:00–14:00; resolved
    Wednesday 10:00: 1 h 30 to respond, 7 h to resolve on the office calendar."""
    req = raise_at(sla_alpha, world, clock, local(2026, 11, 27, 17, 0))
    engineer, client_user = world.person("alpha", "vendor_engineer"), world.person("alpha", "client_user")
    clock.set(local(2026, 12, 1, 9, 30))
    services.reply(req, engineer, "正在排查", by_client=False)
    clock.set(local(2026, 12, 1, 10, 0))
    services.change_status(req, RequestStatus.WAITING_ON_CLIENT, engineer, by_client=False)
    clock.set(local(2026, 12, 1, 14, 0))
    services.reply(req, client_user, "日志见附件", by_client=True)
    clock.set(local(2026, 12, 2, 10, 0))
    services.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    db.session.commit()
    line = records.service_record(sla_alpha["contract"], date(2026, 11, 1), date(2026, 11, 30)).lines[0]
    assert line.first_response_at == local(2026, 12, 1, 9, 30)
    assert line.response_time == timedelta(hours=1, minutes=30)  # Friday 17:00–18:00, Tuesday 09:00–09:30
    assert line.response_due_at == local(2026, 12, 1, 12, 0) and line.response == records.MET
    # Friday 1 h + Tuesday 09:00–10:00 and 14:00–18:00 + Wednesday 09:00–10:00; the pause does not count.
    assert line.resolution_time == timedelta(hours=7)
    assert line.resolution == records.MET and line.resolved_at == local(2026, 12, 2, 10, 0)
    # 72 working hours, the pause on Tuesday not counted; the pause while resolved no longer moves it.
    assert line.resolution_due_at == local(2026, 12, 14, 11, 0)
    assert records.hours_minutes(line.response_time) == "1:30"
    assert records.working_hours(line.response_time) == records.Decimal("1.50")


def test_s12_1_visits_and_breaches_appear_with_their_clauses(sla_alpha, world, clock, db):
    """An on-site request answered only by the engineer's late arrival: §8.1.2 and §8.1.1 are in the record."""
    req = raise_at(sla_alpha, world, clock, local(2026, 11, 2, 9, 0), code="ONSITE")
    assert req.arrival_due_at == local(2026, 11, 2, 18, 0)  # 8 working hours
    engineer = TeamMember(tenant_id=sla_alpha["tenant"].id, name="张工", team_role="support_engineer")
    db.session.add(engineer)
    db.session.flush()
    clock.set(local(2026, 11, 3, 11, 0))
    services.record_visit(
        req,
        world.person("alpha", "vendor_engineer"),
        engineer,
        local(2026, 11, 3, 10, 0),
        local(2026, 11, 3, 10, 50),
        "更换硬盘",
    )
    db.session.commit()
    record = records.service_record(sla_alpha["contract"], date(2026, 11, 1), date(2026, 11, 30))
    line = record.lines[0]
    assert [(v.engineer, v.arrived_at, v.departed_at, v.arrival) for v in line.visits] == [
        ("张工", local(2026, 11, 3, 10, 0), local(2026, 11, 3, 10, 50), records.BREACHED)
    ]
    assert line.breaches == [("arrival", "8.1.1"), ("response", "8.1.2")]
    assert line.response == records.BREACHED and line.resolution == records.PENDING
    summary = record.summary
    assert (
        summary.requests,
        summary.responded_in_time,
        summary.responded_late,
        summary.visits,
        summary.arrivals_late,
    ) == (1, 0, 1, 1, 1)
    assert summary.breaches == {"8.1.1": 1, "8.1.2": 1}


def test_s12_1_csv_has_a_bom_and_the_rows_in_local_time(sla_alpha, world, clock, db, client):
    """The CSV opens in Excel with Chinese intact (UTF-8 BOM); one row per request; times in Shanghai time."""
    raise_at(sla_alpha, world, clock, local(2026, 11, 2, 10, 0))
    raise_at(sla_alpha, world, clock, local(2026, 11, 30, 23, 30), subject="打印机无法连接")
    raise_at(sla_alpha, world, clock, local(2026, 12, 1, 0, 10))
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    contract = sla_alpha["contract"]
    response = client.get(f"/t/alpha/records/export.csv?contract={contract.id}&start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        "attachment" in response.headers["Content-Disposition"]
        and contract.number in response.headers["Content-Disposition"]
    )
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Request number", "Received at", "Category"]
    assert [r[0] for r in rows[1:]] == ["#1", "#2"]
    assert rows[2][1] == "2026-11-30 23:30" and rows[2][5] == "打印机无法连接"
    assert rows[1][2] == "General service request"


def test_s12_1_xlsx_opens_with_a_title_and_the_rows(sla_alpha, world, clock, db, client):
    """The workbook names the contract, client and period, then one row per request with real date cells."""
    raise_at(sla_alpha, world, clock, local(2026, 11, 2, 10, 0))
    raise_at(sla_alpha, world, clock, local(2026, 11, 3, 11, 15), subject="打印机无法连接")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    contract = sla_alpha["contract"]
    response = client.get(f"/t/alpha/records/export.xlsx?contract={contract.id}&start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    title = sheet["A1"].value
    assert contract.number in title and sla_alpha["client"].legal_name in title and "2026-11-01" in title
    assert sheet["A3"].value == "Request number"
    assert [sheet.cell(row=r, column=1).value for r in (4, 5)] == ["#1", "#2"]
    assert sheet["B5"].value == datetime(2026, 11, 3, 11, 15) and sheet["F5"].value == "打印机无法连接"
    assert sheet.cell(row=7, column=1).value == "Requests" and sheet.cell(row=7, column=2).value == 2


def test_s12_1_the_record_screen_shows_the_period_and_offers_the_downloads(sla_alpha, world, clock, db, client):
    raise_at(sla_alpha, world, clock, local(2026, 11, 2, 10, 0))
    client.sign_in(world.person("alpha", "vendor_billing").email)
    assert client.get("/t/alpha/records/").status_code == 200
    page = client.get(f"/t/alpha/records/?contract={sla_alpha['contract'].id}&preset=this_month").get_data(as_text=True)
    assert "#1" in page and "数据库连接超时" in page and "export.xlsx" in page and "2026-11-30" in page
    bad = client.get(f"/t/alpha/records/?contract={sla_alpha['contract'].id}&start=2026-11-30&end=2026-11-01")
    assert bad.status_code == 200 and "The period must end on or after the day it starts." in bad.get_data(as_text=True)


def test_s12_1_the_record_takes_a_fixed_number_of_queries(sla_alpha, world, clock, db):
    """3 requests or 30, with pauses, visits and breaches: the same number of SQL statements."""
    engineer = world.person("alpha", "vendor_engineer")
    member = TeamMember(tenant_id=sla_alpha["tenant"].id, name="李工", team_role="support_engineer")
    db.session.add(member)
    db.session.flush()

    def raise_some(count, first_day):
        for i in range(count):
            req = raise_at(
                sla_alpha, world, clock, local(2026, 11, first_day, 9, i), code="ONSITE" if i % 2 else "GENERAL"
            )
            clock.set(local(2026, 11, first_day, 10, i))
            services.change_status(req, RequestStatus.WAITING_ON_CLIENT, engineer, by_client=False)
            services.change_status(req, RequestStatus.IN_PROGRESS, engineer, by_client=False)
            if req.arrival_hours is not None:
                services.record_visit(req, engineer, member, local(2026, 11, first_day, 10, i), None)
            db.session.commit()

    def statements():
        db.session.expire_all()
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            if statement != dbscope.SET_SCOPE:  # a transaction's first statement on PostgreSQL, not the record's
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            record = records.service_record(sla_alpha["contract"], date(2026, 11, 1), date(2026, 11, 30))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(record.lines), len(seen)

    raise_some(3, 2)
    lines_3, queries_3 = statements()
    raise_some(27, 3)
    clock.set(local(2026, 11, 20, 9, 0))
    assert sla.sweep() == 30  # every resolution is overdue by now: 30 breaches to load, still in one query
    lines_30, queries_30 = statements()
    assert (lines_3, lines_30) == (3, 30)
    assert queries_30 == queries_3 <= 10  # contract, tenant, requests, categories, calendars, days, the rest 3


def test_s12_1_a_client_sees_only_its_own_record(sla_alpha, world, clock, db, client, make_signed_contract):
    """The second client of the same vendor asking for the first client's record gets 404, for the page and files."""
    raise_at(sla_alpha, world, clock, local(2026, 11, 2, 10, 0))
    contract = sla_alpha["contract"]
    client.sign_in(world.person("alpha", "client_user").email)
    own = client.get("/t/alpha/portal/records/?preset=this_month").get_data(as_text=True)
    assert contract.number in own and "数据库连接超时" in own  # its one contract is shown at once
    assert client.get(f"/t/alpha/portal/records/export.csv?contract={contract.id}").status_code == 200
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    for url in (
        f"/t/alpha/portal/records/?contract={contract.id}",
        f"/t/alpha/portal/records/export.csv?contract={contract.id}",
        f"/t/alpha/portal/records/export.xlsx?contract={contract.id}",
    ):
        assert client.get(url).status_code == 404, url
    page = client.get("/t/alpha/portal/records/").get_data(as_text=True)
    assert contract.number not in page and "数据库连接超时" not in page
    assert client.get("/t/alpha/records/").status_code == 403  # the vendor's screen is not for clients
