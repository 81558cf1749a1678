"""Issue 4 as a story: raised in the portal, answered, visited on site, paused, a missed deadline becomes a breach,
and all of it shows in the service record, the compliance view and the API, in Chinese and in English."""

import csv
import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.api import tokens
from saas.calendars import services as calendar_service
from saas.requests import services, sla
from saas.requests.models import RequestStatus, ServiceRequest, SlaBreach
from saas.team.models import TeamMember

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def test_s4_2_a_request_from_portal_to_breach_record_and_api_in_both_languages(
    client, world, make_signed_contract, clock, db
):
    tenant, acme = world.tenant("alpha"), world.clients("alpha")[0]
    clock.set(local(2026, 11, 2, 9, 0))
    contract = make_signed_contract(
        tenant, acme, effective=date(2026, 11, 1), service_response_hours=4, onsite_arrival_hours=8
    )
    office = calendar_service.save_calendar(
        tenant,
        {"name": "Office", "timezone": "Asia/Shanghai", **{f"hours_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)}},
    )
    services.add_standard_categories(tenant, office=office)
    cats = {c.code: c for c in services.categories(tenant)}
    member = TeamMember(
        tenant_id=tenant.id,
        name="李工",
        team_role="system_engineer",
        user_id=world.person("alpha", "vendor_engineer").id,
    )
    db.session.add(member)
    db.session.commit()

    # Monday 10:00: the client raises an on-site request in the portal, in Chinese.
    clock.set(local(2026, 11, 2, 10, 0))
    client.sign_in(world.person("alpha", "client_user").email)
    client.post_form("/language", {"lang": "zh_Hans_CN", "next": "/t/alpha/portal/requests/new"})
    assert "新建服务请求" in client.get("/t/alpha/portal/requests/new").get_data(as_text=True)
    client.post_form(
        "/t/alpha/portal/requests/new",
        {
            "category_id": cats["ONSITE"].id,
            "priority": "high",
            "subject": "核心交换机掉线",
            "description": "三楼网络中断",
        },
    )
    req = db.session.scalar(select(ServiceRequest))
    assert req.arrival_due_at == local(2026, 11, 3, 10, 0)  # 8 office hours: Mon 10-12, 13-18, Tue 9-10
    client.post_form("/logout")

    # The engineer answers at 10:30, waits on the client 11:00-14:00, arrives Tuesday at 11:15 (late).
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    clock.set(local(2026, 11, 2, 10, 30))
    client.post_form(f"/t/alpha/requests/{req.id}/reply", {"body": "已安排工程师上门"})
    clock.set(local(2026, 11, 2, 11, 0))
    client.post_form(f"/t/alpha/requests/{req.id}/status", {"to_status": "waiting_on_client", "note": "请确认机房门禁"})
    db.session.expire_all()
    assert req.arrival_due_at is None  # paused
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    clock.set(local(2026, 11, 2, 14, 0))
    client.post_form(f"/t/alpha/portal/requests/{req.id}/reply", {"body": "门禁已开通"})
    db.session.expire_all()
    assert req.status == RequestStatus.IN_PROGRESS
    # the pause cost two working hours (11-12 and 13-14; lunch is not working time): due at noon, not 10:00
    assert req.arrival_due_at == local(2026, 11, 3, 12, 0)
    client.post_form("/logout")

    clock.set(local(2026, 11, 3, 12, 0, 1))
    assert sla.sweep() == 1  # the arrival deadline passed unmet: recorded once
    assert sla.sweep() == 0
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    clock.set(local(2026, 11, 3, 15, 0))
    client.post_form(
        f"/t/alpha/requests/{req.id}/visits",
        {
            "engineer_id": member.id,
            "arrived_at": "2026-11-03T13:40",
            "departed_at": "2026-11-03T14:50",
            "note": "更换光模块",
        },
    )
    clock.set(local(2026, 11, 3, 15, 5))
    client.post_form(f"/t/alpha/requests/{req.id}/status", {"to_status": "resolved"})
    breach = db.session.scalar(select(SlaBreach))
    assert (breach.kind, breach.clause, breach.due_at) == ("arrival", "8.1.1", local(2026, 11, 3, 12, 0))
    assert breach.evidence["pauses"] == [
        [local(2026, 11, 2, 11, 0).astimezone(UTC).isoformat(), local(2026, 11, 2, 14, 0).astimezone(UTC).isoformat()]
    ]

    # The request page in both languages.
    for lang, words in (
        ("en", ["On-site visits", "Breach recorded", "Missed"]),
        ("zh_Hans_CN", ["上门服务", "违约", "超时"]),
    ):
        client.post_form("/language", {"lang": lang, "next": "/t/alpha/"})
        page = client.get(f"/t/alpha/requests/{req.id}").get_data(as_text=True)
        for word in words:
            assert word in page, (lang, word)
    client.post_form("/logout")

    # The client admin sees it in the service record of November, and downloads it.
    client.sign_in(world.person("alpha", "client_admin").email)
    client.post_form("/language", {"lang": "en", "next": "/t/alpha/"})
    record = client.get(f"/t/alpha/portal/records/?contract={contract.id}&start=2026-11-01&end=2026-11-30")
    text = record.get_data(as_text=True)
    assert "核心交换机掉线" in text, text[text.find("<main") :][:3000]
    exported = client.get(
        f"/t/alpha/portal/records/export.csv?contract={contract.id}&start=2026-11-01&end=2026-11-30"
    ).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert any("核心交换机掉线" in cell for row in rows for cell in row)
    client.post_form("/logout")

    # The compliance view counts it: the arrival applied once and was breached; the response was met.
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form("/language", {"lang": "en", "next": "/t/alpha/"})
    tab = client.get(
        f"/t/alpha/contracts/{contract.id}?tab=obligations", headers={"HX-Request": "true", "HX-Target": "contract-tab"}
    ).get_data(as_text=True)
    arrival = re.search(
        r"§2\.1\.2</td><td>On-site arrival</td><td>[^<]*</td>"
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>',
        tab,
    )
    assert arrival.groups() == ("1", "0", "1")

    # And the API tells the same.
    _token, secret = tokens.create_token(tenant, "ITSM", ["requests:read"], None, world.person("alpha", "vendor_admin"))
    db.session.commit()
    body = client.get(f"/api/v1/requests/{req.number}", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert body["status"] == "resolved"
    assert any(value is True for key, value in _flatten(body).items() if "arrival" in key and "breach" in key)


def _flatten(value, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}: to find a field whatever the nesting the API chose."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}
