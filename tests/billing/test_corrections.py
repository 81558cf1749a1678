"""§3.1 invoices people can trust: drafts reviewed before they go out, credit notes, void, never deleted."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import corrections, payments, services
from saas.billing.models import BillingSettings, CreditEntry, CreditNote, Invoice, InvoiceStatus
from saas.core.errors import ServiceError
from saas.core.models import MailMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def contract(db, world, make_signed_contract, clock):
    """alpha's first client: 8,000.00 a month from 1 January 2028, 30 days to pay, a billing contact."""
    from saas.core.clients import add_contact

    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    client = world.clients("alpha")[0]
    add_contact(
        client, {"name": "李会计", "title": "", "email": "finance@client.example.com", "phone": "", "is_billing": True}
    )
    return make_signed_contract(
        world.tenant("alpha"),
        client,
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
    )


def bill(world, contract, clock, day):
    clock.set(datetime(day.year, day.month, day.day, 1, tzinfo=SHANGHAI))
    made = services.bill(world.tenant("alpha"), [contract.id], day)
    from saas.extensions import db

    db.session.commit()
    return made


def latest(db):
    return db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()


def pay(world, amount, reference, invoice):
    payment, _ = payments.record(
        world.tenant("alpha"), invoice.client_id, "manual", reference, Decimal(amount), "CNY", invoice_id=invoice.id
    )
    payments.succeed(payment, [invoice])


def test_s3_1_1_a_credit_note_lowers_what_is_owed_and_is_numbered_without_gaps(db, world, contract, clock):
    bill(world, contract, clock, date(2028, 2, 1))
    january = latest(db)
    first = corrections.issue_credit_note(january, Decimal("500.004"), "On-site visit not made in January", None)
    second = corrections.issue_credit_note(january, Decimal("1000"), "Agreed discount", None)
    db.session.commit()
    assert (first.number, second.number) == ("CN-2028-000001", "CN-2028-000002")
    assert first.amount == Decimal("500.00")  # rounded half-up once
    # credited, not paid: the invoice is still simply issued, owing less
    assert (january.balance, january.status) == (Decimal("6500.00"), InvoiceStatus.ISSUED)
    with pytest.raises(ServiceError):  # never more than the invoice still carries
        corrections.issue_credit_note(january, Decimal("6500.01"), "Too much", None)
    with pytest.raises(ServiceError):
        corrections.issue_credit_note(january, Decimal("1"), "  ", None)  # a reason is required
    db.session.rollback()
    assert db.session.scalar(select(func.count(CreditNote.id))) == 2
    with pytest.raises(Exception, match="append-only"):
        db.session.delete(first)
        db.session.flush()
    db.session.rollback()


def test_s3_1_1_voiding_a_paid_invoice_makes_the_payment_the_clients_credit_for_the_next(db, world, contract, clock):
    bill(world, contract, clock, date(2028, 2, 1))
    january = latest(db)
    pay(world, "3000.00", "T-1", january)
    note = corrections.issue_credit_note(january, None, "Billed to the wrong company", None, void=True)
    db.session.commit()
    assert (note.amount, note.voids) == (Decimal("8000.00"), True)
    assert (january.status, january.balance) == (InvoiceStatus.VOID, Decimal("0.00"))
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("3000.00")
    with pytest.raises(ServiceError):
        corrections.issue_credit_note(january, None, "again", None, void=True)
    db.session.rollback()
    bill(world, contract, clock, date(2028, 3, 1))  # February: the credit pays part of it on issue
    february = latest(db)
    assert (february.status, february.balance) == (InvoiceStatus.PARTIALLY_PAID, Decimal("5000.00"))
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("0.00")
    assert db.session.get(Invoice, january.id) is not None  # never deleted


def test_s3_1_1_a_payment_reversed_after_a_credit_note_owes_only_what_the_note_left(db, world, contract, clock):
    bill(world, contract, clock, date(2028, 2, 1))
    january = latest(db)
    pay(world, "8000.00", "CHQ-1", january)
    corrections.issue_credit_note(january, Decimal("2000.00"), "Service credit", None)
    db.session.commit()
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("2000.00")
    cheque = db.session.scalar(select(payments.Payment).where(payments.Payment.reference == "CHQ-1"))
    payments.reverse(cheque, "returned by the bank")
    db.session.commit()
    # the invoice owes 6,000.00 again (8,000.00 less the note), and the note's credit is taken back
    assert (january.balance, january.status) == (Decimal("6000.00"), InvoiceStatus.ISSUED)
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("0.00")


