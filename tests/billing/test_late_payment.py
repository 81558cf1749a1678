"""§8.1.4 and §8.2: an invoice unpaid after its due date is the client's breach, recorded once with its evidence;
the penalty it proposes is unpaid × rate, confirmed (then billed once on the next invoice) or waived.

Kill Bill style: the clock moves day by day and month by month, and each step asserts exactly what appears.
"""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import late, payments, services
from saas.billing.models import Invoice, InvoiceLine, InvoiceStatus
from saas.billing.penalty_models import LatePenalty, PaymentBreach, PenaltyStatus
from saas.billing.tasks import mark_overdue_invoices
from saas.core.models import AppendOnlyError, AuditEvent
from saas.core.plugins import merge_obligations, plugin_manager

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def at(day: date, hour: int = 1, minute: int = 0, tz=SHANGHAI) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@pytest.fixture
def contract_of(db, world, make_signed_contract, clock):
    """contract_of(slug, client_index=0, **terms): a signed agreement of 3,000.00 a month from 1 January 2028."""

    def make(slug="alpha", client_index=0, **terms):
        clock.set(at(date(2027, 12, 20), 10))  # signed before it takes effect: whole months
        terms.setdefault("lines", [("REMOTE", "1", "3000.00")])
        return make_signed_contract(
            world.tenant(slug), world.clients(slug)[client_index], effective=date(2028, 1, 1), **terms
        )

    return make


def bill(world, contract, day: date, slug="alpha") -> int:
    """The nightly run of `day` for one contract, as the billing tests do it."""
    made = services.bill(world.tenant(slug), [contract.id], day)
    services.db.session.commit()
    return made


def invoices_of(db, contract) -> list[Invoice]:
    return db.session.scalars(select(Invoice).where(Invoice.contract_id == contract.id).order_by(Invoice.id)).all()


def pay(world, invoice, amount, reference, slug="alpha", client_index=0):
    payment, _created = payments.record(
        world.tenant(slug),
        world.clients(slug)[client_index].id,
        "manual",
        reference,
        Decimal(amount),
        "CNY",
        invoice_id=invoice.id,
    )
    payments.succeed(payment, [invoice])
    payments.db.session.commit()


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_s8_1_4_an_invoice_becomes_overdue_on_the_first_local_day_after_its_due_date_and_its_breach_is_recorded_once(
    db, world, contract_of, clock
):
    """Shanghai (UTC+8) finds the breach at its midnight, when the UTC date is still the due date; a UTC tenant
    finds it eight hours later. Each breach is recorded once, with the evidence as it stood, whatever re-runs."""
    world.tenant("beta").timezone = "UTC"
    db.session.commit()
    alpha, beta = contract_of("alpha"), contract_of("beta")
    clock.set(at(date(2028, 2, 1)))
    assert bill(world, alpha, date(2028, 2, 1)) == bill(world, beta, date(2028, 2, 1), "beta") == 1
    (january,), (beta_january,) = invoices_of(db, alpha), invoices_of(db, beta)
    assert january.due_date == beta_january.due_date == date(2028, 3, 2)  # net 30 days

    clock.set(at(date(2028, 3, 2), 23, 59))  # the due date's last minute in Shanghai
    assert mark_overdue_invoices() == 0
    assert count(db, PaymentBreach) == 0

    clock.set(at(date(2028, 3, 3), 0, 10))  # 16:10 UTC on 2 March: Shanghai's 3 March, UTC's due date
    assert mark_overdue_invoices() == 1
    breach = db.session.scalar(select(PaymentBreach))
    assert (breach.tenant_id, breach.client_id, breach.invoice_id, breach.contract_id) == (
        alpha.tenant_id,
        alpha.client_id,
        january.id,
        alpha.id,
    )
    assert (
        breach.clause,
        breach.invoice_number,
        breach.due_date,
        breach.total,
        breach.unpaid,
        breach.currency,
        breach.found_on,
        breach.days_late,
    ) == (
        "8.1.4",
        "INV-2028-000001",
        date(2028, 3, 2),
        Decimal("3000.00"),
        Decimal("3000.00"),
        "CNY",
        date(2028, 3, 3),
        1,
    )
    assert breach.detected_at == clock.now()
    penalty = db.session.scalar(select(LatePenalty))
    assert (
        penalty.breach_id,
        penalty.contract_id,
        penalty.clause,
        penalty.status,
        penalty.basis,
        penalty.rate,
        penalty.amount,
    ) == (breach.id, alpha.id, "8.2", PenaltyStatus.PROPOSED, Decimal("3000.00"), Decimal("0.1000"), Decimal("300.00"))
    db.session.expire_all()
    assert (january.status, beta_january.status) == (InvoiceStatus.OVERDUE, InvoiceStatus.ISSUED)

    assert mark_overdue_invoices() == 0  # the same night again: nothing more
    clock.set(at(date(2028, 3, 3), 8, 10, tz=UTC))  # UTC's 3 March: beta's turn
    assert mark_overdue_invoices() == 1
    clock.set(at(date(2028, 3, 10), 0, 10))
    assert mark_overdue_invoices() == 0
    rows = db.session.execute(
        select(PaymentBreach.tenant_id, PaymentBreach.found_on, PaymentBreach.days_late).order_by(PaymentBreach.id)
    ).all()
    assert rows == [(alpha.tenant_id, date(2028, 3, 3), 1), (beta.tenant_id, date(2028, 3, 3), 1)]  # unchanged
    assert count(db, LatePenalty) == 2
    assert late.record_breaches(world.tenant("alpha"), date(2028, 3, 11)) == 0  # even asked directly

    with pytest.raises(AppendOnlyError):
        breach.unpaid = Decimal("1.00")
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(PaymentBreach, breach.id))
        db.session.flush()


