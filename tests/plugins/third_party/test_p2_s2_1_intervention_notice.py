"""Part 2 §2.1: the party that finds a third party's intervention tells the other in writing, with evidence: a notice of
the notices domain, numbered, sealed, mailed, linked to the intervention; once."""

import hashlib
import io

import pytest
from sqlalchemy import func, select

from plugins.third_party.liability_models import Intervention
from saas.core.models import MailMessage
from saas.extensions import db
from saas.notices.models import Notice, NoticeFile
from tests.plugins.third_party.liability_flow import approve, contract_url, intervention_data

EVIDENCE = b"2026-11-01 09:00 call log: the subcontractor confirmed it would not come"


def _recorded(client, tp, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    return db.session.scalar(select(Intervention))


def _notice(client, row, files=True):
    data = {
        "subject": "第三方介入通知 Notice of a third party's intervention",
        "body_zh": "分包商未按时到场。",
        "body_en": "The subcontractor did not arrive on time.",
    }
    if files:
        data["evidence"] = [(io.BytesIO(EVIDENCE), "call-log.txt")]
    return client.post_form(
        f"/t/alpha/p/third_party/interventions/{row.id}/notify", data, content_type="multipart/form-data"
    )


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s2_1_the_notice_with_evidence_goes_to_the_other_party_and_is_linked(tp, world, client):
    row = _recorded(client, tp, world)
    assert _notice(client, row).status_code == 302
    db.session.expire_all()
    notice = db.session.scalar(select(Notice))
    assert row.notice_id == notice.id and row.status == "notified"
    assert (notice.sender_party, notice.kind, notice.clause) == ("B", "other", "P2-2.1")
    assert notice.contract_id == tp["contract"].id and notice.digest
    stored = db.session.scalar(select(NoticeFile))
    assert stored.sha256 == hashlib.sha256(EVIDENCE).hexdigest() and stored.filename == "call-log.txt"
    assert [s.kind for s in row.steps] == ["recorded", "notified"] and row.steps[1].text == notice.number
    mails = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.startswith(f"notice:{notice.id}")))
    assert [m.to for m in mails] == ["client_admin@alpha.example.com"]  # the other party's admins, not client 2's
    page = client.get(f"/t/alpha/p/third_party/interventions/{row.id}").get_data(as_text=True)
    assert notice.number in page and 'data-testid="intervention-notice-form"' not in page


def test_p2_s2_1_without_evidence_or_a_second_time_it_is_refused(tp, world, client):
    row = _recorded(client, tp, world)
    response = _notice(client, row, files=False)
    assert response.status_code == 422
    assert "Attach the evidence of the intervention (Part 2 §2.1)." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    assert _notice(client, row).status_code == 302
    again = _notice(client, row)
    assert again.status_code == 422 and "was sent already" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Notice.id))) == 1


def test_p2_s2_1_the_client_admin_notifies_the_vendor(tp, world, client):
    client.sign_in(world.person("alpha", "client_admin").email)
    data = intervention_data(tp, subcontractor_id="0", third_party_name="电信运营商 Telecom carrier", cause="technical")
    client.post_form(f"{contract_url(tp)}/interventions/new", data)
    row = db.session.scalar(select(Intervention))
    assert _notice(client, row).status_code == 302
    notice = db.session.scalar(select(Notice))
    assert notice.sender_party == "A" and notice.recipient_party == "B"
    mails = db.session.scalars(select(MailMessage.to).where(MailMessage.dedupe_key.startswith(f"notice:{notice.id}")))
    assert list(mails) == ["vendor_admin@alpha.example.com"]
