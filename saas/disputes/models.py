"""Tables of disputes: the dispute and what it is about, each step of the ladder (§9.1–§9.4), and the number series."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class Stage(enum.StrEnum):
    """The ladder of §9, in order."""

    NEGOTIATION = "negotiation"  # §9.1 friendly negotiation between the parties
    MEDIATION = "mediation"  # §9.2 the people's mediation committee at Party B's locality
    ARBITRATION = "arbitration"  # §9.3
    LITIGATION = "litigation"  # §9.4 the court with jurisdiction at Party B's locality


LADDER = (Stage.NEGOTIATION, Stage.MEDIATION, Stage.ARBITRATION, Stage.LITIGATION)
CLAUSES = {Stage.NEGOTIATION: "9.1", Stage.MEDIATION: "9.2", Stage.ARBITRATION: "9.3", Stage.LITIGATION: "9.4"}


class Subject(enum.StrEnum):
    """What a dispute is about."""

    CREDIT = "credit"  # a service credit (§8.2 for the vendor)
    PENALTY = "penalty"  # a late-payment penalty (§8.2 for the client)
    MATERIALS = "materials"  # a penalty for technical materials not supplied (Part 3, 说明二 1.2; §8.2)
    INVOICE = "invoice"  # an invoice, or part of it
    BREACH = "breach"  # a recorded breach (§8.1)
    CLAIM = "claim"  # a claim for damages (§8.3), made by either party
    OTHER = "other"


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class Outcome(enum.StrEnum):
    FOR_CLIENT = "for_client"  # decided or agreed in Party A's favour
    FOR_VENDOR = "for_vendor"  # in Party B's favour
    SETTLED = "settled"  # a settlement between the two


class DisputeNumber(TenantScoped, db.Model):
    """The last dispute number given out per tenant and year (ZY-2026-0003), gapless."""

    __tablename__ = "dispute_number"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Dispute(ClientScoped, db.Model):
    """A dispute between the parties of an agreement, climbing the ladder of §9 until it is resolved or withdrawn.

    At most one open dispute per subject (a credit, an invoice…); an amount of an invoice under dispute is held
    while the dispute is open: no overdue breach, penalty or reminder for it."""

    __tablename__ = "dispute"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index(
            "uq_dispute_open_subject",
            "tenant_id",
            "subject",
            "subject_id",
            unique=True,
            postgresql_where=text("status = 'open' AND subject_id IS NOT NULL"),
            sqlite_where=text("status = 'open' AND subject_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    #: The credit's, penalty's, invoice's or breach's id; None for "other".
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: What the subject was when the dispute opened, as people read it ("INV-2026-000008", "credit of 250.00").
    subject_label: Mapped[str] = mapped_column(String(200))
    #: The invoice whose amount is held while the dispute is open, and how much of it.
    held_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    raised_by_party: Mapped[str] = mapped_column(String(1))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.OPEN)
    stage: Mapped[str] = mapped_column(String(16), default=Stage.NEGOTIATION)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(16), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")

    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    steps: Mapped[list["DisputeStep"]] = relationship(
        back_populates="dispute", order_by="DisputeStep.id", lazy="selectin"
    )

    @property
    def current_step(self) -> "DisputeStep | None":
        return self.steps[-1] if self.steps else None


class DisputeStep(ClientScoped, db.Model):
    """One step of a dispute's ladder: its venue, opening date, deadline, minutes and outcome."""

    __tablename__ = "dispute_step"
    __table_args__ = (UniqueConstraint("dispute_id", "stage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    clause: Mapped[str] = mapped_column(String(8))
    #: Where the step takes place: the committee, the arbitration commission, the court (from the agreement).
    venue: Mapped[str] = mapped_column(String(200), default="")
    opened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: How the step ended: "escalated" to the next, or the dispute's resolution.
    result: Mapped[str] = mapped_column(String(200), default="")
    reminded_7_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_1_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dispute: Mapped[Dispute] = relationship(back_populates="steps")
