"""Tables of client feedback (§12.2, §12.3, Annex 8): what the client said, how it was handled, the outcome."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User, append_only
from saas.core.tenancy import ClientScoped
from saas.core.types import UTCDateTime
from saas.extensions import db
from saas.requests.models import ServiceRequest


class FeedbackKind(enum.StrEnum):
    PRAISE = "praise"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class FeedbackChannel(enum.StrEnum):
    """§12.2: the client writes in the portal, or calls or e-mails and the vendor's staff log it."""

    PORTAL = "portal"
    PHONE = "phone"
    EMAIL = "email"


class FeedbackStatus(enum.StrEnum):
    """§12.3: received → handling → outcome proposed → confirmed by the client (or rejected: handling again)."""

    RECEIVED = "received"
    HANDLING = "handling"
    OUTCOME_PROPOSED = "outcome_proposed"
    CONFIRMED = "confirmed"


class Feedback(ClientScoped, db.Model):
    """A client's praise, complaint or suggestion (§12.2) and its handling to an outcome the client confirms (§12.3)."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # The vendor's list, newest first (keyset on id), optionally by status.
        Index("ix_feedback_tenant_status_id", "tenant_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Numbered per tenant, as people quote it ("F-12").
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), default=FeedbackChannel.PORTAL)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: The request the feedback is about, when it is about one (always of the same client).
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_request.id", ondelete="SET NULL"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(24), default=FeedbackStatus.RECEIVED)
    #: The vendor's person who took it up.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The handling and its result as proposed to the client (Annex 8: 处理方式、处理结果).
    outcome: Mapped[str] = mapped_column(Text, default="")
    #: Who raised it in the portal; for phone and e-mail, the name and contact as told.
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_detail: Mapped[str] = mapped_column(String(200), default="")
    #: Who logged it for the client (phone, e-mail).
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    outcome_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    client: Mapped[Client] = relationship()
    contract: Mapped[Contract | None] = relationship()
    request: Mapped[ServiceRequest | None] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    @property
    def reference(self) -> str:
        return f"F-{self.number}"


class FeedbackEvent(ClientScoped, db.Model):
    """Append-only process record of a feedback (Annex 8): who moved it, when, from and to which status, and why."""

    __tablename__ = "feedback_event"
    __table_args__ = (Index("ix_feedback_event_feedback_id_id", "feedback_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    from_status: Mapped[str] = mapped_column(String(24), default="")
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    actor: Mapped[User | None] = relationship()


append_only(FeedbackEvent)