def test_s3_1_1_drafts_wait_for_review_then_go_out_dated_and_mailed(db, client, world, contract, clock):
    db.session.add(BillingSettings(tenant_id=world.tenant("alpha").id, review_invoices=True, reminder_days=""))
    db.session.commit()
    bill(world, contract, clock, date(2028, 2, 1))
    draft = latest(db)
    assert (draft.status, draft.number) == (InvoiceStatus.DRAFT, "INV-2028-000001")
    assert db.session.scalar(select(func.count(MailMessage.id))) == 0
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.get(f"/t/alpha/portal/invoices/{draft.id}").status_code == 404
    assert "INV-2028-000001" not in client.get("/t/alpha/portal/invoices/").get_data(as_text=True)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    clock.set(datetime(2028, 2, 3, 9, tzinfo=SHANGHAI))
    page = client.get("/t/alpha/billing/?status=draft").get_data(as_text=True)
    assert "Issue all drafts" in page
    assert client.post_form(f"/t/alpha/billing/{draft.id}/issue").status_code == 302
    db.session.expire_all()
    issued = db.session.get(Invoice, draft.id)
    assert (issued.status, issued.issue_date, issued.due_date) == (
        InvoiceStatus.ISSUED,
        date(2028, 2, 3),
        date(2028, 3, 4),
    )
    mail = db.session.scalar(select(MailMessage))
    assert mail.to == "finance@client.example.com" and "INV-2028-000001" in mail.subject
    assert [a["filename"] for a in mail.attachments] == ["INV-2028-000001-zh.pdf", "INV-2028-000001-en.pdf"]
    assert client.post_form(f"/t/alpha/billing/{draft.id}/issue").status_code == 302  # twice: nothing more
    assert db.session.scalar(select(func.count(MailMessage.id))) == 1


def test_s3_1_1_credit_note_and_void_through_the_screens(db, client, world, contract, clock):
    bill(world, contract, clock, date(2028, 2, 1))
    january = latest(db)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    response = client.post_form(
        f"/t/alpha/billing/{january.id}/credit-notes", {"amount": "9000", "reason": "x"}, follow_redirects=True
    )
    assert "A credit note is above zero and at most" in response.get_data(as_text=True)
    client.post_form(f"/t/alpha/billing/{january.id}/credit-notes", {"amount": "800.00", "reason": "SLA credit"})
    page = client.get(f"/t/alpha/billing/{january.id}").get_data(as_text=True)
    assert "CN-2028-000001" in page and "SLA credit" in page
    client.post_form(f"/t/alpha/billing/{january.id}/void", {"reason": ""})  # a reason is required
    db.session.expire_all()
    assert db.session.get(Invoice, january.id).status == InvoiceStatus.ISSUED
    client.post_form(f"/t/alpha/billing/{january.id}/void", {"reason": "Duplicate"})
    db.session.expire_all()
    voided = db.session.get(Invoice, january.id)
    assert (voided.status, voided.balance) == (InvoiceStatus.VOID, Decimal("0.00"))
    assert db.session.scalar(select(CreditNote.amount).where(CreditNote.voids)) == Decimal("7200.00")
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/invoices/{january.id}").get_data(as_text=True)
    assert "CN-2028-000002" in page and 'data-testid="pay-' not in page  # nothing to pay on a void invoice


