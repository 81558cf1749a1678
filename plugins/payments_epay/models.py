"""Tables of online payment (§3.2.3): the merchant's trades, and the sandbox gateway's own apps and books."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.core.clock import now
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class TradeStatus(enum.StrEnum):
    CREATED = "created"  # the payer was sent to the provider; nothing is known yet
    PAID = "paid"  # the provider said so, in a signed notification or answer: the core payment succeeded
    CLOSED = "closed"  # abandoned, cancelled or expired at the provider: the core payment failed


class EpayTrade(ClientScoped, db.Model):
    """One press of Pay on an invoice: the trade sent to the provider, and what the provider said of it."""

    __tablename__ = "payments_epay_trade"
    __table_args__ = (UniqueConstraint("out_trade_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Our trade number at the provider (Alipay's out_trade_no): random, so nobody can guess another's.
    out_trade_no: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    #: The invoice's balance when Pay was pressed; a notification must name exactly this amount.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subject: Mapped[str] = mapped_column(String(256))
    #: Which provider the trade went to (alipay, sandbox): its keys verify what comes back.
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=TradeStatus.CREATED)
    #: The provider's own number for the trade, once it has one.
    trade_no: Mapped[str] = mapped_column(String(64), default="")
    #: The core payment recorded pending when the trade started (a late one if the trade was paid after closing).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"))
    #: Where the provider sends the payer back to (the invoice in the portal): never proof of payment.
    return_url: Mapped[str] = mapped_column(Text)
    #: Where the provider posts its notifications.
    notify_url: Mapped[str] = mapped_column(Text)
    #: After this the provider takes no payment for the trade (Alipay's time_expire).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last verified notification, every parameter as the provider sent it (the evidence).
    notification: Mapped[dict] = mapped_column(JSON, default=dict)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship()


class SandboxApp(TenantScoped, db.Model):
    """The sandbox gateway's app for one tenant: its IDs and both key pairs, made at first use, never committed.

    The merchant's half (its private key) is what the tenant signs with; the gateway's half signs what the
    sandbox sends back. In production the sandbox is off and these rows are never read.
    """

    __tablename__ = "payments_epay_sandbox_app"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("app_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 16 digits, as Alipay's sandbox app IDs.
    app_id: Mapped[str] = mapped_column(String(16))
    #: 2088 and 12 digits, as Alipay's partner IDs.
    seller_id: Mapped[str] = mapped_column(String(16))
    merchant_private_key: Mapped[str] = mapped_column(Text)
    merchant_public_key: Mapped[str] = mapped_column(Text)
    gateway_private_key: Mapped[str] = mapped_column(Text)
    gateway_public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SandboxTrade(TenantScoped, db.Model):
    """A trade in the sandbox gateway's own books: what the payer did at its cashier."""

    __tablename__ = "payments_epay_sandbox_trade"
    __table_args__ = (UniqueConstraint("app_id", "out_trade_no"), UniqueConstraint("trade_no"),
                      UniqueConstraint("token"))  # fmt: skip
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
