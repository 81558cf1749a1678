"""What people type or send about requests, that the screens used to answer with a 500.

A subject with a control character (§12.1: every XLSX export of its period failed), a file named with a
CR LF (§4.1: every download of it failed), a visit or a logged request at year 1 (§2.1.2, §4.1), and
feedback about request number 10^20 (§12.2).
"""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from saas.extensions import db
from saas.feedback.models import Feedback
from saas.requests import services
from saas.requests.models import RequestAttachment, ServiceRequest, SiteVisit
from saas.team.models import TeamMember


def raise_request(alpha, world, subject="机房巡检", code="GENERAL"):
    req = services.create_request(
        alpha["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": alpha["cats"][code].id, "subject": subject},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def test_s12_1_a_subject_with_a_control_character_is_exported_to_xlsx(client, db, world, alpha):
    typed = raise_request(alpha, world, subject="ERP\x01 无法登录")
    kept = raise_request(alpha, world, subject="ok")
    assert typed.subject == "ERP 无法登录"  # cleaned on the way in
    # A row kept from before text was cleaned: the writer drops the character and still quotes the formula.
    db.session.execute(update(ServiceRequest).where(ServiceRequest.id == kept.id).values(subject="\x01=1+1\x1f"))
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    contract = alpha["contract"]
    response = client.get(f"/t/alpha/records/export.xlsx?contract={contract.id}&start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [sheet.cell(row, 6).value for row in (4, 5)] == ["ERP 无法登录", "'=1+1"]
    csv = client.get(f"/t/alpha/records/export.csv?contract={contract.id}&start=2026-11-01&end=2026-11-30")
    assert csv.status_code == 200


def multipart(fields: dict, file_field: str, raw_disposition: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body with the file part's Content-Disposition written as a client may write it."""
    boundary = "----aftercare-test"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    body = (
        "".join(parts).encode()
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; {raw_disposition}\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_s4_1_an_upload_named_with_a_line_break_is_stored_safely_and_downloads(client, db, world, alpha):
    req = raise_request(alpha, world)
    client.sign_in(world.person("alpha", "client_user").email)
    body, content_type = multipart(
        {"csrf_token": client.csrf_token(), "body": "日志"},
        "attachment",
        "filename*=UTF-8''a%0D%0AX-Injected%3A%201%E6%97%A5%E5%BF%97.txt",
        b"log",
    )
    response = client.post(f"/t/alpha/portal/requests/{req.id}/reply", data=body, content_type=content_type)
    assert response.status_code == 302
    row = db.session.scalar(select(RequestAttachment))
    assert row.filename == "a X-Injected_ 1日志.txt"
    download = client.get(f"/t/alpha/portal/requests/{req.id}/files/{row.id}")
    assert download.status_code == 200 and "X-Injected" not in download.headers
    assert "\r" not in download.headers["Content-Disposition"]


def test_s4_1_a_file_stored_with_a_bad_name_still_downloads(client, db, world, alpha):
    req = raise_request(alpha, world)
    event = services.timeline(req, True)[0]
    row = services.attach(req, event, "x.txt", "text/plain", b"x", False)
    db.session.execute(
        update(RequestAttachment).where(RequestAttachment.id == row.id).values(filename="a\r\nX-Injected: 1.txt")
    )
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    download = client.get(f"/t/alpha/requests/{req.id}/files/{row.id}")
    assert download.status_code == 200 and "X-Injected" not in download.headers


def test_s4_1_a_request_logged_as_received_in_year_one_is_refused_with_a_message(client, db, world, alpha):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    for when in ("0001-01-01T00:00", "9999-12-31T23:59"):
        response = client.post_form(
            "/t/alpha/requests/new",
            {
                "client_id": world.clients("alpha")[0].id,
                "category_id": alpha["cats"]["CONSULT"].id,
                "priority": "normal",
                "channel": "phone",
                "subject": "备份策略咨询",
                "received_at": when,
            },
        )
        assert response.status_code == 422
        assert "between the years 1900 and 2999" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0


def test_s2_1_2_a_visit_arriving_in_year_one_is_refused_with_a_message(client, db, world, alpha):
    req = raise_request(alpha, world, code="ONSITE")
    member = TeamMember(tenant_id=alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    response = client.post_form(
        f"/t/alpha/requests/{req.id}/visits",
        {"engineer_id": member.id, "arrived_at": "0001-01-01T00:00", "departed_at": "", "note": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(SiteVisit.id))) == 0


def test_s12_2_feedback_about_request_number_ten_to_the_twentieth_is_refused(client, db, world, alpha):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    for number in (str(10**20), str(2**31), "１"):
        response = client.post_form(
            "/t/alpha/feedback/new",
            {
                "client_id": world.clients("alpha")[0].id,
                "channel": "phone",
                "kind": "praise",
                "subject": "感谢",
                "contact_name": "王经理",
                "request_number": number,
            },
        )
        assert response.status_code in (200, 422), number
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    response = client.post_form(
        "/t/alpha/portal/feedback/new", {"kind": "complaint", "subject": "x", "request_id": str(10**20)}
    )
    assert response.status_code in (200, 422)
    assert client.get(f"/t/alpha/portal/feedback/new?request={10**20}").status_code == 200
    assert db.session.scalar(select(func.count(Feedback.id))) == 0


def test_s4_1_queue_filters_and_cursors_that_no_row_can_have_answer(client, db, world, alpha):
    raise_request(alpha, world)
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    for query in (
        f"q={10**20}",
        f"q=%23{10**20}",
        "q=%C2%B2",
        f"client={10**20}",
        f"after={10**20}",
        "after=0001-01-01T00:00%2B14:00|1",
        "after=9999-12-31T23:59:59-12:00|1",
        "status=all&after=-1",
        f"status=all&after={10**20}",
    ):
        assert client.get(f"/t/alpha/requests/?{query}").status_code in (200, 400), query


@pytest.mark.parametrize(
    "url",
    [
        "/t/alpha/requests/?after=garbage|1",
        "/t/alpha/requests/?after=2026-01-01T00:00|1",
        "/t/alpha/requests/?status=all&after=x",
        "/t/alpha/requests/99999999999999999999",
    ],
)
def test_bad_cursors_and_huge_ids_are_4xx_not_500(office_alpha, world, client, url):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(url).status_code in (400, 404)
    assert client.get("/t/alpha/requests/?client=99999999999999999999").status_code == 200