def test_s8_1_4_receivables_are_aged_by_days_past_due(db, client, world, contract, clock):
    for day in (date(2028, 2, 1), date(2028, 3, 1), date(2028, 4, 1), date(2028, 5, 1)):
        bill(world, contract, clock, day)  # due 2 March, 31 March, 1 May, 31 May
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
    pay(world, "1000.00", "T-1", invoices[0])
    db.session.add(
        CreditEntry(
            tenant_id=invoices[0].tenant_id,
            client_id=invoices[0].client_id,
            amount=Decimal("12.50"),
            currency="CNY",
            note="overpayment",
        )
    )
    db.session.commit()
    clock.set(datetime(2028, 5, 10, 9, tzinfo=SHANGHAI))
    from saas.billing.receivables import ageing

    rows, totals = ageing(world.tenant("alpha"), date(2028, 5, 10))
    (row,) = rows
    assert row.buckets == {
        "not_due": Decimal("8000.00"),
        "d0_30": Decimal("8000.00"),
        "d31_60": Decimal("8000.00"),
        "d61_90": Decimal("7000.00"),
        "d90_plus": Decimal("0"),
    }
    assert (row.total, row.credit, row.invoices) == (Decimal("31000.00"), Decimal("12.50"), 4)
    assert totals[0].total == Decimal("31000.00")
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get("/t/alpha/billing/receivables").get_data(as_text=True)
    assert "61–90 days" in page and "31,000.00" in page
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/billing/receivables").status_code == 403


def test_s3_1_1_a_full_credit_note_voids_and_a_credit_invoice_takes_no_credit_note(db, world, contract, clock):
    bill(world, contract, clock, date(2028, 2, 1))
    january = latest(db)
    corrections.issue_credit_note(january, Decimal("8000.00"), "Not owed at all", None)
    db.session.commit()
    assert (january.status, january.balance) == (InvoiceStatus.VOID, Decimal("0.00"))  # credited in full
    with pytest.raises(ServiceError, match="nothing left to credit|void already"):
        corrections.issue_credit_note(january, Decimal("1.00"), "again", None)
    db.session.rollback()
    bill(world, contract, clock, date(2028, 3, 1))
    february = latest(db)
    february.total = february.balance = Decimal("-100.00")  # what a month of credits beyond its fees bills
    db.session.commit()
    with pytest.raises(ServiceError, match="nothing left to credit"):
        corrections.issue_credit_note(february, None, "Void a credit", None, void=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CreditNote.id))) == 1


def test_s8_2_voiding_an_overdue_invoice_withdraws_its_penalty_and_puts_back_those_it_carried(
    db, world, contract, clock
):
    from saas.billing import late
    from saas.billing.penalty_models import LatePenalty, PenaltyStatus

    bill(world, contract, clock, date(2028, 2, 1))  # January, due 2 March
    january = latest(db)
    clock.set(datetime(2028, 3, 3, 1, tzinfo=SHANGHAI))
    payments.mark_overdue(world.tenant("alpha"), date(2028, 3, 3))
    late.record_breaches(world.tenant("alpha"), date(2028, 3, 3))
    penalty = db.session.scalar(select(LatePenalty))
    late.confirm(penalty, world.person("alpha", "vendor_billing"))
    db.session.commit()
    bill(world, contract, clock, date(2028, 4, 1))  # February and March: the penalty goes on March's
    march = latest(db)
    assert penalty.status == PenaltyStatus.BILLED and penalty.billed_invoice_id == march.id
    corrections.issue_credit_note(march, None, "Wrong address", None, void=True)
    db.session.commit()
    assert (penalty.status, penalty.billed_invoice_id) == (PenaltyStatus.CONFIRMED, None)  # waiting again
    corrections.issue_credit_note(january, None, "Billed in error", None, void=True)
    db.session.commit()
    assert penalty.status == PenaltyStatus.WAIVED and "INV-2028-000001" in penalty.note
    bill(world, contract, clock, date(2028, 5, 1))
    assert latest(db).total == Decimal("8000.00")  # April: no penalty of a voided invoice


def test_s3_1_1_issue_all_drafts_at_once(db, client, world, contract, clock):
    db.session.add(BillingSettings(tenant_id=world.tenant("alpha").id, review_invoices=True, reminder_days=""))
    db.session.commit()
    bill(world, contract, clock, date(2028, 3, 1))  # January and February, both drafts
    client.sign_in(world.person("alpha", "vendor_billing").email)
    response = client.post_form("/t/alpha/billing/drafts/issue", follow_redirects=True)
    assert "2 invoices issued." in response.get_data(as_text=True)
    db.session.expire_all()
    assert [i.status for i in db.session.scalars(select(Invoice).order_by(Invoice.id))] == [InvoiceStatus.ISSUED] * 2
    assert db.session.scalar(select(func.count(MailMessage.id))) == 2
