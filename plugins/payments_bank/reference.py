"""The payment reference of an invoice (§3.2.1): an ISO 11649 creditor reference made from its number.

INV-2026-000123 → body 2026000123 → RF.. 2026 0001 23. Nothing is stored: the reference is computed from
the invoice number (unique per tenant), and its two check digits catch a mistyped reference.
"""

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

#: An invoice number as issued by billing (INV-<year>-<sequence>), also as people type it ("inv 2026 000123").
INVOICE_NUMBER = re.compile(r"INV[\s\-_]?(\d{4})[\s\-_]?(\d{6,9})(?!\d)", re.IGNORECASE)
#: "RF" and two check digits, then the body, which people may write in groups of four.
RF_START = re.compile(r"RF\s?(\d\d)\s?", re.IGNORECASE)
BODY_CHARS = re.compile(r"(?:\s?[0-9A-Za-z]){1,21}")
#: A body billing can issue: the year, then the sequence in six digits (more only past 999999, never 0-padded).
ISSUED_BODY = re.compile(r"\d{4}(?:\d{6}|[1-9]\d{6,8})")


def body_of(invoice_number: str) -> str:
    """The reference's body: the invoice number's digits (INV-2026-000123 → 2026000123)."""
    return re.sub(r"\D", "", invoice_number)


def creditor_reference(invoice_number: str) -> str:
    """The invoice's RF reference, compact (RF472026000123)."""
    body = body_of(invoice_number)
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def printed(invoice_number: str) -> str:
    """The reference as printed, in groups of four (RF47 2026 0001 23)."""
    return iso11649.format(creditor_reference(invoice_number))


def invoice_number_of(reference: str) -> str | None:
    """The invoice number a valid RF reference was made from, or None (bad check digits, not one of ours)."""
    try:
        compact = iso11649.validate(reference)
    except Exception:  # noqa: BLE001 (stdnum raises several ValidationError kinds: all mean "not a reference")
        return None
    body = compact[4:]
    if not ISSUED_BODY.fullmatch(body):
        return None
    return f"INV-{body[:4]}-{body[4:]}"


def invoice_mentions(remark: str) -> list[tuple[str, ...]]:
    """What a transfer's remark names, in order: RF references first, then invoice numbers written out; each
    mention as the invoice numbers it can be read as.

    Spaces and lower case are tolerated. An RF reference whose check digits fail names nothing: a typo must
    not pay another invoice. Where the body runs on into other characters ("RF13 2026 0000 38 3月"), every
    prefix that validates as an issued number is a reading (2026000038, and 20260000383 if it were one), longest
    first: which of them is an invoice of the tenant decides (matching.invoice_quoted).
    """
    found: list[tuple[str, ...]] = []
    for start in RF_START.finditer(remark or ""):
        run = BODY_CHARS.match(remark, start.end())
        if run is None:
            continue
        chars = re.sub(r"\s", "", run.group()).upper()
        readings = (invoice_number_of(f"RF{start.group(1)}{chars[:end]}") for end in range(len(chars), 0, -1))
        numbers = tuple(dict.fromkeys(n for n in readings if n))
        if numbers:
            found.append(numbers)
    for match in INVOICE_NUMBER.finditer(remark or ""):
        found.append((f"INV-{match.group(1)}-{match.group(2)}",))
    return list(dict.fromkeys(found))


def invoice_numbers_in(remark: str) -> list[str]:
    """Every invoice number the remark can be read as naming, in order (see invoice_mentions)."""
    return list(dict.fromkeys(n for mention in invoice_mentions(remark) for n in mention))
