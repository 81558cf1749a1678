"""Written notices between the parties (§8.1, §8.3, §9.1, §10.3, Part 2 §2.1): numbered, sealed by a digest,
delivered in the portal and by e-mail, first reading and acknowledgement recorded, never changed once sent."""

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from saas.core.models import AppendOnlyError, MailMessage
from saas.extensions import db
from saas.notices import services
from saas.notices.models import Notice, NoticeKind, Party


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 11, 1))
    db.session.commit()
    return contract


def cure_notice(contract, world, **changes):
    data = {
        "kind": NoticeKind.CURE,
        "clause": "8.1.4",
        "subject": "逾期付款催告",
        "body_zh": "请于期限前付清。",
        "body_en": "Please pay by the deadline.",
        "deadline": date(2026, 11, 20),
        **changes,
    }
    notice = services.send_notice(
        contract, Party.B, world.person("alpha", "vendor_admin"), data, [("账单.txt", "text/plain", b"10500.00")]
    )
    db.session.commit()
    return notice


def test_p3_notice_is_numbered_sealed_and_mailed_to_the_other_partys_admin(db, world, agreement):
    first = cure_notice(agreement, world)
    second = cure_notice(agreement, world, subject="第二次催告")
    assert (first.number, second.number) == ("TZ-2026-0001", "TZ-2026-0002")
    assert len(first.digest) == 64 and first.digest != second.digest
    assert first.files[0].sha256 and first.files[0].filename == "账单.txt"
    mails = db.session.scalars(
        select(MailMessage).where(
            MailMessage.dedupe_key == f"notice:{first.id}:{world.person('alpha', 'client_admin').id}"
        )
    ).all()
    assert len(mails) == 1 and first.number in mails[0].subject
    db.session.refresh(first)
    assert first.mailed_at is not None
    to = {
        m.to for m in db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like(f"notice:{first.id}:%")))
    }
    assert to == {world.person("alpha", "client_admin").email}  # Party A's admin; not the vendor, not client 2


def test_p3_a_notice_never_changes_once_sent(db, world, agreement):
    notice = cure_notice(agreement, world)
    notice.body_en = "Something else"
    with pytest.raises(AppendOnlyError, match="never changes"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(Notice, notice.id))
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deadline": date(2026, 11, 2)}, "The deadline must be after today."),
        ({"deadline": None}, "set one"),
        ({"subject": "  "}, "Give the notice a subject."),
        ({"body_zh": "", "body_en": ""}, "Write the notice in Chinese, in English, or in both."),
        ({"kind": "ultimatum"}, "Choose the kind of notice."),
    ],
)
def test_p3_a_notice_that_cannot_be_sent_says_why_and_leaves_nothing(db, world, agreement, changes, message):
    with pytest.raises(services.NoticeError, match=message):
        cure_notice(agreement, world, **changes)
    db.session.rollback()
    assert db.session.scalar(select(Notice.id)) is None


def test_p3_a_dispute_notice_takes_the_agreements_dispute_deadline(db, world, agreement):
    notice = cure_notice(agreement, world, kind=NoticeKind.DISPUTE, deadline=None)
    assert notice.deadline == date(2027, 2, 2) and notice.deadline_basis == "agreement"  # 3 months (Part 2 §7.2)


def test_p3_the_recipient_reads_and_acknowledges_once_the_sender_does_not(db, client, world, agreement, clock):
    notice = cure_notice(agreement, world)
    client.sign_in(world.person("alpha", "vendor_admin").email)  # the sender opening it is no reading
    assert client.get(f"/t/alpha/notices/{notice.id}").status_code == 200
    db.session.refresh(notice)
    assert notice.first_read_at is None

    clock.set(datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "client_user").email)
    page = client.get(f"/t/alpha/portal/notices/{notice.id}").get_data(as_text=True)
    assert (
        "请于期限前付清。" in page and "acknowledge-notice" not in page
    )  # a client user reads, the admin acknowledges
    db.session.refresh(notice)
    assert notice.first_read_at == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert notice.first_read_by_id == world.person("alpha", "client_user").id

    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "client_admin").email)
    answer = client.post_form(f"/t/alpha/portal/notices/{notice.id}/acknowledge", {"note": "已收到"})
    assert answer.status_code == 302
    again = client.post_form(
        f"/t/alpha/portal/notices/{notice.id}/acknowledge", {"note": "again"}, follow_redirects=True
    )
    assert "acknowledged already" in again.get_data(as_text=True)
    db.session.refresh(notice)
    assert notice.acknowledged_at == datetime(2026, 11, 3, 2, 0, tzinfo=UTC) and notice.acknowledgement == "已收到"
    assert notice.first_read_at == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)  # the first reading stays the first

    client.sign_in(world.person("alpha", "vendor_admin").email)
    refused = client.post_form(f"/t/alpha/notices/{notice.id}/acknowledge", {"note": ""}, follow_redirects=True)
    assert "Only the receiving party" in refused.get_data(as_text=True)


def test_p3_the_client_sends_a_notice_to_the_vendor_from_the_portal(db, client, world, agreement):
    client.sign_in(world.person("alpha", "client_admin").email)
    form = client.get("/t/alpha/portal/notices/new").get_data(as_text=True)
    assert agreement.number in form
    sent = client.post_form(
        "/t/alpha/portal/notices/new",
        {
            "contract_id": agreement.id,
            "kind": "breach",
            "clause": "8.1.2",
            "subject": "故障响应超时",
            "body_zh": "三次故障请求未按时响应。",
            "body_en": "",
            "deadline": "",
        },
    )
    assert sent.status_code == 302
    notice = db.session.scalar(select(Notice))
    assert notice.sender_party == Party.A and notice.recipient_party == Party.B and notice.deadline is None
    admins = {m.to for m in db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like("notice:%")))}
    assert admins == {world.person("alpha", "vendor_admin").email}

    refused = client.post_form(
        "/t/alpha/portal/notices/new",
        {"contract_id": agreement.id, "kind": "cure", "subject": "x", "body_zh": "y", "deadline": "2026-11-01"},
    )
    assert refused.status_code == 422 and "The deadline must be after today." in refused.get_data(as_text=True)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    refused = client.post_form(
        "/t/alpha/portal/notices/new",
        {"contract_id": agreement.id, "kind": "cure", "subject": "x", "body_zh": "y", "deadline": ""},
    )
    assert refused.status_code == 422 and "请设定期限" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Notice.id).where(Notice.id != notice.id)) is None


def test_p3_the_notice_pdf_carries_both_languages_and_its_digest(db, client, world, agreement):
    notice = cure_notice(agreement, world)
    client.sign_in(world.person("alpha", "client_admin").email)
    response = client.get(f"/t/alpha/portal/notices/{notice.id}/pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "请于期限前付清" in text and "Please pay by the deadline." in text and notice.digest[:16] in text
    evidence = client.get(f"/t/alpha/portal/notices/{notice.id}/files/{notice.files[0].id}")
    assert evidence.status_code == 200 and evidence.data == b"10500.00"
    assert evidence.headers["Content-Type"] == "application/octet-stream"


def test_p3_another_client_sees_none_of_the_notices(db, client, world, agreement):
    notice = cure_notice(agreement, world)
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/notices/{notice.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/notices/{notice.id}/pdf").status_code == 404
    assert notice.number not in client.get("/t/alpha/portal/notices/").get_data(as_text=True)
    fragment = client.get("/t/alpha/portal/notices/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
