"""§3.2.2 cheques: an amount or a bounce fee that is no number is refused with a message, never a 500."""

import pytest
from sqlalchemy import func, select

from saas.billing.models import Payment
from saas.core.tenants import plugin_settings
from tests.plugins.payments_cheque.flow import BASE, cheque_data, cheques

NOT_NUMBERS = ["sNaN", "NaN", "Infinity", "1e400", "9" * 40, "１００", "100.005"]
SETTINGS = "/t/alpha/plugins/payments_cheque/settings"


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_s3_2_2_a_cheque_amount_that_is_no_amount_is_refused(db, world, invoices, staff, value):
    january, _ = invoices
    response = staff.post_form(f"{BASE}/new", cheque_data(world.clients("alpha")[0], january, amount=value))
    assert response.status_code == 422
    assert 'role="alert">' in response.get_data(as_text=True)
    assert cheques(db) == [] and db.session.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_s3_2_2_a_bounce_fee_that_is_no_amount_is_refused(db, client, world, enable_plugin, value):
    enable_plugin(world.tenant("alpha"), "payments_cheque")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = {"payee": "北京阿尔法信息技术有限公司", "deposit_bank": "", "bounce_fee": value, "instructions": ""}
    response = client.post_form(SETTINGS, data)
    assert response.status_code == 200 and 'role="alert">' in response.get_data(as_text=True)
    assert plugin_settings(world.tenant("alpha"), "payments_cheque") == {}


def test_s3_2_2_full_width_digits_are_refused_not_read_as_one_hundred(db, world, invoices, staff):
    january, _ = invoices
    response = staff.post_form(f"{BASE}/new", cheque_data(world.clients("alpha")[0], january, amount="８０００"))
    assert "full-width digits" in response.get_data(as_text=True)
    assert cheques(db) == []


def test_s7_1_cheque_lists_with_ids_past_64_bits_answer(db, world, invoices, staff):
    huge = "99999999999999999999"
    for url in (f"{BASE}/?after={huge}", f"{BASE}/?client={huge}", f"{BASE}/new?client_id={huge}", f"{BASE}/{huge}"):
        assert staff.get(url).status_code in (200, 404), url