def test_s8_2_the_penalty_is_unpaid_times_rate_rounded_half_up_once_after_a_partial_payment_before_the_due_date(
    db, world, contract_of, clock
):
    """12.5% of the 100.04 left unpaid is 12.505: 12.51 half-up (half-even would give 12.50)."""
    contract = contract_of(penalty_rate=Decimal("0.1250"))
    clock.set(at(date(2028, 2, 1)))
    bill(world, contract, date(2028, 2, 1))
    (january,) = invoices_of(db, contract)
    clock.set(at(date(2028, 3, 1), 15))
    pay(world, january, "2899.96", "T-1")  # the day before the due date
    assert (january.status, january.balance) == (InvoiceStatus.PARTIALLY_PAID, Decimal("100.04"))

    clock.set(at(date(2028, 3, 3), 0, 10))
    assert mark_overdue_invoices() == 1
    breach = db.session.scalar(select(PaymentBreach))
    assert (breach.total, breach.unpaid) == (Decimal("3000.00"), Decimal("100.04"))
    penalty = db.session.scalar(select(LatePenalty))
    assert (penalty.basis, penalty.rate, penalty.amount) == (Decimal("100.04"), Decimal("0.1250"), Decimal("12.51"))
    assert late.penalty_amount(Decimal("100.04"), Decimal("0.1250"), "CNY") == Decimal("12.51")
    assert late.penalty_amount(Decimal("1000.05"), Decimal("0.1000"), "JPY") == Decimal("100")  # no minor unit


def test_s8_1_4_an_invoice_paid_on_its_due_date_is_no_breach(db, world, contract_of, clock):
    contract = contract_of()
    clock.set(at(date(2028, 2, 1)))
    bill(world, contract, date(2028, 2, 1))
    (january,) = invoices_of(db, contract)
    clock.set(at(date(2028, 3, 2), 23, 30))  # paid late in the evening of the due date, Shanghai time
    pay(world, january, "3000.00", "T-1")
    for day in (date(2028, 3, 3), date(2028, 3, 4), date(2028, 4, 2)):
        clock.set(at(day, 0, 10))
        assert mark_overdue_invoices() == 0
    assert count(db, PaymentBreach) == count(db, LatePenalty) == 0
    assert db.session.get(Invoice, january.id).status == InvoiceStatus.PAID


def test_s8_1_4_only_invoices_still_owed_are_breaches_and_paying_late_does_not_undo_one(db, world, contract_of, clock):
    """Paying after the breach does not undo it; a breach is found on invoices still owed only."""
    contract = contract_of()
    clock.set(at(date(2028, 3, 1)))
    bill(world, contract, date(2028, 3, 1))  # January and February, both due 31 March
    january, february = invoices_of(db, contract)
    pay(world, february, "3000.00", "T-0")
    clock.set(at(date(2028, 4, 1), 0, 10))
    assert mark_overdue_invoices() == 1
    pay(world, january, "3000.00", "T-1")
    clock.set(at(date(2028, 4, 2), 0, 10))
    assert mark_overdue_invoices() == 0
    assert db.session.scalars(select(PaymentBreach.invoice_id)).all() == [january.id]


