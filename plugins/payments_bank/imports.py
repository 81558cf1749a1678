"""Importing bank statements (§3.2.1): each credit line taken once, matched where certain; and import profiles."""

import hashlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.payments_bank import account_numbers, fingerprints, matching, statements
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
    #: The other accounts the file held statements of (their lines were not taken), as the file prints them.
    other_accounts: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        s = self.statement
        return {"new": s.lines_new, "known": s.lines_known, "debits": s.debits_skipped, "matched": s.lines_matched}


def import_statement(
    tenant, account: BankAccount, filename: str, data: bytes, fmt: str, profile: ImportProfile | None = None, user=None
) -> Imported:
    """Read a file for one of the tenant's accounts, keep its credit lines not seen before and match them.

    Only the lines on this account are taken: those of the other accounts a file may hold are counted, not booked.
    Raises StatementError (nothing written) when the file cannot be read, is only other accounts', or was imported
    for this account already.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    _check_not_imported(tenant, account, sha256)
    parsed = statements.parse(data, fmt, profile.reader() if profile else None, filename)
    if not parsed.lines:
        raise StatementError(_("The file holds no transactions."))
    lines, others = _lines_of_account(parsed, account)
    credits = [line for line in lines if line.is_client_credit]  # debits and reversals are skipped
    statement = BankStatement(
        tenant_id=tenant.id,
        account_id=account.id,
        filename=(filename or "statement")[:255],
        format=parsed.format,
        profile_id=profile.id if profile else None,
        sha256=sha256,
        imported_by_id=getattr(user, "id", None),
        imported_at=now(),
        debits_skipped=len(lines) - len(credits),
        lines_other_accounts=len(parsed.lines) - len(lines),
    )
    db.session.add(statement)
    db.session.flush()
    rows = [
        _row(tenant, account, statement, line, fingerprint)
        for line, fingerprint in fingerprints.new_lines(tenant.id, account, credits, lines)
    ]
    statement.lines_known = len(credits) - len(rows)
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except IntegrityError:  # another import of the same lines committed meanwhile
        raise StatementError(
            _(
                "Another import of these lines ran at the same moment; import the file again: "
                "the lines already taken will be skipped."
            )
        ) from None
    statement.lines_new = len(rows)
    statement.lines_other_currency = sum(1 for row in rows if row.currency != account.currency)
    statement.lines_matched = sum(1 for row in rows if matching.match_automatically(row))
    audit.record(
        "payments_bank.statement_imported",
        tenant_id=tenant.id,
        target=statement,
        filename=statement.filename,
        account=account.account_number,
        new=statement.lines_new,
        known=statement.lines_known,
        matched=statement.lines_matched,
        other_accounts=statement.lines_other_accounts,
        other_currency=statement.lines_other_currency,
    )
    db.session.flush()
    return Imported(statement, others)


def _check_not_imported(tenant, account: BankAccount, sha256: str) -> None:
    """The very same file (its bytes' SHA-256) imported for this account before is refused, naming when: its lines
    are known anyway, and a second statement row would only suggest new money."""
    earlier = db.session.scalar(
        select(BankStatement)
        .where(
            BankStatement.tenant_id == tenant.id, BankStatement.sha256 == sha256, BankStatement.account_id == account.id
        )
        .order_by(BankStatement.id)
        .limit(1)
    )
    if earlier is not None:
        when = earlier.imported_at.astimezone(ZoneInfo(tenant.timezone))
        raise StatementError(
            _(
                "This file was imported already on %(when)s (as %(filename)s): nothing was written.",
                when=f"{when:%Y-%m-%d %H:%M}",
                filename=earlier.filename,
            )
        )


def _lines_of_account(parsed: statements.Statement, account: BankAccount) -> tuple[list, list[str]]:
    """The file's lines on this account, and the other accounts it holds statements of.

    A file naming its accounts (MT940 :25:, CAMT Acct; one or several) is taken only for the statements of this
    account, compared in normal form (account_numbers.same_account: spaces, dots, a BIC before it, a currency after
    it); naming none of ours, it is refused with the accounts it names: no booking on the wrong account. A file
    naming none (a table export) is taken for the account chosen.
    """
    if not any(name for name, _currency in parsed.accounts):
        return list(parsed.lines), []
    ours = {(name, currency) for name, currency in parsed.accounts if _is_ours(name, currency, account)}
    named = [_shown(name, currency) for name, currency in parsed.accounts if (name, currency) not in ours]
    if not ours:
        if len(named) == 1:
            raise StatementError(
                _(
                    "This statement is for account %(named)s, not %(ours)s.",
                    named=named[0],
                    ours=_shown(account.account_number, account.currency),
                )
            )
        raise StatementError(
            _(
                "This file holds the statements of the accounts %(named)s; none of them is %(ours)s.",
                named=listed(named),
                ours=_shown(account.account_number, account.currency),
            )
        )
    return [line for line in parsed.lines if (line.account, line.account_currency) in ours], named


def listed(items: list[str]) -> str:
    """Items as a list in the user's language (A, B, and C; A、B和C)."""
    return format_list(items, locale=get_locale() or "en") if items else ""


def _is_ours(name: str, currency: str, account: BankAccount) -> bool:
    """Whether a statement's account (and the currency the file gives it) is this account."""
    return account_numbers.same_account(name, account.account_number, account.currency) and (
        not currency or currency == account.currency
    )


def _shown(name: str, currency: str) -> str:
    return f"{name or '?'} ({currency})" if currency else (name or "?")


def _row(tenant, account, statement, line: statements.Line, fingerprint: str) -> StatementLine:
    currency = line.currency or account.currency
    return StatementLine(
        tenant_id=tenant.id,
        statement_id=statement.id,
        account_id=account.id,
        fingerprint=fingerprint,
        position=line.position,
        booked_on=line.booked_on,
        amount=quantize(line.amount, currency),
        currency=currency,
        counterparty_name=line.counterparty_name[:200],
        counterparty_account=line.counterparty_account[:64],
        remark=line.remark,
        bank_reference=line.reference[:120],
        status=LineStatus.UNMATCHED,
    )


def list_statements(tenant, after: int | None = None, limit: int = 25):
    """One page of the tenant's statements, newest first (keyset on id); returns (rows, next_after)."""
    stmt = select(BankStatement).where(BankStatement.tenant_id == tenant.id)
    if after:
        stmt = stmt.where(BankStatement.id < after)
    rows = db.session.scalars(stmt.order_by(BankStatement.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_lines(tenant, *, statement_id: int | None = None, status: str = "", after: int | None = None, limit: int = 50):
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
    return db.session.scalars(
        select(ImportProfile).where(ImportProfile.tenant_id == tenant.id).order_by(ImportProfile.name)
    ).all()


def save_profile(tenant, data: dict, profile: ImportProfile | None = None) -> ImportProfile:
    """Create or update an import profile from the form's data (a column per field of statements.COLUMNS)."""
    created = profile is None
    profile = profile or ImportProfile(tenant_id=tenant.id)
    profile.name = data["name"].strip()
    profile.header_row, profile.date_format = data["header_row"], data["date_format"].strip()
    profile.columns = {key: (data.get(key) or "").strip() for key in statements.COLUMNS}
    db.session.add(profile)
    db.session.flush()
    audit.record(
        "payments_bank.profile_added" if created else "payments_bank.profile_saved",
        tenant_id=tenant.id,
        target=profile,
        name=profile.name,
    )
    return profile


def add_preset(tenant, key: str) -> ImportProfile:
    """Copy a shipped preset (ICBC, CCB…) into the tenant's profiles; the same preset again is the same profile."""
    name, preset = PRESETS[key]
    existing = db.session.scalar(
        select(ImportProfile).where(ImportProfile.tenant_id == tenant.id, ImportProfile.name == name)
    )
    if existing is not None:
        return existing
    return save_profile(
        tenant, {"name": name, "header_row": preset.header_row, "date_format": preset.date_format, **preset.columns}
    )


def delete_profile(profile: ImportProfile) -> None:
    """Remove a profile; statements read with it keep their lines."""
    audit.record("payments_bank.profile_removed", tenant_id=profile.tenant_id, target=profile, name=profile.name)
    db.session.delete(profile)
