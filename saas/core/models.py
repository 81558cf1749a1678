"""The core tables: tenants (vendors), people and their memberships, clients, invitations, audit, mail."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, delete, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.clock import now
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db


class Role(enum.StrEnum):
    """What a person may do inside one tenant."""

    VENDOR_ADMIN = "vendor_admin"
    VENDOR_ENGINEER = "vendor_engineer"
    VENDOR_BILLING = "vendor_billing"
    CLIENT_ADMIN = "client_admin"
    CLIENT_USER = "client_user"
    THIRD_PARTY = "third_party"

    @property
    def is_vendor(self) -> bool:
        return self in VENDOR_ROLES

    @property
    def is_client(self) -> bool:
        return self in CLIENT_ROLES


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_ENGINEER, Role.VENDOR_BILLING})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_USER})


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(db.Model):
    """A vendor (Party B, 乙方) hosting its clients on this instance."""

    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL segment: /t/<slug>/...
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, validated with stdnum.cn.uscc.
    uscc: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(400), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class User(UserMixin, db.Model):
    """A person who can sign in; belongs to tenants through memberships."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Runs the instance: creates and suspends tenants, enables plugins.
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Preferred UI language; None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", lazy="selectin")

    #: The key of the sign-in this request runs under (set by sign-in and by the user loader; not stored here).
    session_key = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: the account and its sign-in, so ending that sign-in ends every copy."""
        return f"{self.id}:{self.session_key}"

    def membership_in(self, tenant_id: int) -> "Membership | None":
        return next((m for m in self.memberships if m.tenant_id == tenant_id), None)


class UserSession(db.Model):
    """A live sign-in: the session cookie carries its key; signing out deletes the row, so no copy still works."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random key in the (signed) cookie: the table alone cannot be replayed as a session.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


@event.listens_for(User, "before_update")
def _end_sign_ins_on_credential_change(mapper, connection, user: User) -> None:
    """A new password or a deactivated account ends the person's sign-ins, whichever code made the change."""
    state = inspect(user)
    if state.attrs.password_hash.history.added or state.attrs.active.history.added == [False]:
        connection.execute(delete(UserSession.__table__).where(UserSession.user_id == user.id))


class Membership(TenantScoped, db.Model):
    """A person's role inside one tenant; client roles also name the client organisation."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    #: Set for client_admin and client_user: the client organisation they belong to.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant: Mapped[Tenant] = relationship(lazy="joined")
    client: Mapped["Client | None"] = relationship()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class Client(TenantScoped, db.Model):
    """A client organisation of a vendor (Party A, 甲方)."""

    __tablename__ = "client"
    __table_args__ = (UniqueConstraint("tenant_id", "uscc"), Index("ix_client_tenant_name", "tenant_id", "legal_name"))
    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, 18 characters, checked with stdnum.cn.uscc.
    uscc: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(400), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contacts: Mapped[list["ClientContact"]] = relationship(
        back_populates="client", order_by="ClientContact.id", cascade="all, delete-orphan"
    )


class ClientContact(ClientScoped, db.Model):
    """A named contact person at a client (not necessarily a user who signs in)."""

    __tablename__ = "client_contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: Receives invoices and payment reminders.
    is_billing: Mapped[bool] = mapped_column(Boolean, default=False)

    client: Mapped[Client] = relationship(back_populates="contacts")


class Invitation(TenantScoped, db.Model):
    """An e-mailed invitation to join a tenant with a role; accepted once, before it expires."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Random part of the signed token; rotating it invalidates links already sent.
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the inviter was told the invitation expired unanswered (the daily job does it once).
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    client: Mapped[Client | None] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def status_at(self, when) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if when >= self.expires_at:
            return "expired"
        return "pending"


class TenantPlugin(TenantScoped, db.Model):
    """Whether a plugin is enabled for a tenant, and that tenant's settings for it."""

    __tablename__ = "tenant_plugin"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditEvent(db.Model):
    """Append-only record of who did what: sign-ins, invitations, role changes, tenant administration."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_tenant_id_desc", "tenant_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for platform-level events (tenant created, failed sign-in with an unknown e-mail).
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The e-mail typed or the actor's e-mail at the time: kept even if the account goes.
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    actor: Mapped[User | None] = relationship()


class MailMessage(db.Model):
    """Every e-mail the product sends: the record behind the outbox page and the job's idempotency."""

    __tablename__ = "mail_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    #: Deterministic key ("invitation:12:nonce") so a re-run job never sends the same mail twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    #: The files sent with it: [{"filename": "INV-2026-000001.pdf", "mimetype": "application/pdf"}].
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    backend: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an append-only record."""


def _refuse_change(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


def append_only(*models) -> None:
    """Make these models' rows append-only: an UPDATE or DELETE through the session raises AppendOnlyError."""
    for model in models:
        event.listen(model, "before_update", _refuse_change)
        event.listen(model, "before_delete", _refuse_change)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise AppendOnlyError("audit events are append-only")
