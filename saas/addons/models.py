"""Tables of the add-on services (§13): the vendor's offers of the types its enabled plugins provide, the add-on
agreements signed under a client's main agreement, and each charge billed on the main agreement's invoice."""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class Fee(enum.StrEnum):
    """The ways an add-on may be priced (§13.2), alone or together."""

    ONE_OFF = "one_off"
    MONTHLY = "monthly"  # per period of the main agreement, prorated by day
    YEARLY = "yearly"  # per year from the add-on's first day, billed on each anniversary
    USAGE = "usage"  # the period's measured quantity × the unit price


class AddonOffer(TenantScoped, db.Model):
    """An add-on the vendor sells: one of the types its enabled plugins provide, with its own prices and terms."""

    __tablename__ = "addon_offer"
    id: Mapped[int] = mapped_column(primary_key=True)
    addon_type: Mapped[str] = mapped_column(String(60))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    one_off_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    monthly_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    yearly_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    #: The terms an agreement starts from (the type's fields and defaults, as the vendor set them).
    default_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class AddonStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    ACTIVE = "active"  # both parties signed (§13.3)
    ENDED = "ended"


class AddonAgreement(ClientScoped, db.Model):
    """An add-on agreement under a client's main agreement (§13.1): its own text, terms, fees and term, in force once
    both parties have signed it (§13.3); it never outlives the main agreement."""

    __tablename__ = "addon_agreement"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("addon_offer.id", ondelete="RESTRICT"))
    addon_type: Mapped[str] = mapped_column(String(60))
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: The offer's prices as agreed: later changes to the offer do not reach a signed agreement.
    one_off_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    monthly_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    yearly_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    starts_on: Mapped[date] = mapped_column(Date)
    #: The first day after its term, as the main agreement's `ends_on`.
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default=AddonStatus.DRAFT)
    signed_on: Mapped[date | None] = mapped_column(Date)
    #: Ended early: the first day it no longer runs (nothing is billed from then on).
    ended_from: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str] = mapped_column(Text, default="")
    requested_by_client: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The add-on agreement this one amends: once signed, it replaces that one from its own first day.
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("addon_agreement.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()
    offer: Mapped[AddonOffer] = relationship()
    amends: Mapped["AddonAgreement | None"] = relationship(remote_side="AddonAgreement.id")

    @property
    def subject(self) -> str:
        """Its documents and signatures among the main agreement's (saas.contracts.signing)."""
        return f"addon-{self.id}"

    @property
    def stop(self) -> date:
        """The first day it no longer runs: its term's end, or the day it was ended from."""
        return min(self.ends_on, self.ended_from) if self.ended_from else self.ends_on

    @property
    def last_day(self) -> date:
        """Its last day in force (withdrawn before it began: its first day, which it never ran)."""
        return max(self.starts_on, self.stop - timedelta(days=1))


class AddonCharge(ClientScoped, db.Model):
    """One fee of an add-on agreement for one stretch (§13.2), written when the main agreement's invoice takes it:
    once per agreement, fee and stretch, whatever re-runs happen."""

    __tablename__ = "addon_charge"
    __table_args__ = (UniqueConstraint("agreement_id", "fee", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("addon_agreement.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    fee: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    days: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: How the quantity was measured (usage), or how the amount was prorated.
    how: Mapped[str] = mapped_column(Text, default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    agreement: Mapped[AddonAgreement] = relationship()