def propose(db, world, contract, clock) -> tuple[Invoice, LatePenalty]:
    """January billed on 1 February, unpaid, found late on 3 March: its 300.00 penalty is proposed."""
    clock.set(at(date(2028, 2, 1)))
    bill(world, contract, date(2028, 2, 1))
    clock.set(at(date(2028, 3, 1)))
    bill(world, contract, date(2028, 3, 1))  # February, due 31 March
    clock.set(at(date(2028, 3, 3), 0, 10))
    mark_overdue_invoices()
    return invoices_of(db, contract)[0], db.session.scalar(select(LatePenalty))


def penalty_lines(db):
    return db.session.execute(
        select(InvoiceLine.invoice_id, InvoiceLine.amount, InvoiceLine.description, InvoiceLine.source).where(
            InvoiceLine.kind == "penalty"
        )
    ).all()


def test_s8_2_a_confirmed_penalty_is_billed_once_on_the_next_monthly_invoice(db, world, contract_of, clock, client):
    contract = contract_of()
    january, penalty = propose(db, world, contract, clock)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    response = client.post_form(f"/t/alpha/billing/penalties/{penalty.id}/confirm", {"note": "已电话通知财务"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (penalty.status, penalty.note, penalty.decided_by_id) == (
        PenaltyStatus.CONFIRMED,
        "已电话通知财务",
        world.person("alpha", "vendor_billing").id,
    )
    assert penalty_lines(db) == []  # confirmed: waiting for the next invoice

    clock.set(at(date(2028, 4, 1)))
    assert bill(world, contract, date(2028, 4, 1)) == 1  # March
    assert bill(world, contract, date(2028, 4, 1)) == 0  # the same run again
    march = invoices_of(db, contract)[-1]
    ((invoice_id, amount, description, source),) = penalty_lines(db)
    assert (invoice_id, amount) == (march.id, Decimal("300.00"))
    assert "INV-2028-000001" in description and "§8.2" in description and "§8.1.4" in description
    assert len(description.split(" / ")) == 2  # Chinese / English: the invoice is read in both
    assert source == {
        "penalty_id": penalty.id,
        "breach_id": penalty.breach_id,
        "clause": "8.2",
        "late_invoice": "INV-2028-000001",
        "key": f"billing.penalty:{penalty.id}",
    }
    assert (march.total, march.balance) == (Decimal("3300.00"), Decimal("3300.00"))
    db.session.expire_all()
    assert (penalty.status, penalty.billed_invoice_id, penalty.billed_at) == (
        PenaltyStatus.BILLED,
        march.id,
        clock.now(),
    )

    clock.set(at(date(2028, 4, 1), 0, 10))
    mark_overdue_invoices()  # February is late now: its penalty is proposed, not billed
    clock.set(at(date(2028, 5, 1)))
    assert bill(world, contract, date(2028, 5, 1)) == 1  # April
    april = invoices_of(db, contract)[-1]
    assert april.total == Decimal("3000.00")
    assert len(penalty_lines(db)) == 1
    assert db.session.scalars(select(LatePenalty.status).order_by(LatePenalty.id)).all() == [
        PenaltyStatus.BILLED,
        PenaltyStatus.PROPOSED,
    ]


def test_s8_2_a_waived_penalty_needs_a_reason_and_is_never_billed(db, world, contract_of, clock, client):
    contract = contract_of()
    _january, penalty = propose(db, world, contract, clock)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"/t/alpha/billing/penalties/{penalty.id}/waive"
    refused = client.post_form(url, {"reason": "  "})
    assert refused.status_code == 422
    assert "Say why the penalty is waived." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert penalty.status == PenaltyStatus.PROPOSED
    kept = client.post_form(url, {"reason": "x" * 501}).get_data(as_text=True)
    assert "x" * 501 in kept  # what was typed comes back with the message
    assert client.post_form(url, {"reason": "首次逾期，客户已付清"}).status_code == 302
    db.session.expire_all()
    assert (penalty.status, penalty.note) == (PenaltyStatus.WAIVED, "首次逾期，客户已付清")

    # a late Confirm click on the waived penalty changes nothing
    page = client.post_form(f"/t/alpha/billing/penalties/{penalty.id}/confirm", {}, follow_redirects=True)
    assert "This penalty was waived: it can no longer be confirmed." in page.get_data(as_text=True)
    db.session.expire_all()
    assert penalty.status == PenaltyStatus.WAIVED
    clock.set(at(date(2028, 4, 1)))
    bill(world, contract, date(2028, 4, 1))
    assert invoices_of(db, contract)[-1].total == Decimal("3000.00")
    assert penalty_lines(db) == []
    waivers = select(func.count(AuditEvent.id)).where(AuditEvent.action == "billing.penalty_waived")
    assert db.session.scalar(waivers) == 1


def test_s8_2_a_double_click_confirms_once(db, world, contract_of, clock, client):
    contract = contract_of()
    _january, penalty = propose(db, world, contract, clock)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    url = f"/t/alpha/billing/penalties/{penalty.id}/confirm"
    first = client.post_form(url, {"note": "确认"}, headers={"HX-Request": "true"})
    second = client.post_form(url, {"note": "again"}, headers={"HX-Request": "true"})
    assert first.status_code == second.status_code == 200
    assert 'id="penalty-' in first.get_data(as_text=True)  # HTMX gets the penalty's row back
    assert "confirmed already" in second.get_data(as_text=True)
    db.session.expire_all()
    assert (penalty.status, penalty.note) == (PenaltyStatus.CONFIRMED, "确认")
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "billing.penalty_confirmed"))
        == 1
    )
    waive = client.post_form(
        f"/t/alpha/billing/penalties/{penalty.id}/waive", {"reason": "late"}, headers={"HX-Request": "true"}
    )
    assert "can no longer be waived" in waive.get_data(as_text=True)
    db.session.expire_all()
    assert penalty.status == PenaltyStatus.CONFIRMED


