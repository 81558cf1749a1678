"""§3.2 payments: the core owns the money — partial payments, overpayment to credit, reversal, once per reference."""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import payments, services
from saas.billing.models import CreditEntry, Invoice, InvoiceStatus, Payment, PaymentAllocation, PaymentStatus
from saas.core.models import AppendOnlyError
from saas.testing.race import at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def invoices(db, world, make_signed_contract, clock):
    """Two monthly invoices of 8,000.00 for alpha's first client (January and February 2028)."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))  # signed before it takes effect: whole months
    contract = make_signed_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
    )
    clock.set(datetime(2028, 3, 2, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 3, 2))
    db.session.commit()
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).all()


def pay(world, amount, reference, invoice=None, provider="manual"):
    payment, _created = payments.record(
        world.tenant("alpha"),
        world.clients("alpha")[0].id,
        provider,
        reference,
        Decimal(amount),
        "CNY",
        invoice_id=invoice.id if invoice else None,
    )
    return payment


def test_s3_2_1_a_partial_payment_then_the_rest(invoices, world, db):
    january, february = invoices
    payments.succeed(pay(world, "3000.00", "T-1", january))
    db.session.commit()
    assert (january.status, january.balance) == (InvoiceStatus.PARTIALLY_PAID, Decimal("5000.00"))
    payments.succeed(pay(world, "5000.00", "T-2", january))
    db.session.commit()
    assert (january.status, january.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert february.status == InvoiceStatus.ISSUED


def test_s3_2_1_an_overpayment_pays_the_oldest_first_and_the_rest_is_credit_for_the_next(invoices, world, db, clock):
    january, february = invoices
    payments.succeed(pay(world, "20000.00", "T-9"))  # names no invoice: oldest first
    db.session.commit()
    assert [i.status for i in (january, february)] == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("4000.00")
    clock.set(datetime(2028, 4, 2, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [january.contract_id], date(2028, 4, 2))  # issuing applies the credit
    db.session.commit()
    march = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert payments.apply_credit(march) == Decimal("0")  # there is none left to apply
    assert (march.status, march.balance) == (InvoiceStatus.PARTIALLY_PAID, Decimal("4000.00"))
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("0.00")


def test_s3_2_1_the_same_notice_twice_credits_once_and_other_details_are_refused(invoices, world, db):
    january, _february = invoices
    first = pay(world, "8000.00", "ALIPAY-2028-1", january, provider="payments_epay")
    again = pay(world, "8000.00", "ALIPAY-2028-1", january, provider="payments_epay")
    assert first.id == again.id
    payments.succeed(first)
    payments.succeed(again)
    db.session.commit()
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 1
    assert january.balance == Decimal("0.00")
    with pytest.raises(payments.PaymentError):
        pay(world, "1.00", "ALIPAY-2028-1", january, provider="payments_epay")


def test_s3_2_2_a_reversal_reopens_the_invoices_and_withdraws_the_credit(invoices, world, db):
    january, february = invoices
    cheque = pay(world, "17000.00", "CHQ-001")
    payments.succeed(cheque)
    db.session.commit()
    payments.reverse(cheque, "退票：存款不足")
    db.session.commit()
    assert [(i.status, i.balance) for i in (january, february)] == [
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
    ]
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("0.00")
    assert cheque.status == PaymentStatus.REVERSED
    amounts = db.session.scalars(select(PaymentAllocation.amount).order_by(PaymentAllocation.id)).all()
    assert amounts == [Decimal("8000.00"), Decimal("8000.00"), Decimal("-8000.00"), Decimal("-8000.00")]
    with pytest.raises(payments.PaymentError):
        payments.succeed(cheque)  # a reversed payment never counts again
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.scalar(select(CreditEntry)))
        db.session.flush()


def test_s3_2_1_failed_payments_never_allocate(invoices, world, db):
    january, _ = invoices
    started = pay(world, "8000.00", "ALIPAY-2028-2", january, provider="payments_epay")
    payments.fail(started)
    with pytest.raises(payments.PaymentError):
        payments.succeed(started)
    db.session.rollback()
    assert january.balance == Decimal("8000.00")


def test_s3_2_1_payments_belong_to_the_client_and_are_amounts(invoices, world, db):
    january, _ = invoices
    with pytest.raises(payments.PaymentError):
        payments.record(
            world.tenant("alpha"),
            world.clients("alpha")[1].id,
            "manual",
            "X",
            Decimal("1"),
            "CNY",
            invoice_id=january.id,
        )  # another client's invoice
    with pytest.raises(payments.PaymentError):
        payments.record(world.tenant("beta"), world.clients("alpha")[0].id, "manual", "X", Decimal("1"), "CNY")
    with pytest.raises(payments.PaymentError):
        pay(world, "0.00", "ZERO")


def test_s3_2_1_the_same_notice_at_the_same_moment_credits_once(invoices, world, db, app):
    january, _ = invoices
    payment = pay(world, "8000.00", "ALIPAY-RACE", january, provider="payments_epay")
    db.session.commit()
    payment_id, invoice_id = payment.id, january.id  # read here: the threads must not touch this session
    barrier, errors = threading.Barrier(2, timeout=10), []

    def deliver():
        from saas.extensions import db as database

        with app.app_context():
            try:
                row = database.session.get(Payment, payment_id)
                barrier.wait()
                payments.succeed(row)
                database.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 1
    assert db.session.get(Invoice, invoice_id).balance == Decimal("0.00")


def test_s3_2_1_billing_staff_record_a_transfer_against_the_invoice(invoices, world, db, client):
    january, _ = invoices
    client.sign_in(world.person("alpha", "vendor_billing").email)
    url = f"/t/alpha/billing/{january.id}/payments"
    client.post_form(url, {"amount": "abc", "reference": "", "received_on": "2028-03-03"})
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    data = {"amount": "8000.00", "reference": "工行流水 20280303-001", "received_on": "2028-03-03"}
    client.post_form(url, data)
    client.post_form(url, data)  # the same transfer twice: recorded once
    db.session.expire_all()
    assert (january.status, january.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 1
    page = client.get(f"/t/alpha/billing/{january.id}").get_data(as_text=True)
    assert "工行流水 20280303-001" in page and "Record a payment received" not in page
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/portal/invoices/{january.id}").get_data(as_text=True)
    assert "工行流水 20280303-001" in portal and "Paid" in portal
    assert client.post_form(url, data).status_code == 403


def test_s8_1_4_an_invoice_unpaid_after_its_due_date_becomes_overdue_and_stays_so_until_paid(
    invoices, world, db, clock
):
    from saas.billing.tasks import mark_overdue_invoices

    january, february = invoices  # both issued 2 March 2028, due 1 April (net 30)
    payments.succeed(pay(world, "8000.00", "T-1", february))
    db.session.commit()
    clock.set(datetime(2028, 4, 1, 23, 0, tzinfo=SHANGHAI))
    assert mark_overdue_invoices() == 0  # due today: not late yet
    clock.set(datetime(2028, 4, 2, 0, 10, tzinfo=SHANGHAI))
    assert mark_overdue_invoices() == 1
    assert mark_overdue_invoices() == 0
    db.session.expire_all()
    assert (january.status, february.status) == (InvoiceStatus.OVERDUE, InvoiceStatus.PAID)
    payments.succeed(pay(world, "3000.00", "T-2", january))
    assert january.status == InvoiceStatus.OVERDUE  # still owed
    payments.succeed(pay(world, "5000.00", "T-3", january))
    assert january.status == InvoiceStatus.PAID


def test_s3_2_1_the_same_manual_payment_submitted_twice_at_once_allocates_once(invoices, world, db, app, client):
    """Two identical submissions of the billing form at the same moment (a double click): one payment, once."""
    january, _ = invoices
    url = f"/t/alpha/billing/{january.id}/payments"
    email = world.person("alpha", "vendor_billing").email
    data = {"amount": "1.00", "reference": "工行流水 DOUBLE-CLICK", "received_on": "2028-03-03"}
    browsers = []
    for _ in range(2):
        browser = app.test_client()  # a second browser, each with its own session
        browser.sign_in(email)
        browsers.append((browser, {**data, "csrf_token": browser.csrf_token(f"/t/alpha/billing/{january.id}")}))
    answers = at_once(*(lambda b=b, f=f: b.post(url, data=f).status_code for b, f in browsers))
    assert sorted(answers) == [302, 302]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.sum(PaymentAllocation.amount))) == Decimal("1.00")
    assert db.session.get(Invoice, january.id).balance == Decimal("7999.00")
