"""Subcontractors (Part 2 §1.1), their qualifications, and the joint selection of one for an agreement (Part 2 §4.1)."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract, Service
from saas.core.clock import now
from saas.core.models import User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import UTCDateTime
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
