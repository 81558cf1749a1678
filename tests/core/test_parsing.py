"""The one parser for ids and the one for amounts: what they take and what they refuse, with a reason."""

from decimal import Decimal

import pytest

from saas.core.parsing import MAX_ID, InvalidAmount, parse_amount, parse_id


@pytest.mark.parametrize(("text", "expected"), [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID), (7, 7)])
def test_s7_1_parse_id_takes_row_ids(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", str(MAX_ID + 1), "9" * 20, "1.0", "１", "", None, "abc", True, 2**70])
def test_s7_1_parse_id_refuses_what_is_no_row(text):
    assert parse_id(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("100", "100.00"), ("0.5", "0.50"), ("-3.10", "-3.10"), (Decimal("12.3"), "12.30"), ("1.230", "1.23")],
)
def test_s3_1_parse_amount_takes_plain_numbers(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NaN", "not_a_number"),
        ("sNaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("1e400", "not_a_number"),
        (Decimal("NaN"), "not_a_number"),
        ("9" * 40, "too_large"),
        ("１００", "non_ascii_digits"),
        ("100.005", "too_many_decimals"),
        ("", "empty"),
        (1.5, "float"),
    ],
)
def test_s3_1_parse_amount_refuses_with_a_reason(text, reason):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text)
    assert caught.value.reason == reason


def test_s3_1_parse_amount_places_and_sign():
    assert parse_amount("0.1234", places=4) == Decimal("0.1234")
    with pytest.raises(InvalidAmount, match="negative"):
        parse_amount("-1", negative=False)
