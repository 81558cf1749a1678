"""Numbers people type into the contract screens: refused with a message in their language, never a 500.

The penalty rate (§8.2) and the fee lines of an amendment (§10.2) used to take `sNaN`, `Infinity`, `1e400`
or 40 digits (a 500 in validation or when changes.py rounded them) and full-width digits as plain ones.
"""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from saas.contracts.models import ContractChange

NOT_NUMBERS = ["sNaN", "NaN", "Infinity", "-Infinity", "1e400", "9" * 40, "１００"]


@pytest.fixture
def in_force(world, make_contract, signed_by_both):
    """Alpha's first client's contract, signed by both parties."""
    contract = make_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2026, 1, 31),
        lines=[("REMOTE", "1", "3000.00")],
        term_years=2,
    )
    signed_by_both(contract)
    return contract


def form_fields(html: str) -> dict:
    """The values a browser would send back from a form page (buttons and the other forms left out)."""
    fields = dict(re.findall(r'name="([a-z_]+(?:-\d+-[a-z_]+)?)"[^>]*value="([^"]*)"', html))
    for key in ("csrf_token", "add_line", "lang", "next"):
        fields.pop(key, None)
    return fields


def amendment_form(client, contract) -> dict:
    fields = form_fields(client.get(f"/t/alpha/contracts/{contract.id}/amend").get_data(as_text=True))
    fields.update(
        {"effective_date": "2026-08-01", "reason": "x", "lines-0-service_id": str(contract.lines[0].service_id)}
    )
    return {
        k: v
        for k, v in fields.items()
        if not k.startswith("lines-") or k.endswith(("service_id", "description", "quantity", "monthly_fee"))
    }


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("field", ["lines-0-quantity", "lines-0-monthly_fee", "penalty_rate"])
def test_s10_2_an_amendment_with_a_number_that_is_none_is_refused_with_a_message(
    client, db, world, in_force, field, value
):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = {**amendment_form(client, in_force), field: value}
    response = client.post_form(f"/t/alpha/contracts/{in_force.id}/amend", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This number is too large." in page or "Enter a plain number" in page or "digits 0-9" in page
    assert db.session.scalar(select(func.count(ContractChange.id))) == 0


def test_s10_2_an_amendment_quantity_has_a_maximum(client, db, world, in_force):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = {**amendment_form(client, in_force), "lines-0-quantity": "1000000", "lines-0-monthly_fee": "1.00"}
    assert client.post_form(f"/t/alpha/contracts/{in_force.id}/amend", data).status_code == 200
    assert db.session.scalar(select(func.count(ContractChange.id))) == 0


@pytest.mark.parametrize("value", NOT_NUMBERS + ["0.12345"])
def test_s8_2_the_default_penalty_rate_refuses_what_is_no_rate(client, db, world, value):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = form_fields(client.get("/t/alpha/contracts/defaults").get_data(as_text=True))
    response = client.post_form("/t/alpha/contracts/defaults", {**data, "penalty_rate": value})
    assert response.status_code == 200 and "Saved." not in response.get_data(as_text=True)


def test_s8_2_full_width_digits_are_refused_in_the_readers_language(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    data = form_fields(client.get("/t/alpha/contracts/defaults").get_data(as_text=True))
    page = client.post_form("/t/alpha/contracts/defaults", {**data, "penalty_rate": "０.１"}).get_data(as_text=True)
    assert "请使用半角数字 0-9" in page


def test_s7_1_a_document_id_past_64_bits_is_not_found(client, db, world, in_force):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    for url in (
        f"/t/alpha/contracts/{in_force.id}/documents/99999999999999999999",
        f"/t/alpha/contracts/{in_force.id}/documents/4294967296/pdf",
        f"/t/alpha/portal/contracts/{in_force.id}/documents/99999999999999999999",
    ):
        assert client.get(url).status_code in (403, 404), url
