"""One parser each for what people and machines send us: ids, amounts. Bad input is a ValueError with a reason.

Every form field, URL argument, query cursor, API body and imported file goes through these, so a value
the database or Decimal cannot hold is refused with a message instead of failing later with a 500.
"""

import re
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
