"""Account numbers as banks print them (§3.2.1): one normal form to compare a statement's account with ours.

A statement names its account in many layouts: `0200 0012 1920 0012 345`, `ICBKCNBJ/0200001219200012345` (the
bank's BIC first), `UBRTHUHB/123456789150ABCDEF002/HUF` (the currency last), `1291.99.348EUR` (Rabobank: dots, the
currency glued on), an IBAN where the account was entered as its domestic number. Pure code, no database.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from babel.core import get_global
from stdnum import iban

#: SWIFT BIC: bank (4 letters), country (2), location (2), optional branch (3).
BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
#: Currencies offered first, in this order: those the product bills in.
FIRST = ("CNY", "HKD", "USD", "EUR", "JPY")


@cache
def currency_codes() -> tuple[str, ...]:
    """The ISO 4217 currencies in use today (legal tender in some territory, per the CLDR data Babel ships)."""
    territories = get_global("territory_currencies")
    current = {code for spans in territories.values() for code, _start, end, tender in spans if end is None and tender}
    return (*FIRST, *sorted(current - set(FIRST)))


@dataclass(frozen=True)
class AccountId:
    """An account as a statement names it: the number's letters and digits, the other forms it may be written in
    (the part after a bank code), and the currency when the name gives one."""

    number: str
    alternatives: frozenset[str]
    currency: str = ""


def parse(text: str) -> AccountId:
    """The normal form of a printed account: upper case, separators dropped, a leading BIC and a currency split off."""
    text = "".join(unicodedata.normalize("NFKC", text or "").upper().split())
    parts = [part for part in text.split("/") if part]
    currency = ""
    if len(parts) > 1 and parts[-1] in currency_codes():
        currency = parts.pop()
    if len(parts) > 1 and BIC.fullmatch(parts[0]):
        parts.pop(0)
    joined = _plain("".join(parts))
    last = _plain(parts[-1]) if parts else ""
    glued = re.fullmatch(r"(.*\d)([A-Z]{3})", joined)
    if not currency and glued and glued.group(2) in currency_codes() and not iban.is_valid(joined):
        # 1291.99.348EUR: the currency written straight after the number (an IBAN of Seychelles ends in one).
        joined, currency = glued.group(1), glued.group(2)
        last = last[:-3] if last.endswith(currency) else last
    return AccountId(joined, frozenset(n for n in (joined, last) if n), currency)


def _plain(text: str) -> str:
    """Letters and digits only: dots, hyphens and spaces are for reading."""
    return re.sub(r"[^0-9A-Z]", "", text)


def same_account(printed: str, number: str, currency: str) -> bool:
    """Whether a statement's account (as printed) is our account `number` in `currency`.

    The numbers must be the same once normalised, or one the IBAN of the other (its domestic number after the
    country and check digits). A currency the statement names must be the account's: a bank may keep accounts of
    several currencies under one number.
    """
    named, ours = parse(printed), parse(number).number
    if not ours or (named.currency and currency and named.currency != currency.upper()):
        return False
    return ours in named.alternatives or any(_iban_of(a, ours) or _iban_of(ours, a) for a in named.alternatives)


def _iban_of(candidate: str, domestic: str) -> bool:
    return len(candidate) > 4 and candidate[4:] == domestic and iban.is_valid(candidate)
