"""The cheque register (§3.2.2): each cheque a client hands over, and where it stands with the bank."""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice, Payment
from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import Client, User
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db

#: A cheque is presented for payment within ten days of its date (Negotiable Instruments Law of the PRC, art. 91).
PRESENTMENT_DAYS = 10


class ChequeStatus(enum.StrEnum):
    RECEIVED = "received"  # in the vendor's hands, not yet at the bank
    DEPOSITED = "deposited"  # paid in at the vendor's bank, waiting for the drawee bank
    CLEARED = "cleared"  # the money is in: the core's payment succeeded
    BOUNCED = "bounced"  # refused or returned by the bank: the payment failed, or was reversed if it had cleared


class Cheque(ClientScoped, db.Model):
    """A cheque of a client, tied to the core payment it announces (provider `payments_cheque`)."""

    __tablename__ = "payments_cheque_cheque"
    __table_args__ = (
        # A cheque is known by its bank and number: the same one twice is the same cheque.
        UniqueConstraint("tenant_id", "drawee_bank", "number"),
        Index("ix_payments_cheque_cheque_tenant_id_status", "tenant_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: As printed on the cheque, without spaces.
    number: Mapped[str] = mapped_column(String(20))
    #: The bank the cheque is drawn on (付款行), its spaces collapsed.
    drawee_bank: Mapped[str] = mapped_column(String(100))
    #: Who signed the cheque (出票人), usually the client itself.
    drawer_name: Mapped[str] = mapped_column(String(200))
    drawer_account: Mapped[str] = mapped_column(String(40), default="")
    cheque_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    #: The invoice the cheque pays; None: the client's oldest open invoices.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    #: The core's payment this cheque announced when it was recorded.
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ChequeStatus.RECEIVED)
    note: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column(Date)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    deposited_on: Mapped[date | None] = mapped_column(Date)
    deposited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Where it was paid in (the tenant's deposit bank unless staff said otherwise).
    deposit_bank: Mapped[str] = mapped_column(String(200), default="")
    cleared_on: Mapped[date | None] = mapped_column(Date)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    bounced_on: Mapped[date | None] = mapped_column(Date)
    bounced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    bounce_reason: Mapped[str] = mapped_column(Text, default="")
    #: The tenant's bounce fee when it bounced, charged on the next invoice of fee_contract_id (0: none).
    bounce_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    fee_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id", ondelete="SET NULL"))
    #: The invoice the bounce fee went on; None while it waits for the next invoice.
    fee_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    client: Mapped[Client] = relationship()
    invoice: Mapped[Invoice | None] = relationship(foreign_keys=[invoice_id])
    payment: Mapped[Payment] = relationship()
    fee_contract: Mapped[Contract | None] = relationship()
    fee_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[fee_invoice_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    deposited_by: Mapped[User | None] = relationship(foreign_keys=[deposited_by_id])
    cleared_by: Mapped[User | None] = relationship(foreign_keys=[cleared_by_id])
    bounced_by: Mapped[User | None] = relationship(foreign_keys=[bounced_by_id])

    @property
    def present_by(self) -> date:
        """The last day to present it to the bank."""
        return self.cheque_date + timedelta(days=PRESENTMENT_DAYS)

    @property
    def fee_waiting(self) -> bool:
        """A bounce fee that no invoice has carried yet."""
        return bool(self.bounce_fee) and self.fee_invoice_id is None