def test_s8_2_confirm_and_waive_at_the_same_moment_one_wins(db, world, contract_of, clock, app):
    """Two people decide at once: the row lock makes them take turns, and the second is refused."""
    from saas.core.models import User

    contract = contract_of()
    _january, penalty = propose(db, world, contract, clock)
    people = [world.person("alpha", "vendor_admin").id, world.person("alpha", "vendor_billing").id]
    barrier, outcomes = threading.Barrier(2), []

    def decide(index):
        with app.app_context():
            target = db.session.get(LatePenalty, penalty.id)
            actor = db.session.get(User, people[index])
            barrier.wait()
            try:
                late.confirm(target, actor) if index == 0 else late.waive(target, actor, "goodwill")
                db.session.commit()
                outcomes.append("done")
            except late.PenaltyError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["done", "refused"]
    db.session.expire_all()
    assert db.session.get(LatePenalty, penalty.id).status in (PenaltyStatus.CONFIRMED, PenaltyStatus.WAIVED)
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action.in_(("billing.penalty_confirmed", "billing.penalty_waived"))
            )
        )
        == 1
    )


def test_s8_2_the_penalties_screen_for_billing_staff_proposed_first_with_the_evidence(
    db, world, contract_of, clock, client
):
    contract = contract_of(penalty_rate=Decimal("0.0500"))
    january, first = propose(db, world, contract, clock)
    late.confirm(first, world.person("alpha", "vendor_admin"))
    db.session.commit()
    clock.set(at(date(2028, 4, 1), 0, 10))
    mark_overdue_invoices()  # February: proposed
    second = db.session.scalars(select(LatePenalty).order_by(LatePenalty.id.desc())).first()

    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get("/t/alpha/billing/penalties/").get_data(as_text=True)
    assert page.index(f'id="penalty-{second.id}"') < page.index(f'id="penalty-{first.id}"')  # proposed first
    for text in (
        "INV-2028-000001",
        "INV-2028-000002",
        "2028-03-03",
        "2028-04-01",
        "1 day late",
        "¥3,000.00",
        "¥150.00",
        "× 5%",
        "Confirmed",
        "Proposed",
        "§8.1.4",
        "§8.2",
    ):
        assert text in page, text
    assert page.count('data-testid="confirm-penalty"') == 1  # only the proposed one can still be decided
    confirmed = client.get("/t/alpha/billing/penalties/?status=confirmed").get_data(as_text=True)
    assert f'id="penalty-{first.id}"' in confirmed and f'id="penalty-{second.id}"' not in confirmed
    waived = client.get("/t/alpha/billing/penalties/?status=waived").get_data(as_text=True)
    assert "No penalties with this status." in waived
    for role, status in (("vendor_engineer", 403), ("client_admin", 403), ("client_user", 403)):
        client.sign_in(world.person("alpha", role).email)
        assert client.get("/t/alpha/billing/penalties/").status_code == status
        assert client.post_form(f"/t/alpha/billing/penalties/{second.id}/confirm", {}).status_code == status
    client.sign_in(world.person("beta", "vendor_billing").email)
    assert client.get("/t/alpha/billing/penalties/").status_code == 404
    client.sign_in(world.person("alpha", "vendor_admin").email)
    nav = client.get("/t/alpha/").get_data(as_text=True)
    assert "/t/alpha/billing/penalties/" in nav and "/t/alpha/billing/settings/" in nav


