"""Part 2 §7.1: a dispute between the parties about a third party goes up the dispute ladder (negotiation first),
with its written notice to the other party; its Part 2 §7.2 deadline is counted in months from the day it arose."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from plugins.third_party import deadlines
from plugins.third_party.liability_models import ThirdPartyDispute
from saas.core.models import MailMessage
from saas.disputes.models import Dispute
from saas.extensions import db
from saas.notices.models import Notice
from tests.plugins.third_party.liability_flow import HX, approve, contract_url, never_proposed

SHANGHAI = ZoneInfo("Asia/Shanghai")


def dispute_data(tp, **changes) -> dict:
    return {
        "subcontractor_id": str(tp["sub"].id),
        "third_party_name": "",
        "intervention_id": "0",
        "arose_on": "",
        "summary": "分包商的违约责任 Who answers for the subcontractor's late arrival",
        **changes,
    }


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s7_1_a_dispute_about_a_third_party_opens_on_the_ladder_with_its_notice(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{contract_url(tp)}/disputes/new", dispute_data(tp))
    assert response.status_code == 302
    row = db.session.scalar(select(ThirdPartyDispute))
    dispute = row.dispute
    assert (dispute.subject, dispute.stage, dispute.status, dispute.raised_by_party) == (
        "other",
        "negotiation",
        "open",
        "B",
    )
    assert tp["sub"].legal_name in dispute.summary and dispute.contract_id == tp["contract"].id
    assert (row.arose_on, row.deadline) == (date(2026, 11, 2), date(2027, 2, 2))  # 3 months (the agreement's)
    notice = row.notice
    assert (notice.kind, notice.clause, notice.sender_party, notice.deadline) == (
        "dispute",
        "P2-7.1",
        "B",
        row.deadline,
    )
    mails = db.session.scalars(select(MailMessage.to).where(MailMessage.dedupe_key.startswith(f"notice:{notice.id}")))
    assert list(mails) == ["client_admin@alpha.example.com"]
    # both parties see it on the agreement; the dispute itself is on the disputes' screens
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert dispute.number in page and 'data-testid="tp-right-to-terminate"' not in page


def test_p2_s7_1_the_deadline_ends_on_a_month_end_when_the_month_is_short(tp, world, clock):
    clock.set(datetime(2026, 11, 30, 10, tzinfo=SHANGHAI))
    row = deadlines.open_about(
        tp["contract"],
        "A",
        world.person("alpha", "client_admin"),
        {"subcontractor_id": tp["sub"].id, "summary": "x", "arose_on": date(2026, 11, 30)},
    )
    assert row.deadline == date(2027, 2, 28)  # 30 November + 3 months: February has no 30th
    assert deadlines.deadline_for(tp["contract"], date(2027, 11, 30)) == date(2028, 2, 29)  # a leap year


def test_p2_s7_1_no_third_party_or_a_day_to_come_is_refused_and_nothing_written(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"{contract_url(tp)}/disputes/new"
    for changes, message in (
        ({"subcontractor_id": "0"}, "Name the third party"),
        ({"arose_on": "2026-11-03"}, "today or earlier"),
        ({"summary": ""}, "Say what is disputed and why."),
    ):
        response = client.post_form(url, dispute_data(tp, **changes))
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    for model in (ThirdPartyDispute, Dispute, Notice):
        assert db.session.scalar(select(func.count(model.id))) == 0
    form = client.get(url, headers=HX).get_data(as_text=True)
    assert "<html" not in form and 'data-testid="tp-dispute-form"' in form


def test_p2_s7_1_the_dispute_form_offers_only_the_subcontractors_that_work_or_worked_on_the_agreement(
    tp, world, client
):

    stranger = never_proposed(tp)
    for role in ("vendor_admin", "client_admin"):  # the client never learns of the vendor's other subcontractors
        client.sign_in(world.person("alpha", role).email)
        form = client.get(f"{contract_url(tp)}/disputes/new").get_data(as_text=True)
        assert tp["sub"].legal_name in form and stranger.legal_name not in form, role
        client.post_form("/logout")
