"""Tables of the client's ratings (§12.3, §11.1 "service quality"): one rating per request, and the ask e-mailed to
its requester with a signed, single-use, expiring link."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.clock import now
from saas.core.models import User
from saas.core.tenancy import ClientScoped
from saas.core.types import UTCDateTime
from saas.extensions import db
from saas.requests.models import ServiceRequest


class RequestRating(ClientScoped, db.Model):
    """The client's rating of a resolved request, 1 to 5 with a comment; changeable until the request is closed."""

    __tablename__ = "request_rating"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_1_to_5"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: When the rating was last changed, if it was (until the request closes).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ServiceRequest] = relationship()
    rated_by: Mapped[User | None] = relationship()


class RatingAsk(ClientScoped, db.Model):
    """The e-mail asking a request's requester to rate it: once per request; its link works without signing in,
    once, until it expires."""

    __tablename__ = "rating_ask"
    __table_args__ = (UniqueConstraint("request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The secret the link carries besides its signature: a link of another ask never matches.
    nonce: Mapped[str] = mapped_column(String(43))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the link was used to rate: a second use is refused.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ServiceRequest] = relationship()
    user: Mapped[User] = relationship()
