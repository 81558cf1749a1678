"""Telling statement lines apart (§3.2.1): what makes a credit the same line in any file, and which are known.

A bank's reference names a line only when it is a real one (not NONREF, NOTPROVIDED, 0…) and unique: within the
file, and over time (the line stored under it has the same date and amount). Any other line is known by its
content: account, date (and time of day when the file gives one), amount, counterparty, remark, the reference when
there is a real one, and its occurrence number among identical lines of the file.

Fingerprints stored before these rules stay valid: "ref:<account>:<reference>" for a unique reference, the content
hash for a line without one. A line stored under a placeholder or shared reference ("ref:…:NONREF") is still
recognised, by its content, so re-importing an old file takes nothing twice.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import select

from plugins.payments_bank.models import StatementLine
from plugins.payments_bank.statements import Line, is_placeholder
from saas.core.money import quantize
from saas.extensions import db


def by_reference(account_id: int, reference: str) -> str:
    """The fingerprint of a line that its bank's reference names."""
    return f"ref:{account_id}:{reference}"[:200]


def by_content(account_id: int, line: Line, currency: str, occurrence: int, reference: str = "") -> str:
    """The fingerprint of a line by what it says; `occurrence` numbers identical lines within one file."""
    when = line.booked_on.isoformat() + (f"T{line.time}" if line.time else "")
    parts = [
        str(account_id),
        when,
        str(quantize(line.amount, currency)),
        line.counterparty_name,
        line.remark,
        str(occurrence),
    ]
    if reference:  # a shared reference still tells the lines that share it from other, identical-looking ones
        parts.append(reference)
    return "sha256:" + hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


@dataclass
class _Candidate:
    line: Line
    currency: str
    #: What the line is stored under when new.
    fingerprint: str
    #: Fingerprints that are this line whatever is stored under them (its content, with and without the time).
    aliases: tuple[str, ...]
    #: "ref:…" of the line's reference, real or not: the line stored under it may be this one (checked by content).
    reference_print: str = ""
    #: The reference is real and unique in the file: the line stored under it is this one if date and amount agree.
    unique: bool = False


def new_lines(tenant_id: int, account, credits: list[Line], lines: list[Line]) -> list[tuple[Line, str]]:
    """The credits not taken before (nor earlier in this file), each with the fingerprint to store it under.

    `lines` are all the file's lines on the account (debits too): a reference two of them share names neither.
    """
    candidates = _candidates(account, credits, lines)
    wanted = list(dict.fromkeys(p for c in candidates for p in (c.fingerprint, *c.aliases, c.reference_print) if p))
    stored = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = db.session.execute(
            select(
                StatementLine.fingerprint,
                StatementLine.booked_on,
                StatementLine.amount,
                StatementLine.counterparty_name,
                StatementLine.remark,
            ).where(StatementLine.tenant_id == tenant_id, StatementLine.fingerprint.in_(chunk))
        )
        stored.update({row.fingerprint: row for row in rows})
    taken, claimed, fresh = set(), set(), []
    for c in candidates:
        if any(alias in stored for alias in c.aliases):
            continue
        row = stored.get(c.reference_print) if c.reference_print else None
        if row is not None and row.fingerprint not in claimed and _same(row, c):
            claimed.add(row.fingerprint)  # that stored line is this one: no other line of the file is it too
            continue
        fingerprint = c.fingerprint
        if fingerprint in stored or fingerprint in taken:
            if not c.unique:
                continue
            fingerprint = c.aliases[0]  # the reference named another line before: it does not name this one
            if fingerprint in stored or fingerprint in taken:
                continue
        taken.add(fingerprint)
        fresh.append((c.line, fingerprint))
    return fresh


def _same(row, c: _Candidate) -> bool:
    """Whether the stored line `row` is the candidate's line: a unique reference's line on the same day for the same
    amount; under a placeholder or shared reference, a line saying exactly the same."""
    line = c.line
    same = row.booked_on == line.booked_on and row.amount == quantize(line.amount, c.currency)
    if c.unique:
        return same
    return same and row.counterparty_name == line.counterparty_name[:200] and row.remark == line.remark


def _candidates(account, credits: list[Line], lines: list[Line]) -> list[_Candidate]:
    """Each credit's fingerprint and aliases, numbering identical lines within the file."""
    references = Counter(line.reference for line in lines if _real(line.reference))
    plain, plain_timeless, named, named_timeless = Counter(), Counter(), Counter(), Counter()
    candidates = []
    for line in credits:
        currency = line.currency or account.currency
        key = (line.booked_on, line.amount, line.counterparty_name, line.remark)
        # Lines without a real reference are numbered among all identical credits, as they always were.
        plain[(*key, line.time)] += 1
        plain_timeless[key] += 1
        real = _real(line.reference)
        reference = line.reference if real else ""
        if real:
            named[(*key, line.time, reference)] += 1
            named_timeless[(*key, reference)] += 1
            occurrence, timeless = named[(*key, line.time, reference)], named_timeless[(*key, reference)]
        else:
            occurrence, timeless = plain[(*key, line.time)], plain_timeless[key]
        content = by_content(account.id, line, currency, occurrence, reference)
        # A line with a time of day is also known by its fingerprint without it: the same line taken before from a
        # file without times, or before times were kept, is not taken again.
        aliases = (content,) + (
            (by_content(account.id, replace(line, time=""), currency, timeless, reference),) if line.time else ()
        )
        unique = real and references[reference] == 1
        candidates.append(
            _Candidate(
                line,
                currency,
                by_reference(account.id, reference) if unique else content,
                aliases,
                by_reference(account.id, line.reference) if line.reference else "",
                unique,
            )
        )
    return candidates


def _real(reference: str) -> bool:
    return bool(reference) and not is_placeholder(reference)
