"""Tables of late payment: the client's breach when an invoice is still owed after its due date (§8.1.4), and the
§8.2 penalty it proposes, which the vendor confirms (billed on the contract's next invoice) or waives."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User, append_only
from saas.core.money import percent_text
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class PaymentBreach(ClientScoped, db.Model):
    """The client's breach (§8.1.4): an invoice found still owed after its due date, with the evidence; once per
    invoice, whatever re-runs. Append-only."""

    __tablename__ = "payment_breach"
    __table_args__ = (UniqueConstraint("invoice_id"), Index("ix_payment_breach_contract_id", "contract_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"))
    #: The agreement's clause: "8.1.4".
    clause: Mapped[str] = mapped_column(String(16))
    #: The evidence, as it stood when the breach was found: the invoice's number, due date, total and balance.
    invoice_number: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: What was still owed when the breach was found: the basis of the §8.2 penalty.
    unpaid: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    #: The tenant's local date on which the invoice was found unpaid (the first day after its due date, normally).
    found_on: Mapped[date] = mapped_column(Date)
    #: found_on − due_date, in days.
    days_late: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    invoice: Mapped[Invoice] = relationship()
    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()


class PenaltyStatus(enum.StrEnum):
    PROPOSED = "proposed"  # computed from a breach, waiting for billing staff or the vendor admin
    CONFIRMED = "confirmed"  # goes on the contract's next invoice
    BILLED = "billed"  # on an invoice (billed_invoice_id)
    WAIVED = "waived"  # the vendor gave it up, with a reason


class LatePenalty(ClientScoped, db.Model):
    """The §8.2 penalty of a client's payment breach: unpaid amount × the contract's penalty rate, rounded half-up
    once; proposed, then confirmed and billed once on the contract's next invoice, or waived."""

    __tablename__ = "payment_penalty"
    __table_args__ = (
        UniqueConstraint("breach_id"),
        Index("ix_payment_penalty_tenant_id_status", "tenant_id", "status"),  # the penalties page, proposed first
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("payment_breach.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: The agreement's clause: "8.2".
    clause: Mapped[str] = mapped_column(String(16))
    #: The unpaid amount the penalty is computed on (the breach's `unpaid`).
    basis: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: The contract's penalty_rate when the penalty was proposed (0.1000 = 10%).
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    #: basis × rate, rounded once, half-up, to the currency's minor unit.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=PenaltyStatus.PROPOSED)
    #: The note given on confirmation, or the reason for the waiver.
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The invoice the penalty was billed on, once billed.
    billed_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    breach: Mapped[PaymentBreach] = relationship()
    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    decided_by: Mapped[User | None] = relationship()
    billed_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[billed_invoice_id])

    @property
    def rate_percent(self) -> str:
        """The rate as people read it: "10" for 0.1000, "12.5" for 0.1250."""
        return percent_text(self.rate)


append_only(PaymentBreach)
