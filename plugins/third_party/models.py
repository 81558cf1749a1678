"""Subcontractors (Part 2 §1.1), their qualifications, and the joint selection of one for an agreement (Part 2 §4.1)."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract, Service
from saas.core.clock import now
from saas.core.models import User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class SubcontractorStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # kept on file with its reason; it may not be proposed for any agreement


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting for the client's admin
    APPROVED = "approved"  # jointly selected: it may work on the agreement
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # taken back by the vendor, before or after approval


#: A proposal that still stands: another of the same subcontractor for the same agreement would be a duplicate.
OPEN_PROPOSALS = (ProposalStatus.PROPOSED, ProposalStatus.APPROVED)


class Subcontractor(TenantScoped, db.Model):
    """A company the vendor may subcontract work to, once the client has agreed to it (Part 2 §1.1)."""

    __tablename__ = "third_party_subcontractor"
    __table_args__ = (
        # One company is on file once per vendor: the credit code names it.
        UniqueConstraint("tenant_id", "uscc"),
        Index("ix_third_party_subcontractor_tenant_id_status", "tenant_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, validated with stdnum.cn.uscc.
    uscc: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(400), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    #: Where it can work, as the vendor writes it ("上海", "华东"), in the order given.
    regions: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=SubcontractorStatus.ACTIVE)
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    service_links: Mapped[list["SubcontractorService"]] = relationship(
        back_populates="subcontractor", cascade="all, delete-orphan", order_by="SubcontractorService.service_id"
    )
    qualifications: Mapped[list["Qualification"]] = relationship(
        back_populates="subcontractor", cascade="all, delete-orphan", order_by="Qualification.id"
    )

    @property
    def services(self) -> list[Service]:
        return [link.service for link in self.service_links]

    @property
    def active(self) -> bool:
        return self.status == SubcontractorStatus.ACTIVE


class SubcontractorService(TenantScoped, db.Model):
    """A service of the vendor's catalogue the subcontractor can take on."""

    __tablename__ = "third_party_subcontractor_service"
    __table_args__ = (UniqueConstraint("subcontractor_id", "service_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)

    subcontractor: Mapped[Subcontractor] = relationship(back_populates="service_links")
    service: Mapped[Service] = relationship()


class Qualification(TenantScoped, db.Model):
    """A qualification or certificate the subcontractor holds; warned before it lapses."""

    __tablename__ = "third_party_qualification"
    id: Mapped[int] = mapped_column(primary_key=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    #: None: it does not expire (never warned).
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    subcontractor: Mapped[Subcontractor] = relationship(back_populates="qualifications")


class Proposal(ClientScoped, db.Model):
    """The vendor's proposal of a subcontractor for one of the client's agreements, for the client's admin to decide
    (Part 2 §4.1)."""

    __tablename__ = "third_party_proposal"
    __table_args__ = (
        # Two identical submissions at once make one proposal: the second hits this index.
        Index(
            "uq_third_party_proposal_open",
            "contract_id",
            "subcontractor_id",
            unique=True,
            postgresql_where=text("status IN ('proposed', 'approved')"),
            sqlite_where=text("status IN ('proposed', 'approved')"),
        ),
        Index("ix_third_party_proposal_tenant_id_status", "tenant_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    #: What the subcontractor would do under the agreement, as the vendor puts it to the client.
    scope: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PROPOSED)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the client rejected it (required then), or a note with its approval.
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Member(TenantScoped, db.Model):
    """A third-party user's place in one subcontractor: what decides the work they see (Part 2 §8.2).

    Keyed by the person's e-mail (as sign-ins are), so that someone invited is placed before they accept."""

    __tablename__ = "third_party_member"
    # A person works for one subcontractor of a vendor: two would let them see both's work.
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    subcontractor: Mapped[Subcontractor] = relationship()


class AgreementStatus(enum.StrEnum):
    ACTIVE = "active"  # in force between its dates
    SUSPENDED = "suspended"  # the subcontractor may take no new work under it; both parties warned
    ENDED = "ended"  # ended early by the vendor


class Agreement(ClientScoped, db.Model):
    """The vendor's agreement with a subcontractor for a client's agreement, attached to it as annex 6 (Part 2 §4.2):
    its scope, the fee, its back-to-back hours toward the vendor, its term and the signed file."""

    __tablename__ = "third_party_agreement"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_third_party_agreement_tenant_id_ends_on", "tenant_id", "ends_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    #: The services of the vendor's catalogue it takes on (the lines of the fee schedule, Annex 1).
    service_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: Narrower: only these request categories (empty: every category of those kinds).
    category_ids: Mapped[list] = mapped_column(JSON, default=list)
    regions: Mapped[list] = mapped_column(JSON, default=list)
    monthly_fee: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: Back-to-back hours toward the vendor, in working hours of the request's calendar, from the assignment.
    response_hours: Mapped[int] = mapped_column(Integer)
    resolution_hours: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=AgreementStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    #: The day both parties were warned of its end (Part 2 §4.2): warned once.
    expiry_warned_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor] = relationship()


class Assignment(ClientScoped, db.Model):
    """A request given to a subcontractor under its agreement, with the back-to-back clock that runs from then
    (Part 2 §6.1): released when the vendor takes it back."""

    __tablename__ = "third_party_assignment"
    __table_args__ = (
        # One subcontractor holds a request at a time: two assignments at once make one.
        Index(
            "uq_third_party_assignment_open",
            "request_id",
            unique=True,
            postgresql_where=text("released_at IS NULL"),
            sqlite_where=text("released_at IS NULL"),
        ),
        Index("ix_third_party_assignment_subcontractor_id_released_at", "subcontractor_id", "released_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    agreement_id: Mapped[int] = mapped_column(ForeignKey("third_party_agreement.id", ondelete="RESTRICT"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_hours: Mapped[int] = mapped_column(Integer)
    resolution_hours: Mapped[int] = mapped_column(Integer)
    #: When the subcontractor first answered or arrived, and resolved, while it held the request.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set once the back-to-back sweep has settled each target (met or breached): it is not looked at again.
    response_settled: Mapped[bool] = mapped_column(default=False)
    resolution_settled: Mapped[bool] = mapped_column(default=False)

    subcontractor: Mapped[Subcontractor] = relationship()
    agreement: Mapped[Agreement] = relationship()


class BreachKind(enum.StrEnum):
    RESPONSE = "response"  # Part 2 §6.1.2: late to answer toward the vendor
    RESOLUTION = "resolution"  # Part 2 §6.1.3: late to resolve
    BELOW_STANDARD = "below_standard"  # Part 2 §6.1.1: a service not provided or below the standard
    INFRINGEMENT = "infringement"  # Part 2 §6.1.4: infringed others' rights (recorded by hand)


class Breach(ClientScoped, db.Model):
    """A breach by a subcontractor (Part 2 §6.1), attributed to it, with its evidence; append-only."""

    __tablename__ = "third_party_breach"
    __table_args__ = (
        # The sweep records each late target of an assignment once, however often it runs (breaches recorded by
        # hand have no assignment: NULLs never collide).
        UniqueConstraint("assignment_id", "kind"),
        Index("ix_third_party_breach_tenant_id_subcontractor_id", "tenant_id", "subcontractor_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("third_party_assignment.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    #: Part 2 clause: "6.1.1" to "6.1.4".
    clause: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    subcontractor: Mapped[Subcontractor] = relationship()
    contract: Mapped[Contract] = relationship()


class SharedNote(ClientScoped, db.Model):
    """An internal note of a request the vendor chose to show the subcontractor holding it (Part 2 §8.2)."""

    __tablename__ = "third_party_shared_note"
    __table_args__ = (UniqueConstraint("event_id", "subcontractor_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("request_event.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="CASCADE"), index=True
    )
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class BreachEvidence(ClientScoped, db.Model):
    """A file of evidence of a subcontractor's breach recorded by hand, with its SHA-256."""

    __tablename__ = "third_party_breach_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("third_party_breach.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ChangeLink(ClientScoped, db.Model):
    """A change agreement of a client's agreement raised because of a third party (Part 2 §9.1), or its termination
    because of one (Part 2 §10), with the reason; the change itself is the contracts domain's."""

    __tablename__ = "third_party_change"
    __table_args__ = (UniqueConstraint("change_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("contract_change.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    #: "9.1" for an amendment, "10" for a termination.
    clause: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    subcontractor: Mapped[Subcontractor] = relationship()


class TransferStatus(enum.StrEnum):
    AWAITING_SIGNATURES = "awaiting_signatures"  # written, not in force until both parties have signed
    SIGNED = "signed"  # signed by both: in force from its first day, until ended
    ENDED = "ended"  # ended by the vendor with a reason (or withdrawn before both signed); routes nothing


class Transfer(ClientScoped, db.Model):
    """A written transfer of part of the vendor's obligations under a client's agreement to a subcontractor (Part 2
    §4.3): its scope within the subcontractor's annex 6 agreement, its first day; signed by both parties through the
    contracts domain's signing (its text and signatures are the contract's documents of subject `subject`)."""

    __tablename__ = "third_party_transfer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # One transfer of a subcontractor awaits signatures on an agreement at a time: two at once make one.
        Index(
            "uq_third_party_transfer_awaiting",
            "contract_id",
            "subcontractor_id",
            unique=True,
            postgresql_where=text("status = 'awaiting_signatures'"),
            sqlite_where=text("status = 'awaiting_signatures'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("third_party_subcontractor.id", ondelete="RESTRICT"), index=True
    )
    #: The annex 6 agreement whose scope holds the transferred one.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("third_party_agreement.id", ondelete="RESTRICT"), index=True)
    #: The services of the fee schedule transferred, and narrower, only these request categories (empty: all).
    service_ids: Mapped[list] = mapped_column(JSON, default=list)
    category_ids: Mapped[list] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default=TransferStatus.AWAITING_SIGNATURES)
    signed_on: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    subcontractor: Mapped[Subcontractor] = relationship()
    agreement: Mapped[Agreement] = relationship()

    @property
    def subject(self) -> str:
        """The signing subject of its text in the contracts domain (ContractDocument.subject, 40 characters)."""
        return f"tp-transfer-{self.id}"
