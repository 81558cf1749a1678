"""Bank transfer (§3.2.1): the vendor's accounts, the statements imported for them, their lines and profiles."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.payments_bank.statements import Profile
from saas.billing.models import Payment
from saas.core.clock import now
from saas.core.models import Client, User
from saas.core.tenancy import TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class BankAccount(TenantScoped, db.Model):
    """An account of the vendor into which clients transfer payments."""

    __tablename__ = "payments_bank_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    bank_name: Mapped[str] = mapped_column(String(200))
    branch: Mapped[str] = mapped_column(String(200), default="")
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: The account printed on invoices when none is chosen.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class ImportProfile(TenantScoped, db.Model):
    """How to read one bank's CSV/XLSX export: header row, date format and the column of each field."""

    __tablename__ = "payments_bank_profile"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The 1-based row holding the column headers (exports often start with a title and the account).
    header_row: Mapped[int] = mapped_column(Integer, default=1)
    #: strptime format of the date column ("%Y-%m-%d", "%Y%m%d").
    date_format: Mapped[str] = mapped_column(String(40), default="%Y-%m-%d")
    #: {"date": "交易日期", "credit": "贷方发生额", "remark": "摘要+用途", "reference": "7", ...}: a header name or a
    #: 1-based column number per field of statements.COLUMNS; "+" joins text columns.
    columns: Mapped[dict] = mapped_column(JSON, default=dict)

    def reader(self) -> Profile:
        return Profile(columns=dict(self.columns), header_row=self.header_row, date_format=self.date_format)


class BankStatement(TenantScoped, db.Model):
    """A statement file imported for one account: who brought it, when, and what it held."""

    __tablename__ = "payments_bank_statement"
    __table_args__ = (Index("ix_payments_bank_statement_tenant_id_id", "tenant_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payments_bank_account.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: mt940, camt053, csv or xlsx.
    format: Mapped[str] = mapped_column(String(16))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("payments_bank_profile.id", ondelete="SET NULL"))
    #: Of the file's bytes: the very same file brought again for the account is refused (imports._check_not_imported).
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: Credit lines taken in; credit lines already known from an earlier file; debits and reversals skipped (not
    #: client money).
    lines_new: Mapped[int] = mapped_column(Integer, default=0)
    lines_known: Mapped[int] = mapped_column(Integer, default=0)
    debits_skipped: Mapped[int] = mapped_column(Integer, default=0)
    #: Of lines_new, how many were matched to a client as they were imported.
    lines_matched: Mapped[int] = mapped_column(Integer, default=0)
    #: Lines of the other accounts a file held statements of (MT940 :25:, CAMT Stmt): read, never booked here.
    lines_other_accounts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Of lines_new, how many are in another currency than the account's: to be checked before matching.
    lines_other_currency: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    account: Mapped[BankAccount] = relationship()
    imported_by: Mapped[User | None] = relationship()


class LineStatus(enum.StrEnum):
    UNMATCHED = "unmatched"  # waiting for a person (or for its invoice, at the next reconcile)
    MATCHED = "matched"  # recorded as a client's payment
    IGNORED = "ignored"  # not a client payment (interest, a refund, a transfer between own accounts)


class StatementLine(TenantScoped, db.Model):
    """A credit on the vendor's account, taken once whatever files repeat it; matched to a client's payment."""

    __tablename__ = "payments_bank_line"
    __table_args__ = (
        # Never the same line twice (§3.2.1): a second file, or an overlapping one, adds nothing.
        UniqueConstraint("tenant_id", "fingerprint"),
        Index("ix_payments_bank_line_tenant_id_status_id", "tenant_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("payments_bank_statement.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payments_bank_account.id", ondelete="RESTRICT"))
    #: "ref:<account>:<bank reference>" when a real, unique bank reference names the line, else a SHA-256 of account,
    #: date (and time of day when the file gives one), amount, counterparty, remark (and a shared reference) with the
    #: occurrence number of identical lines in the file (plugins.payments_bank.fingerprints).
    fingerprint: Mapped[str] = mapped_column(String(200))
    #: The line's place in its file (line or row number).
    position: Mapped[int] = mapped_column(Integer, default=0)
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str] = mapped_column(String(200), default="")
    counterparty_account: Mapped[str] = mapped_column(String(64), default="")
    #: The transfer's remark (附言/用途/摘要) where payers quote the invoice's reference.
    remark: Mapped[str] = mapped_column(Text, default="")
    bank_reference: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default=LineStatus.UNMATCHED)
    #: How it was matched: reference, name_and_amount (automatic) or manual.
    matched_how: Mapped[str] = mapped_column(String(20), default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"))
    #: The payment the line became (the core's record of the money).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"), index=True)
    #: Why a person set it aside as not a client payment.
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    statement: Mapped[BankStatement] = relationship()
    account: Mapped[BankAccount] = relationship()
    client: Mapped[Client | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
