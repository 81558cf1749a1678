"""The parsers of ids, amounts, dates, cursors, text and file names: what they take and what they refuse, and why."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from saas.core.parsing import (
    MAX_ID,
    InvalidAmount,
    InvalidCursor,
    InvalidDate,
    clean_text,
    parse_amount,
    parse_cursor,
    parse_date,
    parse_datetime,
    parse_id,
    safe_filename,
)


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
def test_s3_1_1_parse_amount_takes_plain_numbers(text, expected):
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
def test_s3_1_1_parse_amount_refuses_with_a_reason(text, reason):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text)
    assert caught.value.reason == reason


def test_s3_1_1_parse_amount_places_and_sign():
    assert parse_amount("0.1234", places=4) == Decimal("0.1234")
    with pytest.raises(InvalidAmount, match="negative"):
        parse_amount("-1", negative=False)


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "２０２６-01-01", "x", ""])
def test_s7_1_parse_date_refuses_what_is_no_date_we_can_use(text):
    with pytest.raises(InvalidDate):
        parse_date(text)


def test_s7_1_parse_date_and_datetime_take_ordinary_times():
    assert parse_date("2026-01-31") == date(2026, 1, 31)
    assert parse_datetime("2026-11-02T00:58:00.123456789Z") == datetime(2026, 11, 2, 0, 58, 0, 123456, tzinfo=UTC)
    assert parse_datetime("2026-11-02T08:58+08:00") == datetime(2026, 11, 2, 0, 58, tzinfo=UTC)
    assert parse_datetime("2026-11-02 09:50", formats=["%Y-%m-%d %H:%M"]) == datetime(2026, 11, 2, 9, 50)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9999-12-31T23:59:59-12:00", "out_of_range"),
        ("0001-01-01T00:00", "out_of_range"),
        ("2026-11-02T09:50", "no_timezone"),
        ("yesterday", "not_a_date"),
    ],
)
def test_s7_1_parse_datetime_refuses_with_a_reason(text, reason):
    with pytest.raises(InvalidDate) as caught:
        parse_datetime(text, require_timezone=True)
    assert caught.value.reason == reason


def test_s7_1_parse_cursor_takes_the_cursors_the_lists_give_out():
    assert parse_cursor("42") == 42
    assert parse_cursor("~|7", timed=True) == (None, 7)
    assert parse_cursor("2026-11-02T01:00:00+00:00|7", timed=True) == (datetime(2026, 11, 2, 1, tzinfo=UTC), 7)
    for made_up in ("", "-1", "9" * 20, "x|1", "0001-01-01T00:00+14:00|1", "2026-11-02T01:00|1", "~|"):
        with pytest.raises(InvalidCursor):
            parse_cursor(made_up, timed="|" in made_up)


def test_s7_1_clean_text_and_safe_filename():
    assert clean_text("ERP\x01 无法\r\n登录\x00") == "ERP 无法\n登录"
    assert clean_text("a\nb", multiline=False) == "a b"
    assert safe_filename("a\r\nX-Injected: 1.txt") == "a X-Injected_ 1.txt"
    assert safe_filename("C:\\Users\\王\\故障日志.log") == "故障日志.log"
    assert safe_filename("../..") == "file" and safe_filename("\u202etxt.exe") == "txt.exe"
    assert len(safe_filename("长" * 300 + ".pdf")) == 255 and safe_filename("长" * 300 + ".pdf").endswith("长.pdf")
