"""One parser each for what people and machines send us: ids, amounts, dates, cursors, text and file names.

Bad input is a ValueError with a reason.

Every form field, URL argument, query cursor, API body and imported file goes through these, so a value
the database or Decimal cannot hold is refused with a message instead of failing later with a 500.
"""

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

#: The largest id a row can have (a 32-bit integer key): anything above is no row, not a database error.
MAX_ID = 2**31 - 1
#: Digits before the decimal point an amount may have: NUMERIC(18, 2) holds 16; a quadrillion is plenty.
MAX_AMOUNT_DIGITS = 15

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class InvalidAmount(ValueError):
    """An amount that is not a plain decimal number we can store exactly; `reason` says why, for people."""

    def __init__(self, reason: str, value=None):
        super().__init__(reason)
        self.reason, self.value = reason, value


def parse_id(value) -> int | None:
    """A row id from a URL, a form or a cursor: a positive integer that fits the key, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        ident = value
    else:
        text = str(value).strip() if value is not None else ""
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            return None
        ident = int(text)
    return ident if 0 < ident <= MAX_ID else None


def parse_amount(value, places: int = 2, max_digits: int = MAX_AMOUNT_DIGITS, negative: bool = True) -> Decimal:
    """A plain decimal number with at most `places` decimals and `max_digits` before the point.

    Refused, each with its reason: floats, NaN and infinities, exponents (1e400), full-width or other
    non-ASCII digits, more decimals than the currency has (never rounded silently), too many digits, and
    a negative amount where `negative` is False. Decimals are checked the same way as text.
    """
    if isinstance(value, float):
        raise InvalidAmount("float", value)
    if isinstance(value, bool):
        raise InvalidAmount("not_a_number", value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount("not_a_number", value)
        text = format(value, "f")
    else:
        text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidAmount("empty", value)
    if not text.isascii():
        raise InvalidAmount("non_ascii_digits", value)
    if not _PLAIN_NUMBER.fullmatch(text):
        raise InvalidAmount("not_a_number", value)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover (the pattern admits only plain numbers)
        raise InvalidAmount("not_a_number", value) from exc
    whole, _, decimals = text.lstrip("+-").partition(".")
    if len(decimals.rstrip("0")) > places:
        raise InvalidAmount("too_many_decimals", value)
    if len(whole.lstrip("0")) > max_digits:
        raise InvalidAmount("too_large", value)
    if amount < 0 and not negative:
        raise InvalidAmount("negative", value)
    return amount.quantize(Decimal(1).scaleb(-places)) if places >= 0 else amount


#: Years a date or time people or machines send us may have. Wide enough for any contract, cheque or log, narrow
#: enough that an offset or a term added to it never leaves what datetime and the databases can hold.
MIN_YEAR, MAX_YEAR = 1900, 2999


class InvalidDate(ValueError):
    """A date or time we cannot take; `reason` ("not_a_date", "out_of_range", "no_timezone") says why."""

    def __init__(self, reason: str, value=None):
        super().__init__(reason)
        self.reason, self.value = reason, value


class InvalidCursor(ValueError):
    """A keyset cursor this application did not give out."""


def _in_range(parsed, value):
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidDate("out_of_range", value)
    return parsed


def parse_date(value) -> date:
    """A calendar date, ISO 8601 (2026-01-31), in years MIN_YEAR..MAX_YEAR; a date object is checked the same way."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _in_range(value, value)
    text = str(value).strip() if value is not None else ""
    if not text.isascii():
        raise InvalidDate("not_a_date", value)
    try:
        parsed = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidDate("not_a_date", value) from exc
    return _in_range(parsed, value)


