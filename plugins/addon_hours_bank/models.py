"""The hours bank's time entries (§13): each stretch of an engineer's time on a service request, remote or on site."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.clock import now
from saas.core.models import User
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db
from saas.requests.models import ServiceRequest


class EntryKind(enum.StrEnum):
    REMOTE = "remote"
    ON_SITE = "on_site"  # an on-site visit


class TimeEntry(ClientScoped, db.Model):
    """Hours an engineer worked on a request on one day; they draw the hours bank running on the request's agreement
    that day, if one does. `once` is the submitting form's one-time token: the same form sent twice logs once."""

    __tablename__ = "addon_hours_bank_entry"
    __table_args__ = (
        UniqueConstraint("tenant_id", "once"),
        # A bank's months read the agreement's entries by day.
        Index("ix_addon_hours_bank_entry_contract_day", "contract_id", "worked_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="RESTRICT"), index=True)
    #: The request's main agreement, kept with the entry so a bank's months are read without the requests.
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default=EntryKind.REMOTE)
    worked_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    note: Mapped[str] = mapped_column(Text, default="")
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    once: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    request: Mapped[ServiceRequest] = relationship()
    logged_by: Mapped[User | None] = relationship()
