"""Tables of damages claims (§8.3, §2.3.3): the claim with its two losses, the breaches it rests on, its evidence
files, its timeline (append-only) and the number series."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.billing.penalty_models import PaymentBreach
from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User, append_only
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db
from saas.materials.models import ClientBreach
from saas.requests.models import SlaBreach


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # sent to the other party
    ACKNOWLEDGED = "acknowledged"  # the other party has it and is looking at it
    AGREED = "agreed"  # the other party agreed it, in full or an amount; waiting to be settled
    DISPUTED = "disputed"  # under a dispute (§9): its resolution agrees or rejects it
    SETTLED = "settled"  # paid, refunded, credited or invoiced, or written off
    REJECTED = "rejected"  # the dispute went against the claimant
    WITHDRAWN = "withdrawn"  # the claimant gave it up before it was agreed


#: Claims the other party still has to answer.
ANSWERABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED)
#: Claims a dispute may be opened about: answered or not, but not settled.
DISPUTABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED, ClaimStatus.AGREED)


class Settlement(enum.StrEnum):
    """How an agreed claim is settled."""

    NEXT_INVOICE = "next_invoice"  # a line on the agreement's next invoice (a credit when the vendor owes)
    CREDIT_NOTE = "credit_note"  # a credit note on an invoice already issued (the vendor owes)
    REFUND = "refund"  # the vendor paid the amount back (the vendor owes)
    PAID = "paid"  # the client paid the amount directly (the client owes)
    WRITTEN_OFF = "written_off"  # the claimant let it go


class ClaimNumber(TenantScoped, db.Model):
    """The last claim number given out per tenant and year (PC-2026-0002), gapless."""

    __tablename__ = "claim_number"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Claim(ClientScoped, db.Model):
    """A claim for damages by one party of an agreement against the other (§8.3): direct loss plus indirect loss
    (the expected profit, §2.3.3), each with its description and evidence, resting on recorded breaches."""

    __tablename__ = "damages_claim"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_damages_claim_tenant_id_id", "tenant_id", "id"),  # the lists, newest first
        CheckConstraint("direct_amount >= 0 AND indirect_amount >= 0", name="losses_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: Who claims: "A" (the client) or "B" (the vendor); the other party owes what is agreed.
    claimant_party: Mapped[str] = mapped_column(String(1))
    direct_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    direct_description: Mapped[str] = mapped_column(Text)
    #: The expected profit lost (§8.3: "包括直接损失和间接损失（预期利益）"); zero when none is claimed.
    indirect_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    indirect_description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.SUBMITTED)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The amount the parties agreed (in full: the claimed total), by the other party or a dispute's outcome.
    agreed_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How it was settled, or is to be (next_invoice waits for the billing run), and its reference.
    settlement: Mapped[str] = mapped_column(String(16), default="")
    settlement_reference: Mapped[str] = mapped_column(String(200), default="")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billed_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id", ondelete="RESTRICT"))

    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    billed_invoice: Mapped[Invoice | None] = relationship()
    breaches: Mapped[list["ClaimBreach"]] = relationship(order_by="ClaimBreach.id", lazy="selectin")
    files: Mapped[list["ClaimFile"]] = relationship(order_by="ClaimFile.id", lazy="selectin")

    @property
    def total(self) -> Decimal:
        """What is claimed: direct plus indirect loss."""
        return self.direct_amount + self.indirect_amount

    @property
    def respondent_party(self) -> str:
        return "B" if self.claimant_party == "A" else "A"

    @property
    def vendor_owes(self) -> bool:
        return self.claimant_party == "A"


class ClaimBreach(ClientScoped, db.Model):
    """A breach a claim rests on: the vendor's (§8.1) or the client's (materials, late payment); exactly one."""

    __tablename__ = "claim_breach"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN sla_breach_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN client_breach_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN payment_breach_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_breach",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("damages_claim.id", ondelete="CASCADE"), index=True)
    sla_breach_id: Mapped[int | None] = mapped_column(ForeignKey("sla_breach.id", ondelete="RESTRICT"))
    client_breach_id: Mapped[int | None] = mapped_column(ForeignKey("client_breach.id", ondelete="RESTRICT"))
    payment_breach_id: Mapped[int | None] = mapped_column(ForeignKey("payment_breach.id", ondelete="RESTRICT"))
    #: The breach as people read it when the claim was made ("§8.1.2 · #SR-2026-000012").
    label: Mapped[str] = mapped_column(String(200))

    sla_breach: Mapped[SlaBreach | None] = relationship()
    client_breach: Mapped[ClientBreach | None] = relationship()
    payment_breach: Mapped[PaymentBreach | None] = relationship()


class ClaimFile(ClientScoped, db.Model):
    """A file of a claim's evidence, for its direct or its indirect loss; never changed or removed."""

    __tablename__ = "claim_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("damages_claim.id", ondelete="CASCADE"), index=True)
    #: "direct" or "indirect": which loss it shows.
    loss: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ClaimEvent(ClientScoped, db.Model):
    """One step of a claim's timeline: submitted, acknowledged, agreed, disputed, settled…, by whom and when."""

    __tablename__ = "claim_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("damages_claim.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    #: The party that acted: "A", "B", or "" for the product itself (a billing run, a dispute's resolution).
    party: Mapped[str] = mapped_column(String(1), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


append_only(ClaimBreach, ClaimFile, ClaimEvent)
