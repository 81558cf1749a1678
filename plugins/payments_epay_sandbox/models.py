"""Tables of the Alipay sandbox gateway (development and tests only): its apps, one per tenant, and its books."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.clock import now
from saas.core.secrets import EncryptedText
from saas.core.tenancy import TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class SandboxApp(TenantScoped, db.Model):
    """The sandbox gateway's app for one tenant: its IDs and both key pairs, made at first use, never committed.

    The merchant's half (its private key) is what the tenant signs with; the gateway's half signs what the
    sandbox sends back. A production instance does not load this plugin and has no such table.
    """

    __tablename__ = "payments_epay_sandbox_app"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("app_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 16 digits, as Alipay's sandbox app IDs.
    app_id: Mapped[str] = mapped_column(String(16))
    #: 2088 and 12 digits, as Alipay's partner IDs.
    seller_id: Mapped[str] = mapped_column(String(16))
    #: Private keys are sealed at rest (saas/core/secrets.py); the public halves are not secrets.
    merchant_private_key: Mapped[str] = mapped_column(EncryptedText)
    merchant_public_key: Mapped[str] = mapped_column(Text)
    gateway_private_key: Mapped[str] = mapped_column(EncryptedText)
    gateway_public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SandboxTrade(TenantScoped, db.Model):
    """A trade in the sandbox gateway's own books: what the payer did at its cashier."""

    __tablename__ = "payments_epay_sandbox_trade"
    __table_args__ = (
        UniqueConstraint("app_id", "out_trade_no"),
        UniqueConstraint("trade_no"),
        UniqueConstraint("token"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("payments_epay_sandbox_app.id", ondelete="CASCADE"), index=True)
    out_trade_no: Mapped[str] = mapped_column(String(64))
    #: The gateway's number for the trade (28 digits, as Alipay's).
    trade_no: Mapped[str] = mapped_column(String(64))
    #: The cashier page's address: random, so nobody reaches another payer's cashier.
    token: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    total_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: Alipay's trade statuses: WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED.
    status: Mapped[str] = mapped_column(String(20), default="WAIT_BUYER_PAY")
    notify_url: Mapped[str] = mapped_column(Text)
    return_url: Mapped[str] = mapped_column(Text, default="")
    #: The merchant's time_expire: no payment after it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Notifications posted for the trade's current status, and when the merchant answered "success".
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    app: Mapped[SandboxApp] = relationship()
