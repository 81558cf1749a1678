"""Property-based tests (Hypothesis) of saas.core.parsing: whatever arrives, each parser answers or refuses.

For any text, parse_amount returns a Decimal that fits or raises InvalidAmount (never InvalidOperation,
OverflowError, …); parse_id returns an id that fits the key or None; parse_date and parse_datetime stay in
their years or raise InvalidDate; cursors, text and file names the same. Valid values round-trip.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from saas.core.parsing import (
    MAX_AMOUNT_DIGITS,
    MAX_FILENAME,
    MAX_ID,
    MAX_YEAR,
    MIN_YEAR,
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

#: Every property test: a few hundred inputs each, no deadline (the CI machine is shared).
many = settings(max_examples=300, deadline=None)

#: Text as people and machines send it: anything, plus the shapes that used to get through.
NASTY = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "sNaN",
            "NaN",
            "-nan",
            "Infinity",
            "-inf",
            "1e400",
            "1E+999999",
            "9" * 40,
            "１００",
            "٣",
            "0x10",
            "1_000",
            " 1 ",
            "+.5",
            "-0",
            "1.",
            ".",
            "",
            "\x00",
            "1\n",
            "²",
        ]
    ),
    st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,6})?", fullmatch=True),
)
AMOUNTS = st.decimals(
    min_value=Decimal(-(10**15) + 1), max_value=Decimal(10**15 - 1), places=2, allow_nan=False, allow_infinity=False
)


@many
@given(NASTY, st.integers(min_value=0, max_value=6), st.booleans())
@example("sNaN", 2, True)
def test_s3_1_1_parse_amount_only_ever_refuses_with_invalid_amount(text, places, negative):
    try:
        amount = parse_amount(text, places=places, negative=negative)
    except InvalidAmount as exc:
        assert exc.reason in {
            "empty",
            "not_a_number",
            "non_ascii_digits",
            "too_many_decimals",
            "too_large",
            "negative",
            "float",
        }
        return
    assert amount.is_finite() and amount == amount.quantize(Decimal(1).scaleb(-places))
    assert len(str(abs(amount).to_integral_value(rounding="ROUND_DOWN")).lstrip("0")) <= MAX_AMOUNT_DIGITS
    assert negative or amount >= 0


@many
@given(AMOUNTS)
def test_s3_1_1_parse_amount_round_trips_what_it_would_store(amount):
    assert parse_amount(str(amount)) == amount
    assert parse_amount(format(amount, "f")) == amount
    assert parse_amount(amount) == amount


@many
@given(st.one_of(NASTY, st.integers(), st.none(), st.booleans(), st.floats()))
def test_s7_1_parse_id_is_an_id_that_fits_the_key_or_none(value):
    ident = parse_id(value)
    assert ident is None or (type(ident) is int and 0 < ident <= MAX_ID)


@many
@given(st.integers(min_value=1, max_value=MAX_ID))
def test_s7_1_parse_id_round_trips_every_id(ident):
    assert parse_id(str(ident)) == ident == parse_id(ident) == parse_cursor(str(ident))


@many
@given(st.one_of(NASTY, st.dates().map(date.isoformat), st.datetimes().map(datetime.isoformat)))
def test_s7_1_parse_date_stays_in_its_years_or_refuses(text):
    try:
        day = parse_date(text)
    except InvalidDate:
        return
    assert MIN_YEAR <= day.year <= MAX_YEAR


@many
@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_s7_1_parse_date_round_trips(day):
    assert parse_date(day.isoformat()) == day


OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@many
@given(st.one_of(NASTY, st.datetimes(timezones=st.one_of(st.none(), OFFSETS)).map(datetime.isoformat)), st.booleans())
@example("9999-12-31T23:59:59-12:00", True)
@example("0001-01-01T00:00:00+14:00", True)
def test_s7_1_parse_datetime_never_overflows(text, require_timezone):
    try:
        when = parse_datetime(text, require_timezone=require_timezone)
    except InvalidDate:
        return
    assert MIN_YEAR - 1 <= when.year <= MAX_YEAR + 1
    if when.tzinfo is not None:
        assert when.utcoffset() == timedelta(0)
        when.astimezone(timezone(timedelta(hours=14)))  # and any zone it is shown in
    else:
        assert not require_timezone


@many
@given(st.datetimes(min_value=datetime(MIN_YEAR, 1, 2), max_value=datetime(MAX_YEAR, 12, 30), timezones=OFFSETS))
def test_s7_1_parse_datetime_round_trips_aware_times_in_utc(when):
    assert parse_datetime(when.isoformat(), require_timezone=True) == when.astimezone(UTC)


@many
@given(st.one_of(NASTY, st.builds(lambda t, i: f"{t.isoformat()}|{i}", st.datetimes(timezones=OFFSETS), st.integers())))
def test_s7_1_parse_cursor_is_a_cursor_or_invalid_cursor(text):
    for timed in (False, True):
        try:
            cursor = parse_cursor(text, timed=timed)
        except InvalidCursor:
            continue
        ident = cursor[1] if timed else cursor
        assert 0 < ident <= MAX_ID


@many
@given(st.text(), st.booleans())
def test_s7_1_clean_text_keeps_letters_and_drops_control_characters(text, multiline):
    cleaned = clean_text(text, multiline=multiline)
    assert all(c in "\n\t" and multiline or not (ord(c) < 32 or 127 <= ord(c) < 160) for c in cleaned)
    cleaned.encode("utf-8")  # no lone surrogates: every database and file can hold it
    assert clean_text(cleaned, multiline=multiline) == cleaned
    letters = [c for c in text if c.isalnum()]
    assert [c for c in cleaned if c.isalnum()] == letters


@many
@given(st.text())
@example("a\r\nX-Injected: 1.txt")
@example("../../etc/passwd")
@example("报告" * 200 + ".pdf")
def test_s7_1_safe_filename_is_one_name_fit_for_any_header_or_disk(name):
    safe = safe_filename(name)
    assert safe and len(safe) <= MAX_FILENAME
    assert not any(c in safe for c in '/\\:*?"<>|') and not safe.startswith(".") and safe == safe.strip()
    assert all(c.isprintable() for c in safe)
    assert safe_filename(safe) == safe


@many
@given(
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=100),
    st.sampled_from(["pdf", "txt", "log", "xlsx"]),
)
def test_s7_1_safe_filename_keeps_chinese_names(stem, extension):
    name = f"{stem}.{extension}"
    assert safe_filename(name) == __import__("unicodedata").normalize("NFC", name)
