"""Tables of the support team (§5, Annex 2): members, certificates, assignment rules, a contract's named engineers."""

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.models import User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.extensions import db


class TeamRole(enum.StrEnum):
    """The roles of the vendor's support team (§5.1)."""

    SYSTEM_ENGINEER = "system_engineer"
    DBA = "dba"
    NETWORK_ENGINEER = "network_engineer"
    SECURITY_ENGINEER = "security_engineer"
    SUPPORT_ENGINEER = "support_engineer"
    PROJECT_MANAGER = "project_manager"


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"  # on leave or in training


class TeamMember(TenantScoped, db.Model):
    """A person of the vendor's support team (§5.1, Annex 2): role, skills, availability."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The member's sign-in account, when they use the product themselves.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    #: §5.1 system_engineer, dba, network_engineer, security_engineer, support_engineer, project_manager.
    team_role: Mapped[str] = mapped_column(String(32))
    skills: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: available, busy or away (leave, training): only available members are assigned by rule.
    availability: Mapped[str] = mapped_column(String(16), default="available")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User | None] = relationship()


class TeamCertificate(TenantScoped, db.Model):
    """A qualification a team member holds (§5.2, Annex 2), e.g. "Oracle OCP", with its expiry date."""

    __tablename__ = "team_certificate"
    # The daily expiry warning looks for a tenant's certificates by expiry date.
    __table_args__ = (Index("ix_team_certificate_tenant_expires", "tenant_id", "expires_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(120), default="")
    #: The certificate's number, as printed on it.
    number: Mapped[str] = mapped_column(String(80), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    #: None: the certificate never expires.
    expires_on: Mapped[date | None] = mapped_column(Date)

    member: Mapped[TeamMember] = relationship()


class AssignmentRule(TenantScoped, db.Model):
    """Which team role takes a category's new requests (§5.1); one rule per category."""

    __tablename__ = "assignment_rule"
    __table_args__ = (UniqueConstraint("tenant_id", "category_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("request_category.id", ondelete="CASCADE"))
    team_role: Mapped[str] = mapped_column(String(32))

    # By name, not imported: saas.requests.models builds on this module (a request's assignee is a member).
    category = relationship("RequestCategory")


class ContractEngineer(ClientScoped, db.Model):
    """An engineer named in a contract's team list (Annex 2): preferred for that contract's requests."""

    __tablename__ = "contract_engineer"
    __table_args__ = (UniqueConstraint("contract_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="CASCADE"), index=True)

    member: Mapped[TeamMember] = relationship()
