"""§3.2.2 cheques through the screens: recorded, deposited, cleared (the invoice is paid), bounced (it owes again)."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.payments_cheque.models import ChequeStatus
from saas.billing import payments
from saas.billing.models import InvoiceStatus, Payment, PaymentAllocation, PaymentStatus
from saas.core.models import AuditEvent
from tests.plugins.payments_cheque.flow import BASE, cheque_data, cheques, record, step


def allocations(db, invoice):
    return db.session.scalars(
        select(PaymentAllocation.amount)
        .where(PaymentAllocation.invoice_id == invoice.id)
        .order_by(PaymentAllocation.id)
    ).all()


def test_s3_2_2_a_cheque_cleared_pays_the_invoice_a_later_bounce_reopens_it_and_a_second_cheque_pays_it_again(
    db, world, invoices, staff
):
    january, february = invoices
    client = world.clients("alpha")[0]
    assert staff.get(f"{BASE}/new").status_code == 200

    first = record(staff, db, cheque_data(client, january, number="1020 3040"))
    assert (first.status, first.number, first.amount) == (ChequeStatus.RECEIVED, "10203040", Decimal("8000.00"))
    assert (first.payment.provider, first.payment.reference) == ("payments_cheque", "中国工商银行北京海淀支行 10203040")
    assert first.payment.status == PaymentStatus.PENDING
    db.session.refresh(january)
    assert (january.status, january.balance) == (InvoiceStatus.ISSUED, Decimal("8000.00"))  # no money yet
    page = staff.get(f"{BASE}/{first.id}").get_data(as_text=True)
    assert "Mark deposited" in page and "Mark cleared" not in page

    assert step(staff, first, "deposit", on="2028-03-04", bank="招商银行北京分行").status_code == 302
    assert step(staff, first, "clear", on="2028-03-06").status_code == 302
    db.session.expire_all()
    assert first.status == ChequeStatus.CLEARED and first.payment.status == PaymentStatus.SUCCEEDED
    assert (january.status, january.balance) == (InvoiceStatus.PAID, Decimal("0.00"))  # paid exactly
    assert allocations(db, january) == [Decimal("8000.00")]
    assert payments.credit_balance(client.id, "CNY") == Decimal("0.00")
    assert february.balance == Decimal("8000.00")

    # The bank returns the cheque after it cleared: the payment is reversed, the invoice owes again.
    assert step(staff, first, "bounce", on="2028-03-09", reason="付款行退票：签章与预留印鉴不符").status_code == 302
    db.session.expire_all()
    assert first.status == ChequeStatus.BOUNCED and first.payment.status == PaymentStatus.REVERSED
    assert (january.status, january.balance) == (InvoiceStatus.ISSUED, Decimal("8000.00"))
    assert allocations(db, january) == [Decimal("8000.00"), Decimal("-8000.00")]  # written as new rows
    page = staff.get(f"{BASE}/{first.id}").get_data(as_text=True)
    history = page.split('data-testid="cheque-history"')[1].split("</ol>")[0]
    for expected in (
        "2028-03-03",
        "2028-03-04",
        "招商银行北京分行",
        "2028-03-06",
        "2028-03-09",
        "付款行退票：签章与预留印鉴不符",
        world.person("alpha", "vendor_billing").name,
    ):
        assert expected in history
    assert 'data-testid="cheque-steps"' not in page  # a bounced cheque goes nowhere

    # A replacement cheque pays it again.
    second = record(
        staff, db, cheque_data(client, january, number="10203041", cheque_date="2028-03-10", received_on="2028-03-10")
    )
    step(staff, second, "deposit", on="2028-03-10")
    step(staff, second, "clear", on="2028-03-10")
    db.session.expire_all()
    assert (january.status, january.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert allocations(db, january) == [Decimal("8000.00"), Decimal("-8000.00"), Decimal("8000.00")]
    invoice_page = staff.get(f"/t/alpha/billing/{january.id}").get_data(as_text=True)
    assert "中国工商银行北京海淀支行 10203040" in invoice_page and "中国工商银行北京海淀支行 10203041" in invoice_page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("payments_cheque.")).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "payments_cheque.recorded",
        "payments_cheque.deposited",
        "payments_cheque.cleared",
        "payments_cheque.bounced",
        "payments_cheque.recorded",
        "payments_cheque.deposited",
        "payments_cheque.cleared",
    ]


def test_s3_2_2_a_cheque_bounced_before_clearing_fails_its_payment_and_never_touches_the_invoice(
    db, world, invoices, staff
):
    january, _february = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january))
    step(staff, cheque, "deposit", on="2028-03-04")
    assert step(staff, cheque, "bounce", on="2028-03-07", reason="出票人账户余额不足").status_code == 302
    db.session.expire_all()
    assert cheque.status == ChequeStatus.BOUNCED and cheque.payment.status == PaymentStatus.FAILED
    assert (january.status, january.balance) == (InvoiceStatus.ISSUED, Decimal("8000.00"))
    assert db.session.scalar(select(func.count(PaymentAllocation.id))) == 0
    with pytest.raises(payments.PaymentError):
        payments.succeed(cheque.payment)  # a failed payment never counts
    db.session.rollback()


def test_s3_2_2_a_cheque_for_no_invoice_pays_the_oldest_first_the_rest_is_credit_and_a_bounce_takes_it_all_back(
    db, world, invoices, staff
):
    january, february = invoices
    client = world.clients("alpha")[0]
    cheque = record(staff, db, cheque_data(client, amount="17000.00"))
    step(staff, cheque, "deposit", on="2028-03-04")
    step(staff, cheque, "clear", on="2028-03-05")
    db.session.expire_all()
    assert [i.status for i in (january, february)] == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert payments.credit_balance(client.id, "CNY") == Decimal("1000.00")
    step(staff, cheque, "bounce", on="2028-03-08", reason="退票")
    db.session.expire_all()
    assert [(i.status, i.balance) for i in (january, february)] == [
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
        (InvoiceStatus.ISSUED, Decimal("8000.00")),
    ]
    assert payments.credit_balance(client.id, "CNY") == Decimal("0.00")
    assert cheque.fee_contract_id is None  # no fee set: nothing to bill


@pytest.mark.parametrize(
    ("status_path", "action", "data", "message"),
    [
        ([], "clear", {"on": "2028-03-05"}, "The cheque is “Received”: it cannot become “Cleared”."),
        ([], "bounce", {"on": "2028-03-05", "reason": "x"}, "The cheque is “Received”: it cannot become “Bounced”."),
        (["deposit"], "deposit", {"on": "2028-03-05"}, "This cheque was already deposited."),
        (
            ["deposit", "clear"],
            "deposit",
            {"on": "2028-03-05"},
            "The cheque is “Cleared”: it cannot become “Deposited”.",
        ),
        (["deposit", "bounce"], "clear", {"on": "2028-03-05"}, "The cheque is “Bounced”: it cannot become “Cleared”."),
        (
            ["deposit", "bounce"],
            "bounce",
            {"on": "2028-03-05", "reason": "x"},
            "This cheque was already marked bounced.",
        ),
    ],
)
def test_s3_2_2_transitions_that_are_not_allowed_are_refused(
    db, world, invoices, staff, status_path, action, data, message
):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january))
    for done in status_path:
        assert step(staff, cheque, done, on="2028-03-04", reason="退票").status_code == 302
    db.session.expire_all()
    before = (cheque.status, cheque.payment.status, january.balance)
    before_allocations = allocations(db, january)
    response = step(staff, cheque, action, **data)
    assert response.status_code == 302
    assert message in staff.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert (cheque.status, cheque.payment.status, january.balance) == before
    assert allocations(db, january) == before_allocations


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("deposit", {"on": "2028-03-02"}, "This date is before the cheque&#39;s previous step (2028-03-03)."),
        ("deposit", {"on": "2028-03-11"}, "This date is in the future."),
        ("deposit", {"on": ""}, "This field is required."),
        ("bounce", {"on": "2028-03-05", "reason": ""}, "This field is required."),
    ],
)
def test_s3_2_2_a_step_with_a_bad_date_or_no_reason_is_shown_again_with_the_error(
    db, world, invoices, staff, action, data, message
):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january, cheque_date="2028-03-01"))
    if action == "bounce":
        step(staff, cheque, "deposit", on="2028-03-04")
    response = step(staff, cheque, action, **data)
    assert response.status_code == 422
    assert f'<p class="error" role="alert">{message}</p>' in response.get_data(as_text=True)
    db.session.expire_all()
    assert cheque.status == (ChequeStatus.DEPOSITED if action == "bounce" else ChequeStatus.RECEIVED)


def test_s3_2_2_a_cheque_is_not_deposited_before_its_date(db, world, invoices, staff):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january, cheque_date="2028-03-08"))
    response = step(staff, cheque, "deposit", on="2028-03-05")
    assert response.status_code == 422
    assert "A cheque cannot be deposited before its date (2028-03-08)." in response.get_data(as_text=True)
    assert step(staff, cheque, "deposit", on="2028-03-08").status_code == 302


def test_s3_2_2_the_same_bank_and_number_twice_is_refused(db, world, invoices, staff):
    january, february = invoices
    client = world.clients("alpha")[0]
    record(staff, db, cheque_data(client, january))
    again = staff.post_form(f"{BASE}/new", cheque_data(client, february))
    assert again.status_code == 422
    body = again.get_data(as_text=True)
    assert "Cheque 10203040 of 中国工商银行北京海淀支行 is already in the register (received on 2028-03-03)." in body
    spaced = staff.post_form(
        f"{BASE}/new", cheque_data(client, february, number="1020 3040", drawee_bank=" 中国工商银行北京海淀支行 ")
    )
    assert spaced.status_code == 422
    assert len(cheques(db)) == 1 and db.session.scalar(select(func.count(Payment.id))) == 1
    # the same number of another bank is another cheque
    other = record(staff, db, cheque_data(client, february, drawee_bank="中国银行上海分行"))
    assert other.payment.reference == "中国银行上海分行 10203040"
    assert len(cheques(db)) == 2


def test_s3_2_2_a_refused_cheque_form_keeps_what_was_typed(db, world, invoices, staff):
    january, _ = invoices
    client, other_client = world.clients("alpha")
    cases = [
        ({"amount": "abc"}, "amount", "Enter a plain number such as 1234.56."),
        ({"amount": "0"}, "amount", "Number must be between 0.01 and 1000000000000."),
        ({"number": "12"}, "number", "Use 4 to 20 digits or letters, as printed on the cheque."),
        ({"drawer_name": ""}, "drawer_name", "This field is required."),
        ({"client_id": "0"}, "client_id", "Choose a client."),
        ({"client_id": str(other_client.id)}, "invoice_id", "Choose one of this client&#39;s open invoices, or none."),
        ({"currency": "USD"}, "currency", "The invoice is in CNY: a cheque for it is too."),
        ({"received_on": "2028-03-11"}, "received_on", "A cheque cannot be received after today."),
    ]
    for overrides, _field, message in cases:
        typed = {"number": "55667788", "drawer_account": "6222 0000 1111", **overrides}
        response = staff.post_form(f"{BASE}/new", cheque_data(client, january, **typed))
        body = response.get_data(as_text=True)
        assert response.status_code == 422, overrides
        assert f'<p class="error" role="alert">{message}</p>' in body, overrides
        if "number" not in overrides:
            assert 'value="55667788"' in body  # nothing typed is lost
        assert 'value="62220000111' in body or "drawer_account" in overrides
    assert cheques(db) == [] and db.session.scalar(select(func.count(Payment.id))) == 0


def test_s3_2_2_the_invoice_choice_follows_the_client(db, world, invoices, staff):
    january, february = invoices
    client, other_client = world.clients("alpha")
    fragment = staff.get(f"{BASE}/new/invoices?client_id={client.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="invoice-field"' in body
    assert f'value="{january.id}"' in body and f'value="{february.id}"' in body and "INV-2028-000001" in body
    assert "8,000.00" in body
    for foreign in (other_client.id, world.clients("beta")[0].id, 999999):
        body = staff.get(f"{BASE}/new/invoices?client_id={foreign}", headers={"HX-Request": "true"}).get_data(
            as_text=True
        )
        assert "INV-" not in body
    page = staff.get(f"{BASE}/new?client_id={client.id}").get_data(as_text=True)
    assert "INV-2028-000002" in page and 'hx-get="/t/alpha/p/payments_cheque/new/invoices"' in page


def test_s3_2_2_a_double_click_on_cleared_credits_once(db, world, invoices, staff):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january, amount="9000.00"))
    step(staff, cheque, "deposit", on="2028-03-04")
    assert step(staff, cheque, "clear", on="2028-03-05").status_code == 302
    again = step(staff, cheque, "clear", on="2028-03-05")
    assert "This cheque was already cleared." in staff.get(again.location).get_data(as_text=True)
    db.session.expire_all()
    assert allocations(db, january) == [Decimal("8000.00")]
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("1000.00")


def test_s3_2_2_two_people_clearing_the_same_cheque_at_once_credit_once(db, app, world, invoices, staff):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january, amount="9000.00"))
    step(staff, cheque, "deposit", on="2028-03-04")
    url = f"{BASE}/{cheque.id}/clear"  # read here: the threads must not touch this session
    db.session.commit()
    people = []
    for role in ("vendor_billing", "vendor_admin"):
        browser = app.test_client()
        browser.sign_in(world.person("alpha", role).email)
        people.append((browser, browser.csrf_token()))
    barrier, answers = threading.Barrier(2, timeout=10), []

    def press(browser, token):
        barrier.wait()
        answers.append(browser.post(url, data={"on": "2028-03-05", "csrf_token": token}))

    threads = [threading.Thread(target=press, args=person) for person in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [302, 302]
    db.session.expire_all()
    assert allocations(db, january) == [Decimal("8000.00")]
    assert payments.credit_balance(january.client_id, "CNY") == Decimal("1000.00")
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payments_cheque.cleared")) == 1
    )


def test_s3_2_2_the_register_filters_by_status_and_client_and_pages_by_keyset(db, world, invoices, staff):
    january, _ = invoices
    client = world.clients("alpha")[0]
    for n in range(27):
        record(staff, db, cheque_data(client, None, number=f"7700{n:04d}", amount="10.00"))
    bounced = cheques(db)[0]
    step(staff, bounced, "deposit", on="2028-03-04")
    step(staff, bounced, "bounce", on="2028-03-04", reason="退票")
    page = staff.get(f"{BASE}/").get_data(as_text=True)
    assert page.count('data-testid="cheque-row"') == 25 and "77000026" in page and "77000001" not in page
    more = staff.get(f"{BASE}/?after={cheques(db)[2].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert more.count('data-testid="cheque-row"') == 2 and "<html" not in more and "77000000" in more
    only_bounced = staff.get(f"{BASE}/?status=bounced").get_data(as_text=True)
    assert only_bounced.count('data-testid="cheque-row"') == 1 and "77000000" in only_bounced
    other_client = staff.get(f"{BASE}/?client={world.clients('alpha')[1].id}").get_data(as_text=True)
    assert "No cheques match." in other_client


@pytest.mark.parametrize("role", ["vendor_engineer", "client_admin", "client_user", "third_party"])
def test_s3_2_2_only_billing_staff_and_admins_keep_the_register(db, client, world, invoices, role):
    client.sign_in(world.person("alpha", role).email)
    for url in (f"{BASE}/", f"{BASE}/new", f"{BASE}/new/invoices"):
        assert client.get(url).status_code == 403
    assert client.post_form(f"{BASE}/new", cheque_data(world.clients("alpha")[0])).status_code == 403
    assert cheques(db) == []
