"""Tables of service credits: the rule a contract computes them by, and the credit of each service line and period
that had breaches of the vendor (§8.1.1–§8.1.3), proposed, then confirmed and billed once, or waived."""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.contracts.models import Contract, ContractLine
from saas.core.clock import now
from saas.core.models import Client, User
from saas.core.money import percent_text
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class CreditRule(enum.StrEnum):
    """How "the fee of the unperformed part" of a service line is found for a period (saas/credits/rules.py)."""

    WHOLE_FEE = "whole_fee"  # the line's whole fee for the period
    SHARE_OF_REQUESTS = "share_of_requests"  # the fee × breached requests / requests of the line in the period
    PER_BREACH = "per_breach"  # a fixed share of the fee per breach, capped at the fee


class CreditPolicy(ClientScoped, db.Model):
    """The rule the vendor chose for one contract's service credits; a contract without one uses the whole fee."""

    __tablename__ = "service_credit_policy"
    __table_args__ = (UniqueConstraint("contract_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(24), default=CreditRule.WHOLE_FEE)
    #: Under the per-breach rule: the share of the line's fee each breach takes off (0.1000 = 10%).
    per_breach_share: Mapped[Decimal] = mapped_column(ExactDecimal(4), default=Decimal("0.1000"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CreditStatus(enum.StrEnum):
    PROPOSED = "proposed"  # computed at the period's end, waiting for billing staff
    CONFIRMED = "confirmed"  # goes on the contract's next invoice as a negative line
    BILLED = "billed"  # on an invoice (billed_invoice_id)
    WAIVED = "waived"  # given up, with the reason (the client sees it and may contest it)


class ServiceCredit(ClientScoped, db.Model):
    """§8.2 for the vendor: the unperformed part of one service line in one billing period × the penalty rate.

    One per line and period, whatever re-runs; the evidence lists every breach it rests on as it stood."""

    __tablename__ = "service_credit"
    __table_args__ = (
        UniqueConstraint("contract_line_id", "period_start"),
        Index("ix_service_credit_tenant_id_status", "tenant_id", "status"),  # the credits page, proposed first
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_line.id", ondelete="RESTRICT"))
    #: The billing period (§3.1.2) the breaches' deadlines fell in: [period_start, period_end).
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: The agreement's clause: "8.2".
    clause: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(24))
    #: The line's fee for the period (quantity × monthly fee) and what the rule counted.
    line_fee: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    breaches: Mapped[int] = mapped_column(Integer)
    requests: Mapped[int] = mapped_column(Integer)
    breached_requests: Mapped[int] = mapped_column(Integer)
    per_breach_share: Mapped[Decimal | None] = mapped_column(ExactDecimal(4))
    #: The fee of the unperformed part, to the cent (the credit is computed from its exact value).
    basis: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: The contract's penalty_rate when the credit was proposed (0.1000 = 10%).
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    #: unperformed fee × rate, rounded once, half-up, to the currency's minor unit: what the client is owed.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    #: The breaches it rests on: [{"breach_id", "request_id", "request", "kind", "clause", "due_at", "met_at"}].
    evidence: Mapped[list] = mapped_column(db.JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=CreditStatus.PROPOSED)
    #: The note given on confirmation, or the reason for the waiver.
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billed_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    line: Mapped[ContractLine] = relationship()
    client: Mapped[Client] = relationship()
    decided_by: Mapped[User | None] = relationship()
    billed_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[billed_invoice_id])

    @property
    def rate_percent(self) -> str:
        """The rate as people read it: "10" for 0.1000."""
        return percent_text(self.rate)

    @property
    def period_last_day(self) -> date:
        return self.period_end - timedelta(days=1)

    @property
    def share_percent(self) -> str:
        return percent_text(self.per_breach_share or 0)
