"""Part 2 §7.2: a dispute about a third party not resolved within the agreement's `dispute_deadline_months`, with no
lawsuit filed, gives the other party the right to terminate: it appears exactly on the day after the last day to
resolve it ("超过该期限"; the day it arose is not counted, Civil Code art. 201-202), is announced
to both parties' admins once, and is exercised through termination, with the dispute's notice as its ground."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from plugins.third_party import deadlines
from plugins.third_party.liability_tasks import announce_dispute_deadlines
from saas.core.models import MailMessage
from saas.disputes import services as disputes
from saas.extensions import db
from saas.notices.models import Notice
from tests.plugins.third_party.liability_flow import approve, never_proposed

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY = "third-party-dispute-deadline:"


def _opened(tp, world, clock):
    """The vendor raises a dispute about its subcontractor on 30 November 2026: it has until 28 February 2027."""
    clock.set(datetime(2026, 11, 30, 10, tzinfo=SHANGHAI))
    row = deadlines.open_about(
        tp["contract"], "B", tp["admin"], {"subcontractor_id": tp["sub"].id, "summary": "谁承担 who answers"}
    )
    db.session.commit()
    assert row.deadline == date(2027, 2, 28)
    return row


def _mails():
    return db.session.scalars(select(MailMessage.to).where(MailMessage.dedupe_key.startswith(KEY))).all()


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s7_2_the_right_appears_the_day_after_the_last_day_not_on_it(tp, world, clock, client):
    row = _opened(tp, world, clock)
    clock.set(datetime(2027, 2, 28, 23, 59, tzinfo=SHANGHAI))  # the last day to resolve it: still no right
    assert deadlines.holder(row, date(2027, 2, 28)) is None
    assert announce_dispute_deadlines() == 0 and _mails() == []
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert 'data-testid="tp-right-to-terminate"' not in page
    early = client.post_form(
        f"/t/alpha/p/third_party/disputes/{row.id}/terminate", {"last_day": "2027-03-31", "subject": "解除 End"}
    )
    assert early.status_code == 422 and "2027-03-01" in early.get_data(as_text=True)
    assert tp["contract"].status == "active"

    clock.set(datetime(2027, 3, 1, 0, 0, tzinfo=SHANGHAI))  # midnight in Shanghai: the period is exceeded
    assert deadlines.holder(row, date(2027, 3, 1)) == "A"  # the party that did not raise it
    page = client.get(f"/t/alpha/portal/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert 'data-testid="tp-right-to-terminate"' in page and 'data-testid="tp-terminate"' in page
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    vendor_page = client.get(f"/t/alpha/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert 'data-testid="tp-right-to-terminate"' in vendor_page and 'data-testid="tp-terminate"' not in vendor_page


def test_p2_s7_2_announced_to_both_parties_admins_once(tp, world, clock):
    row = _opened(tp, world, clock)
    clock.set(datetime(2027, 2, 28, 9, tzinfo=SHANGHAI))
    assert announce_dispute_deadlines() == 0  # the last day to resolve it
    clock.set(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    assert announce_dispute_deadlines() == 1
    assert announce_dispute_deadlines() == 0  # the daily job run again (or the next day): nothing more
    clock.set(datetime(2027, 3, 2, 9, tzinfo=SHANGHAI))
    assert announce_dispute_deadlines() == 0
    assert sorted(_mails()) == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]
    db.session.expire_all()
    assert row.announced_at == datetime(2027, 3, 1, 9, tzinfo=SHANGHAI)


def test_p2_s7_2_a_lawsuit_or_a_resolution_removes_the_right(tp, world, clock):
    row = _opened(tp, world, clock)
    dispute = row.dispute
    for where in ("上海市徐汇区人民调解委员会", "上海仲裁委员会", "上海市徐汇区人民法院"):
        disputes.escalate(dispute, tp["admin"], result="未果 no agreement", deadline=None, where=where)
        db.session.commit()
    assert deadlines.lawsuit_filed(row)
    clock.set(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    assert deadlines.holder(row, date(2027, 3, 1)) is None and announce_dispute_deadlines() == 0

    other = deadlines.open_about(
        tp["contract"],
        "A",
        world.person("alpha", "client_admin"),
        {"third_party_name": "电信运营商 Telecom carrier", "summary": "x", "arose_on": date(2026, 11, 30)},
    )
    disputes.resolve(other.dispute, tp["admin"], outcome="settled", note="和解 settled")
    db.session.commit()
    assert deadlines.holder(other, date(2027, 3, 1)) is None and announce_dispute_deadlines() == 0


def test_p2_s7_2_terminate_goes_through_termination_with_the_dispute_notice(tp, world, clock, client):
    row = _opened(tp, world, clock)
    clock.set(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    url = f"/t/alpha/p/third_party/disputes/{row.id}/terminate"
    data = {"last_day": "2027-03-31", "subject": "解除协议通知 Notice of termination", "body_en": "Part 2 §7.2"}
    client.sign_in(world.person("alpha", "vendor_admin").email)  # the party that raised it has no such right
    assert client.post_form(url, data).status_code == 422
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert 'data-testid="tp-terminate-form"' in client.get(url).get_data(as_text=True)
    assert client.post_form(url, {**data, "last_day": "2027-02-28"}).status_code == 422  # a day gone by
    assert client.post_form(url, data).status_code == 302
    db.session.expire_all()
    contract = tp["contract"]
    assert (contract.status, contract.terminated_on) == ("terminated", date(2027, 3, 31))
    termination = db.session.scalar(select(Notice).where(Notice.kind == "termination"))
    assert (termination.sender_party, termination.clause, termination.refers_to_id) == ("A", "P2-7.2", row.notice_id)
    assert db.session.scalar(select(func.count(Notice.id)).where(Notice.kind == "termination")) == 1
    assert deadlines.holder(row, date(2027, 3, 1)) is None  # the agreement is no longer in force


def test_p2_s7_2_a_dispute_names_only_a_subcontractor_that_works_or_worked_on_the_agreement(tp, world, clock):
    from plugins.third_party.interventions import FieldError
    from plugins.third_party.liability_models import ThirdPartyDispute
    from saas.disputes.models import Dispute

    stranger = never_proposed(tp)
    try:
        deadlines.open_about(
            tp["contract"], "B", tp["admin"], {"subcontractor_id": stranger.id, "summary": "谁承担 who answers"}
        )
    except FieldError as exc:
        assert exc.field == "subcontractor_id"
        assert str(exc) == "Choose a subcontractor that works or worked on this agreement."
    else:
        raise AssertionError("a dispute named a subcontractor that never worked on the agreement")
    db.session.rollback()
    assert db.session.scalar(select(func.count(ThirdPartyDispute.id))) == 0
    assert db.session.scalar(select(func.count(Dispute.id))) == 0
    assert _opened(tp, world, clock).subcontractor_id == tp["sub"].id  # the approved one: its deadline runs
