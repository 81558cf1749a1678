"""Where the extended coverage applied (§13): one row per request raised under a running add-on agreement, with the
due times it would have had and the ones it got, for the request page and the compliance view."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.addons.models import AddonAgreement
from saas.core.clock import now
from saas.core.tenancy import ClientScoped
from saas.core.types import UTCDateTime
from saas.extensions import db
from saas.requests.models import ServiceRequest


class CoverageApplied(ClientScoped, db.Model):
    """A request whose SLA clocks the add-on agreement changed when it was raised: before and after."""

    __tablename__ = "addon_extended_coverage_applied"
    __table_args__ = (UniqueConstraint("request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("addon_agreement.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: The calendar's name before and after (empty: around the clock).
    calendar_before: Mapped[str] = mapped_column(String(120), default="")
    calendar_after: Mapped[str] = mapped_column(String(120), default="")
    response_hours_before: Mapped[int] = mapped_column(Integer)
    response_hours_after: Mapped[int] = mapped_column(Integer)
    response_due_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_due_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    request: Mapped[ServiceRequest] = relationship()
    agreement: Mapped[AddonAgreement] = relationship()
