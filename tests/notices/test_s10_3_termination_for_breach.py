"""§10.3 termination for breach: after a request to cure whose deadline passed, the party that sent it (the party
not in breach) ends the agreement by a notice of termination that names it, without the other's signature; not a day
before the deadline has passed, not by the party in breach, and never by the generic notice form."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from saas.contracts.models import ContractEvent, ContractStatus
from saas.notices import services
from saas.notices.models import Notice, NoticeKind, Party
from saas.notices.services import NoticeError
from saas.notices.termination import terminate_for_breach


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 11, 1))
    db.session.commit()
    return contract


def _cure(contract, world, party=Party.A, deadline=date(2026, 11, 16)):
    sender = world.person("alpha", "client_admin" if party == Party.A else "vendor_admin")
    notice = services.send_notice(
        contract,
        party,
        sender,
        {
            "kind": NoticeKind.CURE,
            "clause": "8.1.2",
            "subject": "限期整改：响应超时",
            "body_zh": "请于期限前整改。",
            "deadline": deadline,
        },
    )
    services.db.session.commit()
    return notice


def test_s10_3_termination_for_breach_only_after_the_cure_deadline(db, client, world, agreement, clock):
    cure = _cure(agreement, world)  # the client asks the vendor to cure by 16 November
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/notices/{cure.id}").get_data(as_text=True)
    assert "notice-terminate" not in page

    clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=UTC))  # the deadline's own day (18:00 in Shanghai): not yet
    refused = client.get(f"/t/alpha/portal/notices/{cure.id}/terminate")
    assert refused.status_code == 200 and "termination is possible from the day after" in refused.get_data(as_text=True)
    assert "termination-form" not in refused.get_data(as_text=True)
    posted = client.post_form(
        f"/t/alpha/portal/notices/{cure.id}/terminate", {"last_day": "2026-11-30", "subject": "解除", "body_zh": "解除"}
    )
    assert posted.status_code == 422
    db.session.refresh(agreement)
    assert agreement.status == ContractStatus.ACTIVE

    clock.set(datetime(2026, 11, 16, 16, 30, tzinfo=UTC))  # 17 November 00:30 in Shanghai: the deadline has passed
    assert "notice-terminate" in client.get(f"/t/alpha/portal/notices/{cure.id}").get_data(as_text=True)
    past = client.post_form(
        f"/t/alpha/portal/notices/{cure.id}/terminate", {"last_day": "2026-11-16", "subject": "解除", "body_zh": "解除"}
    )
    assert past.status_code == 422 and "takes effect today or later" in past.get_data(as_text=True)
    assert db.session.scalar(select(Notice.id).where(Notice.kind == NoticeKind.TERMINATION)) is None

    done = client.post_form(
        f"/t/alpha/portal/notices/{cure.id}/terminate",
        {"last_day": "2026-11-30", "subject": "因违约解除合同", "body_zh": "乙方逾期未整改，甲方解除合同。"},
    )
    assert done.status_code == 302
    notice = db.session.scalar(select(Notice).where(Notice.kind == NoticeKind.TERMINATION))
    assert (notice.sender_party, notice.refers_to_id, notice.deadline, notice.clause) == (
        Party.A,
        cure.id,
        date(2026, 11, 30),
        "10.3",
    )
    db.session.refresh(agreement)
    assert agreement.status == ContractStatus.TERMINATED and agreement.terminated_on == date(2026, 11, 30)
    event = db.session.scalar(select(ContractEvent).where(ContractEvent.kind == "terminated_for_breach"))
    assert event.note == notice.number
    page = client.get(f"/t/alpha/portal/contracts/{agreement.id}").get_data(as_text=True)
    assert "Terminated for breach, by notice, after 2026-11-30" in page
    # the vendor is told, and reads the termination with the cure notice it follows
    client.sign_in(world.person("alpha", "vendor_admin").email)
    shown = client.get(f"/t/alpha/notices/{notice.id}").get_data(as_text=True)
    assert cure.number in shown and "2026-11-30" in shown
    # once terminated, nothing more to terminate
    with pytest.raises(NoticeError, match="no longer in force"):
        terminate_for_breach(cure, Party.A, world.person("alpha", "client_admin"), {"last_day": date(2026, 11, 20)})


def test_s10_3_the_party_in_breach_cannot_terminate_on_the_notice_it_received(db, client, world, agreement, clock):
    cure = _cure(agreement, world)
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert "notice-terminate" not in client.get(f"/t/alpha/notices/{cure.id}").get_data(as_text=True)
    refused = client.post_form(
        f"/t/alpha/notices/{cure.id}/terminate", {"last_day": "2026-11-30", "subject": "x", "body_zh": "x"}
    )
    assert refused.status_code == 422 and "the party not in breach" in refused.get_data(as_text=True)
    db.session.refresh(agreement)
    assert agreement.status == ContractStatus.ACTIVE
    # another client of the vendor reaches none of it
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/portal/notices/{cure.id}/terminate").status_code == 404


def test_s10_3_a_termination_notice_is_never_sent_without_the_cure_notice(db, client, world, agreement, clock):
    with pytest.raises(NoticeError, match="sent from the cure notice"):
        services.send_notice(
            agreement,
            Party.B,
            world.person("alpha", "vendor_admin"),
            {"kind": NoticeKind.TERMINATION, "subject": "x", "body_zh": "x", "deadline": date(2026, 12, 1)},
        )
    client.sign_in(world.person("alpha", "vendor_admin").email)
    form = client.get("/t/alpha/notices/new").get_data(as_text=True)
    assert 'value="termination"' not in form and 'value="cure"' in form
    # a vendor's own cure notice to the client: the vendor may terminate after it, the last day before the term end
    cure = _cure(agreement, world, party=Party.B, deadline=date(2026, 11, 10))
    clock.set(datetime(2026, 11, 12, 2, 0, tzinfo=UTC))
    with pytest.raises(Exception, match="ends on"):
        terminate_for_breach(cure, Party.B, world.person("alpha", "vendor_admin"), {"last_day": date(2031, 1, 1)})
    db.session.rollback()
    notice = terminate_for_breach(
        cure,
        Party.B,
        world.person("alpha", "vendor_admin"),
        {"last_day": date(2026, 11, 12), "subject": "解除", "body_zh": "解除"},
    )
    db.session.commit()
    assert notice.number == "TZ-2026-0002"
    db.session.refresh(agreement)
    assert agreement.terminated_on == date(2026, 11, 12)
