"""Tables of the API: the tenants' API tokens."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.clock import now
from saas.core.models import Client, Tenant, User
from saas.core.tenancy import TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db


class ApiToken(TenantScoped, db.Model):
    """A secret that lets another system use the tenant's API (§2.1.1 requests by API, §2.2.1 alerts)."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: SHA-256 (hex) of the secret: the secret itself is shown once at creation and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The secret's first characters, so people can tell their tokens apart in lists and logs.
    prefix: Mapped[str] = mapped_column(String(16))
    #: What the token may do: "requests:read", "requests:write", "alerts:write".
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    #: A token restricted to one client acts for that client and sees nothing of the others.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    client: Mapped[Client | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
