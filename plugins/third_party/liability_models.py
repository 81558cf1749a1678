"""Tables of a third party's intervention in an agreement (Part 2 §1.2, Part 2 §2, Part 2 §5), the claims against
a subcontractor and their cap (Part 2 §3, Part 2 §6.2, Part 2 §6.3), and the disputes about a third party with their
deadline (Part 2 §7)."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.third_party.models import Subcontractor
from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import User, append_only
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.disputes.models import Dispute
from saas.extensions import db
from saas.notices.models import Notice


class Cause(enum.StrEnum):
    """Part 2 §5.1: why a third party intervened."""

    TECHNICAL = "technical"
    LEGAL = "legal"
    POLICY = "policy"
    SERVICE_QUALITY = "service_quality"  # the third party's own service quality


class InterventionStatus(enum.StrEnum):
    OPEN = "open"  # recorded
    NOTIFIED = "notified"  # the other party has the written notice (Part 2 §2.1)
    NEGOTIATING = "negotiating"  # the parties negotiate (Part 2 §2.2)
    RESOLVED = "resolved"  # measures taken, their outcome recorded (Part 2 §2.3)


class StepKind(enum.StrEnum):
    RECORDED = "recorded"
    NOTIFIED = "notified"
    NEGOTIATION = "negotiation"
    MEASURE = "measure"
    RESOLVED = "resolved"


class Intervention(ClientScoped, db.Model):
    """A third party's intervention in the performance of an agreement, recorded by either party (Part 2 §1.2)."""

    __tablename__ = "third_party_intervention"
    __table_args__ = (Index("ix_third_party_intervention_tenant_id_status", "tenant_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: The vendor's subcontractor, or None for an outside third party named in `third_party_name`.
    subcontractor_id: Mapped[int | None] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    third_party_name: Mapped[str] = mapped_column(String(200), default="")
    #: "A" (the client) or "B" (the vendor): who recorded it; the other party is notified.
    recorded_by_party: Mapped[str] = mapped_column(String(1))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(String(24))
    # Part 2 §5.2: its effect on the agreement's time, cost and service.
    effect_time: Mapped[str] = mapped_column(Text, default="")
    effect_cost: Mapped[str] = mapped_column(Text, default="")
    effect_cost_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    effect_service: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=InterventionStatus.OPEN)
    #: The written notice to the other party (Part 2 §2.1), once sent.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="RESTRICT"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    notice: Mapped[Notice | None] = relationship()
    steps: Mapped[list["InterventionStep"]] = relationship(order_by="InterventionStep.id", lazy="selectin")

    @property
    def party_name(self) -> str:
        return self.subcontractor.legal_name if self.subcontractor is not None else self.third_party_name


class InterventionStep(ClientScoped, db.Model):
    """One step of an intervention, as it happened: recorded, notified, a negotiation entry, a measure, resolved.
    Append-only."""

    __tablename__ = "third_party_intervention_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_intervention.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(1))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The day it happened (a negotiation meeting is dated by the parties), and when it was written down.
    happened_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    actor: Mapped[User | None] = relationship()


class ClaimKind(enum.StrEnum):
    """Part 2 §6.2: how a third party answers for its breach."""

    PENALTY = "penalty"  # 违约金
    DAMAGES = "damages"  # 赔偿损失


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    AGREED = "agreed"  # the subcontractor accepts an amount
    REJECTED = "rejected"
    RECOVERED = "recovered"  # the agreed amount was recovered from it


#: Claims that count against the cap: what is recovered or agreed, and what is still claimed.
COUNTED = (ClaimStatus.SUBMITTED, ClaimStatus.AGREED, ClaimStatus.RECOVERED)


class ThirdPartyClaim(ClientScoped, db.Model):
    """A claim on an agreement against a subcontractor for its breach (Part 2 §6.2, Part 2 §6.3): a penalty or
    damages, the direct and the indirect loss with evidence; what may be recovered is capped (Part 2 §3.1)."""

    __tablename__ = "third_party_claim"
    __table_args__ = (Index("ix_third_party_claim_contract_id_status", "contract_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("third_party_intervention.id", ondelete="RESTRICT"), index=True
    )
    claimant_party: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(16))
    direct_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    direct_description: Mapped[str] = mapped_column(Text)
    indirect_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    indirect_description: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.SUBMITTED)
    agreed_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovered_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    files: Mapped[list["ThirdPartyClaimFile"]] = relationship(order_by="ThirdPartyClaimFile.id", lazy="selectin")

    @property
    def counted(self) -> Decimal:
        """What this claim takes of the cap: the amount agreed once agreed, the amount claimed until then."""
        if self.status in (ClaimStatus.AGREED, ClaimStatus.RECOVERED):
            return self.agreed_amount or Decimal(0)
        return self.total if self.status == ClaimStatus.SUBMITTED else Decimal(0)


class ThirdPartyClaimFile(ClientScoped, db.Model):
    """A file of evidence of a claim against a third party, with its SHA-256; never changed."""

    __tablename__ = "third_party_claim_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("third_party_claim.id", ondelete="RESTRICT"), index=True)
    loss: Mapped[str] = mapped_column(String(8))  # "direct" or "indirect"
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ThirdPartyDispute(ClientScoped, db.Model):
    """A dispute between the parties about a third party (Part 2 §7.1), climbing the dispute ladder, and its
    Part 2 §7.2 deadline: unresolved by then with no lawsuit filed, the other party may terminate."""

    __tablename__ = "third_party_dispute"
    __table_args__ = (UniqueConstraint("dispute_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    subcontractor_id: Mapped[int | None] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    third_party_name: Mapped[str] = mapped_column(String(200), default="")
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("third_party_intervention.id", ondelete="RESTRICT"), index=True
    )
    #: The written notice of the dispute to the other party; a termination under Part 2 §7.2 refers to it.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="RESTRICT"))
    #: The day the dispute arose, and the day Part 2 §7.2's months after it end (month ends clamped).
    arose_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    #: When both parties' admins were told of the right to terminate: once.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    dispute: Mapped[Dispute] = relationship()
    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor | None] = relationship()
    notice: Mapped[Notice | None] = relationship()

    @property
    def party_name(self) -> str:
        return self.subcontractor.legal_name if self.subcontractor is not None else self.third_party_name


append_only(InterventionStep, ThirdPartyClaimFile)
