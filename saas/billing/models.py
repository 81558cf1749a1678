"""Tables of billing (§3.1): invoices per contract and period, their lines, gapless numbers, billing runs."""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, append_only
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"  # waiting for the vendor's review (a tenant setting)
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"  # cancelled by a credit note, never deleted


class Invoice(ClientScoped, db.Model):
    """The invoice of one contract for one billing period (§3.1.2): made once, numbered without gaps."""

    __tablename__ = "invoice"
    __table_args__ = (
        # Idempotent by construction: a period of a contract is billed once, whatever re-runs.
        UniqueConstraint("contract_id", "period_start"),
        UniqueConstraint("tenant_id", "number"),
        Index("ix_invoice_tenant_id_id", "tenant_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: INV-2026-000123: per tenant and year, allocated in the transaction that creates the invoice.
    number: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.ISSUED)
    currency: Mapped[str] = mapped_column(String(3))
    #: The billing period [period_start, period_end) and its index from the contract's effective date.
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    total: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: What is still owed (payments come with the payment plugins).
    balance: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: The run that made it ("2026-12-01"), for the run history.
    run_day: Mapped[date | None] = mapped_column(Date)
    #: "period" for a billing period's invoice; "settlement" for the final account at the agreement's end (§10.4),
    #: which may carry the last period's fee and whatever is still owed either way.
    kind: Mapped[str] = mapped_column(String(16), default="period", server_default="period")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(order_by="InvoiceLine.position", viewonly=True)

    @property
    def period_last_day(self) -> date:
        return self.period_end - timedelta(days=1)


class InvoiceLine(ClientScoped, db.Model):
    """One line of an invoice: a fee-schedule line for (part of) the period, prorated by days where it must be."""

    __tablename__ = "invoice_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: fee (a fee-schedule line), add_on, penalty, credit.
    kind: Mapped[str] = mapped_column(String(16), default="fee")
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: The days of the period this line covers, out of period_days (equal unless prorated).
    days: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    #: quantity × unit_price × days / period_days, rounded once, half-up, to the minor unit.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: Where the line comes from: the change agreement that set the fee, the service.
    source: Mapped[dict] = mapped_column(JSON, default=dict)


class InvoiceNumber(TenantScoped, db.Model):
    """The last number given out per tenant, series and year; locked while a run (or a credit note) allocates."""

    __tablename__ = "invoice_number"
    __table_args__ = (UniqueConstraint("tenant_id", "series", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: INV for invoices, CN for credit notes: each numbered without gaps on its own.
    series: Mapped[str] = mapped_column(String(8), default="INV")
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class CreditNote(ClientScoped, db.Model):
    """A correction of an issued invoice (§3.1): lowers what it owes, or voids it whole; never deleted.

    What the invoice no longer owes but was already paid becomes the client's credit.
    """

    __tablename__ = "credit_note"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    #: CN-2026-000001: per tenant and year, without gaps.
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    #: The credit note voided the invoice (its whole remaining amount).
    voids: Mapped[bool] = mapped_column(default=False)
    issue_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    invoice: Mapped[Invoice] = relationship()


class BillingSettings(TenantScoped, db.Model):
    """A tenant's billing choices: review invoices before they go out, and when to remind clients who owe."""

    __tablename__ = "billing_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: New invoices wait as drafts until billing staff issue them (otherwise they are issued at once).
    review_invoices: Mapped[bool] = mapped_column(default=False)
    #: Days relative to the due date on which an unpaid invoice's reminder goes out ("-3,1,7,30": 3 days before…).
    reminder_days: Mapped[str] = mapped_column(String(100), default="-3,1,7,30")


class BillingRun(TenantScoped, db.Model):
    """One day's billing of a tenant: when it ran, how many chunks and invoices; re-runs add to the same row."""

    __tablename__ = "billing_run"
    __table_args__ = (UniqueConstraint("tenant_id", "run_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_day: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contracts: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    #: Each chunk by name (services.chunk_key) and what it did: {"12-980-500": {"contracts": 500, "invoices": 412}};
    #: "invoices" is None until the chunk reports. The counts above are tallied from it.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # announced (a cheque received, an online payment started), no money yet
    SUCCEEDED = "succeeded"  # the money is in: allocated to invoices, the rest is the client's credit
    FAILED = "failed"  # never arrived (an online payment abandoned)
    REVERSED = "reversed"  # taken back after it succeeded (a bounced cheque)


class Payment(ClientScoped, db.Model):
    """Money from a client, whatever the method (§3.2): the core keeps the amount and its state; a plugin the how.

    `provider` names the method's plugin and `reference` its own key (statement line, cheque number, trade
    number): one payment per reference, so a notice delivered twice credits once.
    """

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.PENDING)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    #: The invoice the payer meant, when known (a payment reference, the invoice paid online).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))
    received_on: Mapped[date | None] = mapped_column(Date)
    #: The method's own details (drawer, bank, trade number…), as the plugin keeps them.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    client: Mapped[Client] = relationship()


class PaymentAllocation(ClientScoped, db.Model):
    """Part of a payment (or of the client's credit) set against an invoice; negative when taken back. Append-only."""

    __tablename__ = "payment_allocation"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CreditEntry(ClientScoped, db.Model):
    """The client's credit ledger: an overpayment adds, applying it to an invoice or a reversal takes away."""

    __tablename__ = "credit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


append_only(PaymentAllocation, CreditEntry, CreditNote)
