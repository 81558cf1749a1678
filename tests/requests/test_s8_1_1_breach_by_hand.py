"""§8.1.1 a service not provided or below the agreed standard, recorded by hand: by the vendor's admin with its
evidence (what fell short, the day, files), or from a complaint of the client upheld; once per request, append-only,
shown to the client, and counted in the period's service credit (§8.2)."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.core.models import AppendOnlyError
from saas.credits.models import ServiceCredit
from saas.credits.services import propose_credits
from saas.feedback import services as feedback
from saas.requests import services
from saas.requests.breaches import BreachError, record_below_standard
from saas.requests.models import BreachFile, SlaBreach


def _request(sla_alpha, world, clock, subject="机房巡检未按约定执行"):
    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    req = services.create_request(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        {"category_id": sla_alpha["cats"]["GENERAL"].id, "subject": subject},
        world.person("alpha", "client_user"),
    )
    return req


def test_s8_1_1_the_vendor_records_a_breach_by_hand_with_its_evidence_once(db, client, world, sla_alpha, clock):
    req = _request(sla_alpha, world, clock)
    db.session.commit()
    clock.set(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"/t/alpha/breaches/new?request={req.id}")
    assert page.status_code == 200 and "§8.1.1" in page.get_data(as_text=True)

    refused = client.post_form(
        f"/t/alpha/breaches/new?request={req.id}", {"happened_on": "2026-11-11", "description": "巡检未做"}
    )
    assert refused.status_code == 422
    assert "the day cannot be after today" in refused.get_data(as_text=True)
    refused = client.post_form(
        f"/t/alpha/breaches/new?request={req.id}", {"happened_on": "2026-11-01", "description": "巡检未做"}
    )
    assert refused.status_code == 422 and "before the request was raised" in refused.get_data(as_text=True)
    assert db.session.scalar(select(SlaBreach.id)) is None

    done = client.post_form(
        f"/t/alpha/breaches/new?request={req.id}",
        {
            "happened_on": "2026-11-09",
            "description": "约定的月度巡检未执行 / the monthly inspection was not carried out",
            "evidence": (io.BytesIO(b"inspection log: none"), "巡检记录.txt"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    breach = db.session.scalar(select(SlaBreach))
    assert (breach.kind, breach.clause, breach.request_id, breach.contract_id) == (
        "below_standard",
        "8.1.1",
        req.id,
        sla_alpha["contract"].id,
    )
    # the day it happened, at noon in the tenant's zone (Shanghai): 04:00 UTC
    assert breach.due_at == datetime(2026, 11, 9, 4, 0, tzinfo=UTC)
    assert breach.evidence["description"].startswith("约定的月度巡检未执行")
    assert breach.evidence["files"][0]["name"] == "巡检记录.txt" and breach.evidence["files"][0]["size"] == 20
    again = client.post_form(
        f"/t/alpha/breaches/new?request={req.id}", {"happened_on": "2026-11-09", "description": "again"}
    )
    assert again.status_code == 422 and "recorded for this request already" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(SlaBreach)).all()) == 1

    with pytest.raises(AppendOnlyError):
        breach.evidence = {}
        db.session.flush()
    db.session.rollback()
    file = db.session.scalar(select(BreachFile))
    with pytest.raises(AppendOnlyError):
        db.session.delete(file)
        db.session.flush()
    db.session.rollback()

    # the client sees it, with its evidence; the other client of the same vendor does not
    client.sign_in(world.person("alpha", "client_admin").email)
    shown = client.get(f"/t/alpha/portal/breaches/{breach.id}")
    assert shown.status_code == 200 and "约定的月度巡检未执行" in shown.get_data(as_text=True)
    download = client.get(f"/t/alpha/portal/breaches/{breach.id}/files/{file.id}")
    assert download.data == b"inspection log: none"
    assert download.headers["Content-Type"] == "application/octet-stream"
    fragment = client.get("/t/alpha/portal/breaches/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert f"/portal/breaches/{breach.id}" in fragment.get_data(as_text=True)
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/breaches/{breach.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/breaches/{breach.id}/files/{file.id}").status_code == 404
    # an engineer may read it but only an admin records one
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get(f"/t/alpha/breaches/{breach.id}").status_code == 200
    assert client.get(f"/t/alpha/breaches/new?request={req.id}").status_code == 403


def test_s8_1_1_files_of_evidence_are_limited(db, world, sla_alpha, clock):
    req = _request(sla_alpha, world, clock)
    db.session.commit()
    admin = world.person("alpha", "vendor_admin")
    with pytest.raises(BreachError, match="at most 10 MB"):
        record_below_standard(
            req,
            admin,
            description="x",
            happened_on=date(2026, 11, 3),
            files=[("big.bin", "application/octet-stream", b"0" * (10 * 1024 * 1024 + 1))],
        )
    with pytest.raises(BreachError, match="At most 5 files"):
        record_below_standard(
            req, admin, description="x", happened_on=date(2026, 11, 3), files=[("a.txt", "text/plain", b"a")] * 6
        )
    with pytest.raises(BreachError, match="Say what"):
        record_below_standard(req, admin, description="  ", happened_on=date(2026, 11, 3))
    assert db.session.scalar(select(SlaBreach.id)) is None


def test_s8_1_1_an_upheld_complaint_is_a_breach_that_counts_in_the_service_credit(db, client, world, sla_alpha, clock):
    req = _request(sla_alpha, world, clock)
    db.session.commit()
    complaint = feedback.submit(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        world.person("alpha", "client_user"),
        {"kind": "complaint", "subject": "工程师态度差，问题未处理", "body": "两次来电无人跟进", "request_id": req.id},
    )
    praise = feedback.submit(
        sla_alpha["tenant"],
        sla_alpha["client"].id,
        world.person("alpha", "client_user"),
        {"kind": "praise", "subject": "谢谢", "request_id": req.id},
    )
    db.session.commit()
    clock.set(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert "feedback-uphold" not in client.get(f"/t/alpha/feedback/{praise.id}").get_data(as_text=True)
    assert "feedback-uphold" in client.get(f"/t/alpha/feedback/{complaint.id}").get_data(as_text=True)
    empty = client.post_form(f"/t/alpha/feedback/{complaint.id}/uphold", {"finding": ""})
    assert empty.status_code == 422
    done = client.post_form(f"/t/alpha/feedback/{complaint.id}/uphold", {"finding": "两次未回电，属实"})
    assert done.status_code == 302
    breach = db.session.scalar(select(SlaBreach))
    assert breach.kind == "below_standard" and breach.evidence["complaint"]["number"] == complaint.number
    assert breach.evidence["description"] == "两次未回电，属实"
    page = client.get(f"/t/alpha/feedback/{complaint.id}").get_data(as_text=True)
    assert "feedback-breach" in page and "feedback-uphold" not in page
    with pytest.raises(Exception, match="Only a complaint"):
        feedback.uphold_as_breach(praise, world.person("alpha", "vendor_admin"), "x")
    db.session.rollback()

    # the period 1 Nov – 1 Dec ends: the general line's credit counts this breach (whole fee × the penalty rate)
    clock.set(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    assert propose_credits(sla_alpha["tenant"], date(2026, 12, 2)) == 1
    credit = db.session.scalar(select(ServiceCredit))
    assert [e["kind"] for e in credit.evidence] == ["below_standard"]
    assert credit.amount == (credit.line_fee * sla_alpha["contract"].penalty_rate).quantize(Decimal("0.01"))
