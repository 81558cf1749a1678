"""Money is Decimal, quantised to the currency's minor unit with ROUND_HALF_UP before it is stored or shown."""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import format_currency, get_currency_precision


def round_half_up(value, places: int = 2) -> Decimal:
    """Round a Decimal half-up to a number of places (quantities, rates); floats are refused."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal, an int or a string")
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def quantize(amount, currency: str) -> Decimal:
    """Round an amount half-up to the currency's minor unit; floats are refused."""
    return round_half_up(amount, minor_unit_places(currency))


@cache
def minor_unit_places(currency: str) -> int:
    """Decimal places of a currency's minor unit (CNY 2, JPY 0); Babel's lookup is slow for a hot loop."""
    return get_currency_precision(currency)


def format_money(amount, currency: str, locale: str) -> str:
    """Format an amount for people. Babel would round half-even, so round half-up first."""
    return format_currency(quantize(amount, currency), currency, locale=locale)


def percent_text(rate: Decimal) -> str:
    """A rate as people read it in percent: "10" for 0.1000, "12.5" for 0.1250."""
    return f"{(rate * 100).normalize():f}"
