"""Money is Decimal, quantised to the currency's minor unit with ROUND_HALF_UP before it is stored or shown."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency: 0.01 for CNY, 1 for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def quantize(amount, currency: str) -> Decimal:
    """Round an amount half-up to the currency's minor unit; floats are refused."""
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal, an int or a string")
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def format_money(amount, currency: str, locale: str) -> str:
    """Format an amount for people. Babel would round half-even, so round half-up first."""
    return format_currency(quantize(amount, currency), currency, locale=locale)
