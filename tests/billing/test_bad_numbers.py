"""Amounts and ids typed or put in a URL on the billing screens: a message or a 404, never a 500.

Manual payments (§3.2.1) and credit notes (§3.1.1) used to take `sNaN`, `Infinity`, `1e400` or 40 digits as
far as a 500, and full-width digits as plain ones; ids past 64 bits in the lists' filters and cursors failed
in the database.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import services
from saas.billing.models import CreditNote, Invoice, Payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOT_NUMBERS = ["sNaN", "NaN", "Infinity", "-Infinity", "1e400", "9" * 40, "１００", "100.005", "0x10"]
HUGE = "99999999999999999999"


@pytest.fixture
def january(db, world, make_signed_contract, clock):
    """Alpha's first client's January 2028 invoice of 3,000.00, issued."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2028, 1, 1))
    clock.set(datetime(2028, 2, 2, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 2, 2))
    db.session.commit()
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).first()


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_s3_2_1_a_manual_payment_of_no_amount_is_refused(client, db, world, january, value):
    client.sign_in(world.person("alpha", "vendor_billing").email)
    data = {"amount": value, "reference": "工行流水 001", "received_on": "2028-02-03"}
    response = client.post_form(f"/t/alpha/billing/{january.id}/payments", data, follow_redirects=True)
    assert response.status_code in (200, 422)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_s3_1_1_a_credit_note_of_no_amount_is_refused(client, db, world, january, value):
    client.sign_in(world.person("alpha", "vendor_billing").email)
    data = {"amount": value, "reason": "SLA credit"}
    response = client.post_form(f"/t/alpha/billing/{january.id}/credit-notes", data, follow_redirects=True)
    assert response.status_code in (200, 422)
    assert db.session.scalar(select(func.count(CreditNote.id))) == 0


def test_s3_2_1_full_width_digits_are_refused_with_a_message_in_chinese(client, db, world, january):
    client.sign_in(world.person("alpha", "vendor_billing").email)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    data = {"amount": "１００", "reference": "工行流水 002", "received_on": "2028-02-03"}
    page = client.post_form(f"/t/alpha/billing/{january.id}/payments", data, follow_redirects=True)
    assert "请使用半角数字 0-9" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_s7_1_billing_lists_with_ids_past_64_bits_answer(client, db, world, january):
    client.sign_in(world.person("alpha", "vendor_billing").email)
    for url in (
        f"/t/alpha/billing/?after={HUGE}",
        f"/t/alpha/billing/?client={HUGE}",
        f"/t/alpha/billing/{HUGE}",
        f"/t/alpha/billing/{2**31}/pdf/en",
    ):
        assert client.get(url).status_code in (200, 404), url
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.get(f"/t/alpha/portal/invoices/?after={HUGE}").status_code == 200