def test_s8_2_the_penalties_screen_pages_by_keyset_proposed_first(db, world, contract_of, clock, client):
    contract = contract_of()
    clock.set(at(date(2028, 12, 1)))
    bill(world, contract, date(2028, 12, 1))  # eleven invoices, January to November
    clock.set(at(date(2029, 2, 1), 0, 10))
    assert mark_overdue_invoices() == 11
    ids = db.session.scalars(select(LatePenalty.id).order_by(LatePenalty.id)).all()
    for penalty_id in ids[:4]:
        late.confirm(db.session.get(LatePenalty, penalty_id), world.person("alpha", "vendor_admin"))
    db.session.commit()
    first, after = late.list_penalties(world.tenant("alpha"), limit=5)
    second, after2 = late.list_penalties(world.tenant("alpha"), after=after, limit=5)
    third, after3 = late.list_penalties(world.tenant("alpha"), after=after2, limit=5)
    seen = [p.id for p in first + second + third]
    assert seen == sorted(ids[4:], reverse=True) + sorted(ids[:4], reverse=True)
    assert after3 is None
    client.sign_in(world.person("alpha", "vendor_billing").email)
    more = client.get(
        f"/t/alpha/billing/penalties/?after={after[0]}-{after[1]}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in more and f'id="penalty-{second[0].id}"' in more


def test_s8_1_4_the_contract_page_lists_the_late_payments_for_the_vendor_and_the_client(
    db, world, contract_of, clock, client
):
    contract = contract_of()
    _january, penalty = propose(db, world, contract, clock)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get(f"/t/alpha/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="payment-breaches"' in page and "INV-2028-000001" in page and "¥300.00" in page
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert 'data-testid="payment-breaches"' not in client.get(f"/t/alpha/contracts/{contract.id}").get_data(
        as_text=True
    )

    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"/t/alpha/portal/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="payment-breaches"' in portal and "INV-2028-000001" in portal
    assert "¥300.00" not in portal and "under review" in portal  # proposed: the vendor has not decided yet
    late.confirm(penalty, world.person("alpha", "vendor_admin"))
    db.session.commit()
    portal = client.get(f"/t/alpha/portal/contracts/{contract.id}").get_data(as_text=True)
    assert "¥300.00" in portal and "Confirmed" in portal
    assert f"/t/alpha/portal/invoices/{penalty.breach.invoice_id}" in portal
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the other client of the same vendor
    assert client.get(f"/t/alpha/portal/contracts/{contract.id}").status_code == 404


def obligation(contract):
    rows = merge_obligations(plugin_manager().for_tenant(contract.tenant).saas_contract_obligations(contract=contract))
    return next(r for r in rows if r.key == "client_payment")


def test_s8_1_4_the_compliance_row_counts_invoices_due_paid_on_time_and_breached(db, world, contract_of, clock, client):
    contract = contract_of()
    clock.set(at(date(2028, 4, 1)))
    bill(world, contract, date(2028, 4, 1))  # January, February, March: all due 1 May
    january, february, march = invoices_of(db, contract)
    clock.set(at(date(2028, 5, 1), 20))
    pay(world, january, "3000.00", "T-1")  # on its due date: met
    clock.set(at(date(2028, 5, 2), 0, 10))
    mark_overdue_invoices()  # February and March: breached
    pay(world, february, "3000.00", "T-2")  # paid late: still a breach
    clock.set(at(date(2028, 5, 2)))
    bill(world, contract, date(2028, 5, 2))  # April, not due yet
    row = obligation(contract)
    assert (row.clause, row.applied, row.met, row.breached) == ("§8.1.4", 3, 1, 2)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    tab = client.get(f"/t/alpha/contracts/{contract.id}?tab=obligations").get_data(as_text=True)
    assert "Pay each invoice by its due date" in tab and "due 30 days after the invoice" in tab


def test_s8_2_an_agreement_without_penalty_records_the_breach_and_proposes_nothing(db, world, contract_of, clock):
    contract = contract_of(penalty_rate=Decimal("0"))
    clock.set(at(date(2028, 2, 1)))
    bill(world, contract, date(2028, 2, 1))
    clock.set(at(date(2028, 3, 3), 0, 10))
    assert mark_overdue_invoices() == 1
    assert (count(db, PaymentBreach), count(db, LatePenalty)) == (1, 0)
    assert mark_overdue_invoices() == 0
