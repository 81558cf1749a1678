"""§9 disputes: negotiation (§9.1) → mediation at Party B's locality (§9.2) → arbitration (§9.3) → litigation at
the court there (§9.4), each step dated with a deadline and reminders 7 days and 1 day before it, once each; an
invoice amount under dispute is held from late penalties and reminders; the outcome is applied."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from saas.billing.late import record_breaches
from saas.billing.models import CreditNote, Invoice
from saas.billing.penalty_models import LatePenalty, PaymentBreach
from saas.billing.reminders import invoices_to_remind
from saas.billing.services import bill
from saas.billing.tenant_settings import save_settings
from saas.core import dbscope
from saas.core.models import MailMessage
from saas.credits.models import CreditStatus, ServiceCredit
from saas.disputes import services
from saas.disputes.models import Dispute, DisputeStatus, Outcome, Stage, Subject
from saas.extensions import db
from tests.conftest import SHANGHAI, service_credit


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    """Alpha's first client under an agreement in force from 1 November 2026, its mediation committee and court
    named; November billed on 1 December (due 31 December)."""
    tenant = world.tenant("alpha")
    clock.set(datetime(2026, 10, 20, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(
        tenant,
        world.clients("alpha")[0],
        effective=date(2026, 11, 1),
        mediation_venue="北京市海淀区人民调解委员会",
        court_venue="北京市海淀区人民法院",
    )
    clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI))
    with dbscope.tenant(tenant.id):
        bill(tenant, [contract.id], date(2026, 12, 1))
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == contract.id))
    return {"tenant": tenant, "contract": contract, "invoice": invoice}


def waived_credit(agreement, world) -> ServiceCredit:
    """A service credit of November that billing staff waived."""
    credit = service_credit(agreement["contract"], status=CreditStatus.WAIVED, note="日志不全")
    db.session.commit()
    return credit


def contest(agreement, world, credit, **kwargs):
    dispute = services.open_dispute(
        agreement["tenant"],
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.CREDIT,
        subject_id=credit.id,
        contract=None,
        summary="响应确实超时。",
        client_id=agreement["contract"].client_id,
        **kwargs,
    )
    db.session.commit()
    return dispute


def test_s9_1_the_client_contests_a_waived_credit_and_negotiation_opens(db, client, world, agreement):
    credit = waived_credit(agreement, world)
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/credits/{credit.id}").get_data(as_text=True)
    assert "contest-credit" in page
    form = client.get(f"/t/alpha/portal/disputes/new?subject=credit&id={credit.id}").get_data(as_text=True)
    assert "300.00" in form
    opened = client.post_form(
        "/t/alpha/portal/disputes/new",
        {"subject": "credit", "subject_id": credit.id, "contract_id": agreement["contract"].id, "summary": "超时属实"},
    )
    assert opened.status_code == 302
    dispute = db.session.scalar(select(Dispute))
    assert (dispute.number, dispute.stage, dispute.raised_by_party) == ("ZY-2026-0001", Stage.NEGOTIATION, "A")
    step = dispute.current_step
    assert (step.clause, step.opened_on, step.deadline) == ("9.1", date(2026, 12, 1), date(2026, 12, 31))

    again = client.post_form(
        "/t/alpha/portal/disputes/new",
        {"subject": "credit", "subject_id": credit.id, "contract_id": agreement["contract"].id, "summary": "再次"},
    )
    assert again.status_code == 422 and "A dispute about this is open already" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1

    client.sign_in(world.person("alpha", "client_admin_2").email)  # another client of the vendor
    assert client.get(f"/t/alpha/portal/disputes/{dispute.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/disputes/new?subject=credit&id={credit.id}").status_code == 404


def test_s9_2_to_s9_4_the_ladder_goes_one_step_at_a_time_to_the_agreements_venues(db, world, agreement, clock):
    dispute = contest(agreement, world, waived_credit(agreement, world))
    admin = world.person("alpha", "vendor_admin")
    mediation = services.escalate(dispute, admin, result="协商未果", deadline=None)
    db.session.commit()
    assert (mediation.stage, mediation.clause, mediation.venue) == (
        Stage.MEDIATION,
        "9.2",
        "北京市海淀区人民调解委员会",
    )
    assert mediation.deadline == date(2027, 1, 30)  # 60 days by default
    with pytest.raises(services.DisputeError, match="Name where"):
        services.escalate(dispute, admin, result="调解未果", deadline=None)  # the agreement names no arbitrator
    db.session.rollback()
    arbitration = services.escalate(
        dispute, admin, result="调解未果", deadline=date(2027, 3, 1), where="北京仲裁委员会"
    )
    db.session.commit()
    assert (arbitration.stage, arbitration.clause, arbitration.deadline) == (Stage.ARBITRATION, "9.3", date(2027, 3, 1))
    litigation = services.escalate(dispute, admin, result="仲裁未果", deadline=None)
    assert (litigation.stage, litigation.clause, litigation.venue) == (Stage.LITIGATION, "9.4", "北京市海淀区人民法院")
    db.session.commit()
    with pytest.raises(services.DisputeError, match="Litigation is the last step"):
        services.escalate(dispute, admin, result="?", deadline=None)
    db.session.rollback()
    closed = [s for s in db.session.get(Dispute, dispute.id).steps if s.closed_on]
    assert [s.result for s in closed] == ["协商未果", "调解未果", "仲裁未果"]


def test_s9_1_a_deadline_in_the_past_is_refused(db, world, agreement):
    with pytest.raises(services.DisputeError, match="after today"):
        contest(agreement, world, waived_credit(agreement, world), deadline=date(2026, 11, 30))
    db.session.rollback()
    assert db.session.scalar(select(Dispute.id)) is None


def test_s9_1_deadline_reminders_go_7_days_and_1_day_before_exactly_once(db, world, agreement, clock):
    dispute = contest(agreement, world, waived_credit(agreement, world), deadline=date(2026, 12, 20))
    tenant = agreement["tenant"]
    sent = {}
    for day in range(2, 22):
        today = date(2026, 12, day)
        clock.set(datetime(2026, 12, day, 9, 0, tzinfo=SHANGHAI))
        with dbscope.tenant(tenant.id):
            sent[today] = services.remind_deadlines(tenant, today)
            services.remind_deadlines(tenant, today)  # the job run twice the same day: nothing more
        db.session.commit()
    assert {d: n for d, n in sent.items() if n} == {date(2026, 12, 13): 1, date(2026, 12, 19): 1}
    mails = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like("dispute-deadline:%"))).all()
    to = sorted(m.to for m in mails)
    both = sorted([world.person("alpha", "vendor_admin").email, world.person("alpha", "client_admin").email] * 2)
    assert to == both and all(dispute.number in m.subject for m in mails)


def test_s9_1_a_disputed_invoice_amount_has_no_late_penalty_while_open_and_has_one_after_it_is_lost(
    db, world, agreement, clock
):
    tenant, invoice = agreement["tenant"], agreement["invoice"]
    admin = world.person("alpha", "vendor_admin")
    save_settings(tenant, False, "7")  # a reminder a week after the due date
    db.session.commit()
    with dbscope.tenant(tenant.id):
        assert invoices_to_remind(tenant, date(2027, 1, 7)) == [invoice.id]  # before the dispute: reminded
    dispute = services.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.INVOICE,
        subject_id=invoice.id,
        contract=None,
        summary="十一月未提供现场支持。",
        client_id=invoice.client_id,
    )
    db.session.commit()
    assert dispute.amount == invoice.balance == Decimal("3000.00")

    clock.set(datetime(2027, 1, 2, 0, 10, tzinfo=SHANGHAI))  # due 31 December: found owed on 1 January onwards
    with dbscope.tenant(tenant.id):
        assert record_breaches(tenant, date(2027, 1, 2)) == 0  # all of it held
        assert invoices_to_remind(tenant, date(2027, 1, 7)) == []  # held in full: no reminder
    services.resolve(dispute, admin, outcome=Outcome.FOR_VENDOR, note="现场支持记录齐全。")
    db.session.commit()
    with dbscope.tenant(tenant.id):
        assert record_breaches(tenant, date(2027, 1, 3)) == 1
    db.session.commit()
    penalty = db.session.scalar(select(LatePenalty))
    assert penalty.basis == Decimal("3000.00") and penalty.amount == Decimal("300.00")


def test_s9_1_a_partly_disputed_invoice_is_penalised_on_the_rest_only(db, world, agreement, clock):
    tenant, invoice = agreement["tenant"], agreement["invoice"]
    services.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.INVOICE,
        subject_id=invoice.id,
        contract=None,
        summary="部分服务未提供",
        amount=Decimal("1000.00"),
        client_id=invoice.client_id,
    )
    db.session.commit()
    clock.set(datetime(2027, 1, 2, 0, 10, tzinfo=SHANGHAI))
    with dbscope.tenant(tenant.id):
        record_breaches(tenant, date(2027, 1, 2))
    db.session.commit()
    breach = db.session.scalar(select(PaymentBreach))
    assert breach.unpaid == Decimal("2000.00")
    assert db.session.scalar(select(LatePenalty)).amount == Decimal("200.00")


def test_s9_1_a_settled_invoice_dispute_credits_the_agreed_amount(db, world, agreement):
    tenant, invoice = agreement["tenant"], agreement["invoice"]
    dispute = services.open_dispute(
        tenant,
        "A",
        world.person("alpha", "client_admin"),
        subject=Subject.INVOICE,
        subject_id=invoice.id,
        contract=None,
        summary="服务不达标",
        amount=Decimal("1000.00"),
        client_id=invoice.client_id,
    )
    db.session.commit()
    admin = world.person("alpha", "vendor_admin")
    with pytest.raises(services.DisputeError, match="at most the amount in dispute"):
        services.resolve(dispute, admin, outcome=Outcome.SETTLED, note="和解", amount=Decimal("1500.00"))
    db.session.rollback()
    services.resolve(dispute, admin, outcome=Outcome.SETTLED, note="双方和解，减免 600 元", amount=Decimal("600.00"))
    db.session.commit()
    note = db.session.scalar(select(CreditNote).where(CreditNote.invoice_id == invoice.id))
    assert note.amount in (Decimal("600.00"), Decimal("-600.00")) and "ZY-2026-0001" in note.reason
    db.session.refresh(invoice)
    assert invoice.balance == Decimal("2400.00")
    assert db.session.get(Dispute, dispute.id).status == DisputeStatus.RESOLVED


def test_s9_2_a_credit_dispute_decided_for_the_client_confirms_the_waived_credit(db, client, world, agreement):
    credit = waived_credit(agreement, world)
    dispute = contest(agreement, world, credit)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    done = client.post_form(
        f"/t/alpha/disputes/{dispute.id}/resolve", {"outcome": "for_client", "note": "调解委员会认定超时属实。"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ServiceCredit, credit.id).status == CreditStatus.CONFIRMED  # on the next invoice now
    assert db.session.get(Dispute, dispute.id).outcome == Outcome.FOR_CLIENT
    refused = client.post_form(f"/t/alpha/disputes/{dispute.id}/escalate", {"result": "x"})
    assert refused.status_code == 422 and "This dispute is closed." in refused.get_data(as_text=True)


def test_s9_1_only_the_raising_party_withdraws_and_a_reason_is_needed(db, client, world, agreement):
    dispute = contest(agreement, world, waived_credit(agreement, world))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"/t/alpha/disputes/{dispute.id}").get_data(as_text=True)
    assert "Withdraw the dispute" not in page  # the client raised it
    client.sign_in(world.person("alpha", "client_admin").email)
    refused = client.post_form(f"/t/alpha/portal/disputes/{dispute.id}/withdraw", {"reason": ""})
    assert refused.status_code == 422 and "Say why the dispute is withdrawn." in refused.get_data(as_text=True)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    refused = client.post_form(f"/t/alpha/portal/disputes/{dispute.id}/withdraw", {"reason": ""})
    assert refused.status_code == 422 and "请说明撤回争议的理由" in refused.get_data(as_text=True)
    done = client.post_form(f"/t/alpha/portal/disputes/{dispute.id}/withdraw", {"reason": "双方已和解"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).status == DisputeStatus.WITHDRAWN
    fragment = client.get("/t/alpha/portal/disputes/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_s9_3_arbitration_before_the_commission_the_parties_name_reminded_and_its_award_applied(
    db, client, world, agreement, clock
):
    credit = waived_credit(agreement, world)
    dispute = contest(agreement, world, credit)
    tenant, admin = agreement["tenant"], world.person("alpha", "vendor_admin")
    services.escalate(dispute, admin, result="协商未果", deadline=None)
    db.session.commit()
    client.sign_in(admin.email)
    # the agreement names no arbitration commission: the form says so and nothing moves
    refused = client.post_form(f"/t/alpha/disputes/{dispute.id}/escalate", {"result": "调解未果", "venue": ""})
    assert refused.status_code == 422 and "Name where" in refused.get_data(as_text=True)
    assert db.session.get(Dispute, dispute.id).stage == Stage.MEDIATION
    done = client.post_form(
        f"/t/alpha/disputes/{dispute.id}/escalate",
        {"result": "调解未果", "venue": "北京仲裁委员会", "deadline": "2027-01-15"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    step = db.session.get(Dispute, dispute.id).current_step
    assert (step.stage, step.clause, step.venue, step.deadline) == (
        "arbitration",
        "9.3",
        "北京仲裁委员会",
        date(2027, 1, 15),
    )
    for day in (date(2027, 1, 8), date(2027, 1, 8), date(2027, 1, 14)):
        clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI))
        with dbscope.tenant(tenant.id):
            services.remind_deadlines(tenant, day)
        db.session.commit()
    reminders = db.session.scalars(
        select(MailMessage).where(MailMessage.dedupe_key.like(f"dispute-deadline:{step.id}:%"))
    ).all()
    assert len(reminders) == 4  # 7 days and 1 day before, to each party's admin, once each
    # the award goes for the client: the waived credit stands after all
    services.resolve(db.session.get(Dispute, dispute.id), admin, outcome=Outcome.FOR_CLIENT, note="仲裁裁决：超时属实")
    db.session.commit()
    assert db.session.get(ServiceCredit, credit.id).status == CreditStatus.CONFIRMED
    assert db.session.get(Dispute, dispute.id).current_step.closed_on == date(2027, 1, 14)


def test_s9_4_litigation_at_the_court_the_agreement_names_outlives_the_agreement(db, world, agreement, clock):
    from saas.contracts import changes

    credit = waived_credit(agreement, world)
    dispute = contest(agreement, world, credit)
    admin = world.person("alpha", "vendor_admin")
    services.escalate(dispute, admin, result="协商未果", deadline=None)
    services.escalate(dispute, admin, result="调解未果", deadline=date(2027, 2, 1), where="北京仲裁委员会")
    db.session.commit()
    # the agreement ends while the dispute is open (§10.4): the dispute goes on
    changes.terminate_for_breach(agreement["contract"], date(2026, 12, 31), admin, note="TZ-2026-0003")
    db.session.commit()
    clock.set(datetime(2027, 1, 20, 9, 0, tzinfo=SHANGHAI))
    litigation = services.escalate(dispute, admin, result="一方不服仲裁", deadline=None)
    db.session.commit()
    assert (litigation.stage, litigation.clause, litigation.venue) == ("litigation", "9.4", "北京市海淀区人民法院")
    assert db.session.get(Dispute, dispute.id).status == DisputeStatus.OPEN
    services.resolve(db.session.get(Dispute, dispute.id), admin, outcome=Outcome.FOR_VENDOR, note="判决驳回")
    db.session.commit()
    assert db.session.get(ServiceCredit, credit.id).status == CreditStatus.WAIVED
    assert db.session.get(Dispute, dispute.id).outcome == Outcome.FOR_VENDOR