def parse_datetime(value, formats: tuple[str, ...] | list[str] = (), require_timezone: bool = False) -> datetime:
    """A time in ISO 8601 / RFC 3339 (or one of the strptime `formats`), in years MIN_YEAR..MAX_YEAR.

    A time with an offset comes back aware, in UTC; one without stays naive (a wall-clock time for the caller
    to place in a time zone), unless `require_timezone`, when it is refused.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip() if value is not None else ""
        if not text.isascii():
            raise InvalidDate("not_a_date", value)
        parsed = None
        for fmt in formats:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError as exc:
                raise InvalidDate("not_a_date", value) from exc
    _in_range(parsed, value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if require_timezone:
            raise InvalidDate("no_timezone", value)
        return parsed
    return parsed.astimezone(UTC)


_YEAR = re.compile(r"\d{4}")
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")


def parse_year(value) -> int:
    """A calendar year of four digits (2026), in MIN_YEAR..MAX_YEAR."""
    text = str(value).strip() if value is not None else ""
    if not _YEAR.fullmatch(text):
        raise InvalidDate("not_a_date", value)
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDate("out_of_range", value)
    return year


def parse_quarter(value) -> tuple[int, int]:
    """A calendar quarter, 2026-Q4 (or 2026Q4): (year, quarter 1–4), the year in MIN_YEAR..MAX_YEAR."""
    text = str(value).strip() if value is not None else ""
    match = _QUARTER.fullmatch(text)
    if match is None:
        raise InvalidDate("not_a_date", value)
    return parse_year(match.group(1)), int(match.group(2))


def parse_index(value) -> int | None:
    """A position counted from 0 (a billing period's index): a whole number 0..MAX_ID, else None."""
    if (type(value) is int and value == 0) or (isinstance(value, str) and value.strip() == "0"):
        return 0
    return parse_id(value)


def parse_cursor(value, timed: bool = False):
    """A keyset cursor: a row id ("42"), or with `timed` a time and an id ("<ISO time>|42", "~|42" for no time).

    Returns the id, or (aware time or None, id); anything else is an InvalidCursor.
    """
    text = str(value).strip() if value is not None else ""
    if not timed:
        ident = parse_id(text)
        if ident is None:
            raise InvalidCursor(text)
        return ident
    when_text, sep, id_text = text.rpartition("|")
    ident = parse_id(id_text)
    if not sep or ident is None:
        raise InvalidCursor(text)
    if when_text == "~":
        return None, ident
    try:
        return parse_datetime(when_text, require_timezone=True), ident
    except InvalidDate as exc:
        raise InvalidCursor(text) from exc


def parse_ranked_cursor(value) -> tuple[int, int] | None:
    """A keyset of a list ordered by a small rank, then id ("0-123": rank 0 or 1, a row id), or None when it is not one
    (a made-up or overlong value is the first page, never a query with a number no column holds)."""
    rank, sep, ident = (str(value).strip() if value is not None else "").partition("-")
    parsed = parse_id(ident)
    if not sep or rank not in ("0", "1") or parsed is None:
        return None
    return int(rank), parsed


#: Control characters (C0 but tab and line feed, DEL, C1), and what no text encoding can hold (lone surrogates).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value, multiline: bool = True) -> str:
    """Text without control characters: line breaks become \\n (or a space when not `multiline`), the rest go.

    What people type keeps every letter, in any script; what a spreadsheet, an HTTP header or a database
    cannot hold (NUL, \\x01, lone surrogates) never reaches them.
    """
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        return _CONTROL.sub("", text)
    return _CONTROL_OR_NEWLINE.sub("", text.replace("\n", " ").replace("\t", " "))


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def drop_control_characters(text: str) -> str:
    """Text without the control characters no text field needs (NUL, \\x01…, DEL, lone surrogates).

    Tabs and line breaks (CR too) stay as they came: this is for whatever a request carries, where a signed
    payment notice must keep its bytes; clean_text is for what is kept and shown.
    """
    return _UNSTORABLE.sub("", text)


def clean_json(value):
    """A parsed JSON document with drop_control_characters applied to every string, keys included."""
    if isinstance(value, str):
        return drop_control_characters(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    return value


#: Characters a file name may not have on any system we send it to (Windows is the strictest).
_NOT_IN_FILENAMES = re.compile(r'[\\/:*?"<>|]')
MAX_FILENAME = 255


def safe_filename(value, default: str = "file") -> str:
    """A file name fit to store and send back: letters of every script kept (报告.pdf), no path, no control chars.

    Unlike werkzeug's secure_filename, which keeps only ASCII, this only drops what is unsafe: path separators
    and the characters Windows refuses, control and other unprintable characters (a CR LF would forge a
    header, U+202E would show "exe.txt" for "txt.exe"), leading dots (hidden files, "..") and spaces; at most
    MAX_FILENAME characters, the extension kept.
    """
    text = unicodedata.normalize("NFC", clean_text(value, multiline=False))
    text = "".join(c if c.isprintable() else " " if c.isspace() else "" for c in text)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # a browser may send the client's full path
    text = " ".join(_NOT_IN_FILENAMES.sub("_", text).split()).strip(" .")
    if not text:
        return default
    if len(text) > MAX_FILENAME:
        stem, dot, extension = text.rpartition(".")
        extension = f".{extension}" if dot and stem and len(extension) <= 16 else ""
        text = (stem if extension else text)[: MAX_FILENAME - len(extension)].rstrip(" .") + extension
    return text


MAX_CONTENT_TYPE = 120


def safe_content_type(value) -> str:
    """An uploaded file's type as stored (the browser's word for it, so anyone's): one line, at most
    MAX_CONTENT_TYPE characters, application/octet-stream when none was given. Never trusted to serve the file."""
    text = clean_text(value, multiline=False).strip()[:MAX_CONTENT_TYPE]
    return text or "application/octet-stream"
