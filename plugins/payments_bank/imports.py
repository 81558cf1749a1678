"""Importing bank statements (§3.2.1): each credit line taken once, matched where certain; and import profiles."""

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.payments_bank import matching, statements
from plugins.payments_bank.models import BankAccount, BankStatement, ImportProfile, LineStatus, StatementLine
from plugins.payments_bank.statements import PRESETS, StatementError
from saas.core import audit
from saas.core.clock import now
from saas.core.money import quantize
from saas.extensions import db


@dataclass
class Imported:
    """What an import did: the statement row and its counts (also kept on the row)."""

    statement: BankStatement

    @property
    def counts(self) -> dict:
        s = self.statement
        return {"new": s.lines_new, "known": s.lines_known, "debits": s.debits_skipped, "matched": s.lines_matched}


def import_statement(tenant, account: BankAccount, filename: str, data: bytes, fmt: str,
                     profile: ImportProfile | None = None, user=None) -> Imported:  # fmt: skip
    """Read a file for one of the tenant's accounts, keep its credit lines not seen before and match them.

    Raises StatementError (nothing written) when the file cannot be read, is another account's, or was imported
    for this account already.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    _check_not_imported(tenant, account, sha256)
    parsed = statements.parse(data, fmt, profile.reader() if profile else None, filename)
    _check_account(parsed, account)
    credits = [line for line in parsed.lines if line.is_client_credit]  # debits and reversals are skipped
    if not parsed.lines:
        raise StatementError(_("The file holds no transactions."))
    statement = BankStatement(tenant_id=tenant.id, account_id=account.id, filename=(filename or "statement")[:255],
                              format=parsed.format, profile_id=profile.id if profile else None,
                              sha256=sha256, imported_by_id=getattr(user, "id", None),
                              imported_at=now(), debits_skipped=len(parsed.lines) - len(credits))  # fmt: skip
    db.session.add(statement)
    db.session.flush()
    rows = _new_lines(tenant, account, statement, credits)
    statement.lines_known = len(credits) - len(rows)
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except IntegrityError:  # another import of the same lines committed meanwhile
        raise StatementError(_("Another import of these lines ran at the same moment; import the file again: "
                               "the lines already taken will be skipped.")) from None  # fmt: skip
    statement.lines_new = len(rows)
    statement.lines_matched = sum(1 for row in rows if matching.match_automatically(row))
    audit.record("payments_bank.statement_imported", tenant_id=tenant.id, target=statement, filename=statement.filename,
                 account=account.account_number, new=statement.lines_new, known=statement.lines_known,
                 matched=statement.lines_matched)  # fmt: skip
    db.session.flush()
    return Imported(statement)


def _check_not_imported(tenant, account: BankAccount, sha256: str) -> None:
    """The very same file (its bytes' SHA-256) imported for this account before is refused, naming when: its lines
    are known anyway, and a second statement row would only suggest new money."""
    earlier = db.session.scalar(select(BankStatement).where(
        BankStatement.tenant_id == tenant.id, BankStatement.sha256 == sha256, BankStatement.account_id == account.id)
        .order_by(BankStatement.id).limit(1))  # fmt: skip
    if earlier is not None:
        when = earlier.imported_at.astimezone(ZoneInfo(tenant.timezone))
        raise StatementError(_("This file was imported already on %(when)s (as %(filename)s): nothing was written.",
                               when=f"{when:%Y-%m-%d %H:%M}", filename=earlier.filename))  # fmt: skip


def _check_account(parsed: statements.Statement, account: BankAccount) -> None:
    """A file that names its account must name exactly this one, spaces aside (CAMT Acct; MT940 :25:, where the bank's
    code may come first: ICBKCNBJ/0200…): no booking on the wrong account. A file naming none (a table export) is
    taken for the account chosen."""
    named = "".join((parsed.account or "").split()).upper()
    ours = "".join(account.account_number.split()).upper()
    if named and ours not in (named, named.rsplit("/", 1)[-1]):
        raise StatementError(_("This statement is for account %(named)s, not %(ours)s.", named=parsed.account,
                               ours=account.account_number))  # fmt: skip


def fingerprint(account: BankAccount, line: statements.Line, occurrence: int) -> str:
    """What makes a line the same line in any file: the bank's reference, else its content and occurrence.

    The content has the time of day when the file gives one: two identical transfers on a day, each in one of two
    overlapping files, are two lines, not the first occurrence twice.
    """
    if line.reference:
        return f"ref:{account.id}:{line.reference}"[:200]
    when = line.booked_on.isoformat() + (f"T{line.time}" if line.time else "")
    content = "|".join((str(account.id), when, str(quantize(line.amount, line.currency or account.currency)),
                        line.counterparty_name, line.remark, str(occurrence)))  # fmt: skip
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def _new_lines(tenant, account, statement, credits) -> list[StatementLine]:
    """Rows for the credit lines whose fingerprint the tenant has not taken before (nor earlier in this file).

    A line with a time of day is also known by its fingerprint without it: the same line taken before from a file
    without times, or before times were kept, is not taken again (a time-less match is what was done before).
    """
    seen, timeless, prints, aliases = Counter(), Counter(), [], []
    for line in credits:
        key = (line.booked_on, line.amount, line.counterparty_name, line.remark)
        timeless[key] += 1
        seen[(*key, line.time)] += 1  # the second identical transfer at a time is another transfer: it counts as #2
        prints.append(fingerprint(account, line, seen[(*key, line.time)]))
        aliases.append(fingerprint(account, replace(line, time=""), timeless[key]) if line.time else prints[-1])
    known = set()
    wanted = list(dict.fromkeys(prints + aliases))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        known.update(db.session.scalars(select(StatementLine.fingerprint).where(
            StatementLine.tenant_id == tenant.id, StatementLine.fingerprint.in_(chunk))))  # fmt: skip
    rows = []
    for line, print_, alias in zip(credits, prints, aliases, strict=True):
        if print_ in known or alias in known:
            continue
        known.add(print_)
        currency = line.currency or account.currency
        rows.append(StatementLine(
            tenant_id=tenant.id, statement_id=statement.id, account_id=account.id, fingerprint=print_,
            position=line.position, booked_on=line.booked_on, amount=quantize(line.amount, currency),
            currency=currency, counterparty_name=line.counterparty_name[:200],
            counterparty_account=line.counterparty_account[:64], remark=line.remark,
            bank_reference=line.reference[:120], status=LineStatus.UNMATCHED))  # fmt: skip
    return rows


def list_statements(tenant, after: int | None = None, limit: int = 25):
    """One page of the tenant's statements, newest first (keyset on id); returns (rows, next_after)."""
    stmt = select(BankStatement).where(BankStatement.tenant_id == tenant.id)
    if after:
        stmt = stmt.where(BankStatement.id < after)
    rows = db.session.scalars(stmt.order_by(BankStatement.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_lines(tenant, *, statement_id: int | None = None, status: str = "", after: int | None = None,
               limit: int = 50):  # fmt: skip
    """One page of statement lines, oldest first (keyset on id); returns (rows, next_after)."""
    stmt = select(StatementLine).where(StatementLine.tenant_id == tenant.id)
    if statement_id:
        stmt = stmt.where(StatementLine.statement_id == statement_id)
    if status:
        stmt = stmt.where(StatementLine.status == status)
    if after:
        stmt = stmt.where(StatementLine.id > after)
    rows = db.session.scalars(stmt.order_by(StatementLine.id).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_profiles(tenant) -> list[ImportProfile]:
    """The tenant's import profiles, by name."""
    return db.session.scalars(select(ImportProfile).where(ImportProfile.tenant_id == tenant.id)
                              .order_by(ImportProfile.name)).all()  # fmt: skip


def save_profile(tenant, data: dict, profile: ImportProfile | None = None) -> ImportProfile:
    """Create or update an import profile from the form's data (a column per field of statements.COLUMNS)."""
    created = profile is None
    profile = profile or ImportProfile(tenant_id=tenant.id)
    profile.name = data["name"].strip()
    profile.header_row, profile.date_format = data["header_row"], data["date_format"].strip()
    profile.columns = {key: (data.get(key) or "").strip() for key in statements.COLUMNS}
    db.session.add(profile)
    db.session.flush()
    audit.record("payments_bank.profile_added" if created else "payments_bank.profile_saved", tenant_id=tenant.id,
                 target=profile, name=profile.name)  # fmt: skip
    return profile


def add_preset(tenant, key: str) -> ImportProfile:
    """Copy a shipped preset (ICBC, CCB…) into the tenant's profiles; the same preset again is the same profile."""
    name, preset = PRESETS[key]
    existing = db.session.scalar(select(ImportProfile).where(ImportProfile.tenant_id == tenant.id,
                                                             ImportProfile.name == name))  # fmt: skip
    if existing is not None:
        return existing
    return save_profile(tenant, {"name": name, "header_row": preset.header_row, "date_format": preset.date_format,
                                 **preset.columns})  # fmt: skip


def delete_profile(profile: ImportProfile) -> None:
    """Remove a profile; statements read with it keep their lines."""
    audit.record("payments_bank.profile_removed", tenant_id=profile.tenant_id, target=profile, name=profile.name)
    db.session.delete(profile)
