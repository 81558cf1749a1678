"""Tables of online payment (§3.2.3): the merchant's trades (the sandbox gateway's books are its own plugin's)."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.core.clock import now
from saas.core.tenancy import ClientScoped
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
