"""Tables of the requests domain: categories, requests with their SLA clocks, visits and breaches."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.calendars.models import ServiceCalendar
from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User, append_only
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db
from saas.team.models import TeamMember


class RequestKind(enum.StrEnum):
    """The handling standards of §4.3: each names the contract hours that govern the response."""

    REMOTE_SUPPORT = "remote_support"  # §2.1.1, 7x24
    ONSITE_SUPPORT = "onsite_support"  # §2.1.2, with an arrival deadline
    FAULT = "fault"  # §2.2.2
    CONSULTATION = "consultation"  # §2.3
    TRAINING = "training"  # §2.1.3
    UPGRADE = "upgrade"  # §2.2.3
    GENERAL = "general"  # §4.1


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class RequestStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CLIENT = "waiting_on_client"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.ACKNOWLEDGED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.WAITING_ON_CLIENT,
)


class Channel(enum.StrEnum):
    """How a request reached the vendor (§2.1.1: portal, e-mail, phone, online chat, API; §2.2.1 monitoring)."""

    PORTAL = "portal"
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    API = "api"
    MONITORING = "monitoring"


class RequestCategory(TenantScoped, db.Model):
    """A category of requests with its handling standard (§4.3): calendar and resolution targets per priority."""

    __tablename__ = "request_category"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    #: Which standard applies, and so which of the contract's response hours (the contract always wins).
    kind: Mapped[str] = mapped_column(String(24))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: The calendar the SLA clocks of this category run on; none means around the clock.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("service_calendar.id", ondelete="SET NULL"))
    #: Working hours to resolve, per priority: {"urgent": 8, "high": 24, "normal": 72, "low": 160}.
    resolution_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    calendar: Mapped[ServiceCalendar | None] = relationship()


class RequestSequence(TenantScoped, db.Model):
    """The last request number given out per tenant (numbers people quote on the phone: #1024)."""

    __tablename__ = "request_sequence"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class ServiceRequest(ClientScoped, db.Model):
    """A client's service request (§4.2) under the contract in force, with its SLA due times (§4.1, §2.1.2)."""

    __tablename__ = "service_request"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # The vendor queue: open requests of a tenant by due time (keyset on (due, id)).
        Index("ix_service_request_queue", "tenant_id", "is_open", "next_due_at", "id"),
        Index("ix_service_request_tenant_id_desc", "tenant_id", "id"),
        # The SLA sweep: open requests whose next due time has passed.
        Index("ix_service_request_sweep", "next_due_at", postgresql_where=text("is_open")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("request_category.id", ondelete="RESTRICT"))
    #: The category's kind when raised: what decides the contract hours that apply.
    kind: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(12), default=Priority.NORMAL)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.PORTAL)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default=RequestStatus.NEW)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Who asked, as told on the phone or in the e-mail (or the requester's name when raised in the portal).
    requester_name: Mapped[str] = mapped_column(String(120), default="")
    requester_contact: Mapped[str] = mapped_column(String(200), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("team_member.id", ondelete="SET NULL"), index=True)
    #: Alertmanager fingerprint (or another system's key) that opened it: one open request per alert.
    source_key: Mapped[str | None] = mapped_column(String(200))
    #: When the vendor received it: the start of every SLA clock.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: The targets as they were when raised (contract hours and the category's standard), kept as evidence.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("service_calendar.id", ondelete="SET NULL"))
    response_hours: Mapped[int] = mapped_column(Integer)
    resolution_hours: Mapped[int] = mapped_column(Integer)
    arrival_hours: Mapped[int | None] = mapped_column(Integer)
    #: Due times; None while the clock is paused (waiting on the client).
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrival_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The earliest due time not yet met: the queue sorts and the sweep looks on it.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_arrival_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The clocks' pause start while waiting on the client (or resolved, until reopened or closed).
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which deadlines were missed: set by the breach record, shown in lists without a join.
    response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    arrival_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    client: Mapped[Client] = relationship()
    contract: Mapped[Contract] = relationship()
    category: Mapped[RequestCategory] = relationship()
    assignee: Mapped[TeamMember | None] = relationship()
    requester: Mapped[User | None] = relationship()
    calendar: Mapped[ServiceCalendar | None] = relationship()
    pauses: Mapped[list["RequestPause"]] = relationship(order_by="RequestPause.started_at", viewonly=True)

    @property
    def reference(self) -> str:
        return f"#{self.number}"


class RequestPause(ClientScoped, db.Model):
    """A stretch when the SLA clocks stood still: waiting on the client, or resolved until reopened."""

    __tablename__ = "request_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RequestEvent(ClientScoped, db.Model):
    """Append-only timeline of a request: status changes, replies, internal notes, assignments, visits."""

    __tablename__ = "request_event"
    __table_args__ = (Index("ix_request_event_request_id_id", "request_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: created, status, reply, note, assigned, attachment, visit, breach, alert.
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(24), default="")
    to_status: Mapped[str] = mapped_column(String(24), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    #: Internal notes are for the vendor's staff only; everything else the client sees.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    actor: Mapped[User | None] = relationship()


class RequestAttachment(ClientScoped, db.Model):
    """A file attached to a request (screenshots, logs), stored with the request."""

    __tablename__ = "request_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Attached to an internal note: the client does not see it.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SiteVisit(ClientScoped, db.Model):
    """An engineer's on-site visit (§2.1.2): arrival and departure as the engineer recorded them."""

    __tablename__ = "site_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("team_member.id", ondelete="SET NULL"))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    engineer: Mapped[TeamMember | None] = relationship()


class BreachKind(enum.StrEnum):
    RESPONSE = "response"  # §8.1.2 the response deadline was missed
    ARRIVAL = "arrival"  # §2.1.2 / §8.1.1 the engineer arrived late
    RESOLUTION = "resolution"  # §8.1.3 not handled within the resolution target
    NOT_FIXED = "not_fixed"  # §8.1.1 below the agreed standard: the client rejected the resolution twice
    BELOW_STANDARD = "below_standard"  # §8.1.1 recorded by hand with evidence (an upheld complaint, an audit)


class SlaBreach(ClientScoped, db.Model):
    """A recorded breach of the vendor (§8.1.2, §8.1.3) with its evidence; once per request and deadline."""

    __tablename__ = "sla_breach"
    __table_args__ = (UniqueConstraint("request_id", "kind"), Index("ix_sla_breach_contract_id", "contract_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    #: The agreement's clause: "8.1.2", "8.1.1" or "8.1.3".
    clause: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the deadline was met after all (late), or None when still unmet at detection.
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Raised and due times, target hours, the calendar and every pause: how the due time was computed.
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    request: Mapped[ServiceRequest] = relationship()
    files: Mapped[list["BreachFile"]] = relationship(order_by="BreachFile.id", lazy="selectin", viewonly=True)


class BreachFile(ClientScoped, db.Model):
    """A file of evidence recorded with a breach (§8.1.1 by hand); never changed or removed."""

    __tablename__ = "breach_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("sla_breach.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


append_only(BreachFile, RequestEvent, SlaBreach)
