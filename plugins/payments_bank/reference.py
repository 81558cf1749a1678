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
    if not re.fullmatch(r"\d{10,13}", body):
        return None
    return f"INV-{body[:4]}-{body[4:]}"


def invoice_numbers_in(remark: str) -> list[str]:
    """Invoice numbers a transfer's remark names, by valid RF reference first, then written out; in order.

    Spaces and lower case are tolerated. An RF reference whose check digits fail names nothing: a typo must
    not pay another invoice. Where the body runs on into other characters ("RF47 2026 0001 23 1月"), the
    longest prefix that validates is taken.
    """
    found: list[str] = []
    for start in RF_START.finditer(remark or ""):
        run = BODY_CHARS.match(remark, start.end())
        if run is None:
            continue
        chars = re.sub(r"\s", "", run.group()).upper()
        for end in range(len(chars), 0, -1):
            number = invoice_number_of(f"RF{start.group(1)}{chars[:end]}")
            if number:
                found.append(number)
                break
    for match in INVOICE_NUMBER.finditer(remark or ""):
        found.append(f"INV-{match.group(1)}-{match.group(2)}")
    return list(dict.fromkeys(found))
