"""Tables of the contracts domain: catalogue, the vendor's default terms, contracts, fee lines, history."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from saas.core.clock import now
from saas.core.models import AppendOnlyError, Client, Tenant, User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db


class ServiceKind(enum.StrEnum):
    """The services of the agreement's §2, each tied to the response hours that govern it."""

    REMOTE_SUPPORT = "remote_support"  # §2.1.1, 7x24
    ONSITE_SUPPORT = "onsite_support"  # §2.1.2
    TRAINING = "training"  # §2.1.3
    MONITORING = "monitoring"  # §2.2.1
    FAULT_HANDLING = "fault_handling"  # §2.2.2
    UPGRADE = "upgrade"  # §2.2.3
    CONSULTING = "consulting"  # §2.3
    OTHER = "other"  # the vendor's own


class Calendar(enum.StrEnum):
    """When an SLA clock runs for a service."""

    ALWAYS = "24x7"
    BUSINESS_HOURS = "business_hours"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    ACTIVE = "active"
    EXPIRING = "expiring"  # inside the renewal notice window (§1.2)
    EXPIRED = "expired"
    TERMINATED = "terminated"


#: Contracts both parties signed, in force or ended: what notices and disputes may be raised under (§10.4).
SIGNED_STATUSES = (ContractStatus.ACTIVE, ContractStatus.EXPIRING, ContractStatus.EXPIRED, ContractStatus.TERMINATED)


class Service(TenantScoped, db.Model):
    """An entry of the vendor's service catalogue (§1.3, §2)."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    default_monthly_fee: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    #: When the SLA clock of requests under this service runs.
    calendar: Mapped[str] = mapped_column(String(20), default=Calendar.BUSINESS_HOURS)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ContractTerms:
    """The seed's blanks and the other parameters of an agreement; the vendor keeps defaults of each."""

    #: §1.2 有效期为____年
    term_years: Mapped[int] = mapped_column(Integer, default=1)
    #: §1.2 期满前____个月 both parties negotiate renewal.
    renewal_notice_months: Mapped[int] = mapped_column(Integer, default=1)
    #: §4.1 generic request: response due after these hours.
    service_response_hours: Mapped[int] = mapped_column(Integer, default=4)
    #: §2.1.2 on-site: an engineer arrives within these hours.
    onsite_arrival_hours: Mapped[int] = mapped_column(Integer, default=24)
    #: §2.2.2 fault: response within these hours.
    fault_response_hours: Mapped[int] = mapped_column(Integer, default=2)
    #: §2.3.2 consulting: response within these hours.
    consult_response_hours: Mapped[int] = mapped_column(Integer, default=8)
    #: §8.2 penalty = unperformed fee × this rate (0.1000 = 10%).
    penalty_rate: Mapped[Decimal] = mapped_column(ExactDecimal(4), default=Decimal("0.1000"))
    #: Part 2 §7.2: a third-party dispute unresolved after these months allows termination.
    dispute_deadline_months: Mapped[int] = mapped_column(Integer, default=3)
    #: §3.1.2 invoices are due this many days after issue.
    payment_net_days: Mapped[int] = mapped_column(Integer, default=30)
    #: §7.2 confidentiality lasts this many years after the contract ends.
    confidentiality_years: Mapped[int] = mapped_column(Integer, default=2)
    #: §9.2 mediation committee at the vendor's locality.
    mediation_venue: Mapped[str] = mapped_column(String(200), default="")
    #: §9.4 the people's court at the vendor's locality.
    court_venue: Mapped[str] = mapped_column(String(200), default="")


TERM_FIELDS = (
    "term_years",
    "renewal_notice_months",
    "service_response_hours",
    "onsite_arrival_hours",
    "fault_response_hours",
    "consult_response_hours",
    "penalty_rate",
    "dispute_deadline_months",
    "payment_net_days",
    "confidentiality_years",
    "mediation_venue",
    "court_venue",
)


class ContractDefaults(ContractTerms, TenantScoped, db.Model):
    """The vendor's default terms, copied into each new contract."""

    __tablename__ = "contract_defaults"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Contract numbers: {year} and {seq} (zero-padded to 4) are replaced, e.g. "HT-{year}-{seq}".
    number_pattern: Mapped[str] = mapped_column(String(60), default="HT-{year}-{seq}")


class ContractNumber(TenantScoped, db.Model):
    """The next contract number per tenant and year, allocated gaplessly inside the creating transaction."""

    __tablename__ = "contract_number"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Contract(ContractTerms, ClientScoped, db.Model):
    """An after-sales service agreement between the tenant (Party B) and one client (Party A)."""

    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_contract_tenant_status_id", "tenant_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default=ContractStatus.DRAFT)
    #: §1.2 the term runs from this date (or from both signatures, if later).
    effective_date: Mapped[date] = mapped_column(Date)
    #: The first day after the term, kept from effective_date and term_years so lists can filter on it.
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: §10.1 the people who sign for each party.
    party_a_signatory: Mapped[str] = mapped_column(String(120), default="")
    party_b_signatory: Mapped[str] = mapped_column(String(120), default="")
    #: §14.3 where the agreement is signed.
    signing_place: Mapped[str] = mapped_column(String(200), default="")
    #: §1.2 the contract this one renews (its successor starts the day after it ends).
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id", ondelete="SET NULL"), unique=True)
    #: §10.3 the last day in force of a contract ended by a termination agreement.
    terminated_on: Mapped[date | None] = mapped_column(Date)
    #: §10.1 the day the second party signed; the contract is in effect from max(effective_date, signed_on).
    signed_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    tenant: Mapped[Tenant] = relationship()
    client: Mapped[Client] = relationship()
    lines: Mapped[list["ContractLine"]] = relationship(
        back_populates="contract", order_by="ContractLine.position", cascade="all, delete-orphan"
    )
    events: Mapped[list["ContractEvent"]] = relationship(order_by="ContractEvent.id", viewonly=True)


class ContractLine(ClientScoped, db.Model):
    """A line of the fee schedule (Annex 1): a service, how many, and its monthly fee."""

    __tablename__ = "contract_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(2), default=Decimal("1.00"))
    #: Fee per unit per month, in the contract's currency.
    monthly_fee: Mapped[Decimal] = mapped_column(ExactDecimal(2))

    contract: Mapped[Contract] = relationship(back_populates="lines")
    service: Mapped[Service | None] = relationship()


class ContractEvent(ClientScoped, db.Model):
    """Append-only history of a contract: every status change and edit, with who and when."""

    __tablename__ = "contract_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(24), default="")
    to_status: Mapped[str] = mapped_column(String(24), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    actor: Mapped[User | None] = relationship()


class ContractDocument(ClientScoped, db.Model):
    """The agreement as rendered when it was sent for signatures: exact bytes, never re-rendered (§10.1, §14)."""

    __tablename__ = "contract_document"
    __table_args__ = (UniqueConstraint("contract_id", "subject", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    #: What is signed: "agreement-v2" (the agreement's second text) or "change-7" (a change agreement).
    subject: Mapped[str] = mapped_column(String(40))
    #: The agreement's text version (1 for the first sent for signatures); 0 for change agreements.
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    html: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the UTF-8 bytes of `html`: what a signature commits to.
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ContractSignature(ClientScoped, db.Model):
    """A party's signature on one version of the agreement: who, when, from where, on which exact bytes."""

    __tablename__ = "contract_signature"
    __table_args__ = (UniqueConstraint("contract_id", "subject", "party"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    #: The subject of the document signed (see ContractDocument.subject).
    subject: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    #: "A" for the client (甲方), "B" for the vendor (乙方).
    party: Mapped[str] = mapped_column(String(1))
    document_id: Mapped[int] = mapped_column(ForeignKey("contract_document.id", ondelete="RESTRICT"))
    sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The signer's name and e-mail as they were: kept even if the account goes.
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    document: Mapped[ContractDocument] = relationship()


class ChangeKind(enum.StrEnum):
    AMENDMENT = "amendment"  # §10.2, Annex 10
    TERMINATION = "termination"  # §10.3


class ChangeStatus(enum.StrEnum):
    AWAITING_SIGNATURES = "awaiting_signatures"
    SIGNED = "signed"
    WITHDRAWN = "withdrawn"


class ContractChange(ClientScoped, db.Model):
    """A written change agreement signed by both parties: an amendment (§10.2) or a termination (§10.3)."""

    __tablename__ = "contract_change"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The contract's number with A1, A2… for amendments and T1… for terminations.
    number: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(24), default=ChangeStatus.AWAITING_SIGNATURES)
    #: From when it applies: new terms (fee changes bill from the next period, §3.1.3), or the last day in force.
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Amendments: {"terms": {field: [old, new]}, "lines": {"old": [...], "new": [...]}} as strings.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    signed_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship()

    @property
    def subject(self) -> str:
        return f"change-{self.id}"


class TamperError(RuntimeError):
    """Raised when code tries to change the terms of a contract that has left draft (§10.2)."""


#: Which transitions the status machine allows (§10); the flush guard refuses any other.
TRANSITIONS = {
    ContractStatus.DRAFT: {ContractStatus.AWAITING_SIGNATURES},
    ContractStatus.AWAITING_SIGNATURES: {ContractStatus.DRAFT, ContractStatus.ACTIVE},
    ContractStatus.ACTIVE: {ContractStatus.EXPIRING, ContractStatus.EXPIRED, ContractStatus.TERMINATED},
    # back to ACTIVE only when a signed amendment moves the end of the term out of the renewal window
    ContractStatus.EXPIRING: {ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED},
    ContractStatus.EXPIRED: set(),
    ContractStatus.TERMINATED: set(),
}

#: What both parties agree to: frozen once a contract leaves draft.
FROZEN_FIELDS = (
    *TERM_FIELDS,
    "title",
    "effective_date",
    "client_id",
    "currency",
    "party_a_signatory",
    "party_b_signatory",
    "signing_place",
    "number",
    "ends_on",
)


@event.listens_for(ContractEvent, "before_update")
@event.listens_for(ContractEvent, "before_delete")
@event.listens_for(ContractDocument, "before_update")
@event.listens_for(ContractDocument, "before_delete")
@event.listens_for(ContractSignature, "before_update")
@event.listens_for(ContractSignature, "before_delete")
@event.listens_for(ContractChange, "before_delete")
def _append_only(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


def _stored_status(session, contract_id: int | None) -> str | None:
    """The status as written so far in this transaction (not as edited in memory); None if not written yet."""
    if contract_id is None:
        return None
    return session.execute(select(Contract.status).where(Contract.id == contract_id)).scalar()


def _line_contract_ids(line: "ContractLine") -> set[int]:
    """Every contract a fee line belongs or belonged to in this flush (a removed line no longer points to it)."""
    history = inspect(line).attrs.contract_id.history
    ids = {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
    if line.contract is not None and inspect(line.contract).key is not None:
        ids.add(line.contract.id)
    return ids


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_signed_terms(session, flush_context, instances):
    """Only drafts change; after that, only a change agreement signed by both may (§10.2, §3.1.3)."""
    if session.info.get("applying_change"):
        return
    with session.no_autoflush:
        _check_frozen(session)


def _check_frozen(session):
    for obj in list(session.dirty) + list(session.new) + list(session.deleted):
        if isinstance(obj, Contract) and obj in session.dirty:
            _check_contract(session, obj)
        elif isinstance(obj, ContractLine):
            for contract_id in _line_contract_ids(obj):
                if _stored_status(session, contract_id) not in (None, ContractStatus.DRAFT):
                    raise TamperError(f"contract {contract_id} is no longer a draft; its fees cannot change")


def _check_contract(session, contract: Contract) -> None:
    state = inspect(contract)
    changed = {
        name
        for name in (*FROZEN_FIELDS, "status", "signed_on", "terminated_on")
        if state.attrs[name].history.has_changes()
    }
    if not changed:
        return
    stored = _stored_status(session, contract.id)
    moving = "status" in changed and contract.status != stored
    if moving and contract.status not in TRANSITIONS.get(stored, ()):
        raise TamperError(f"contract {contract.number} cannot go from {stored} to {contract.status}")
    if changed & set(FROZEN_FIELDS) and stored != ContractStatus.DRAFT:
        raise TamperError(f"contract {contract.number} is no longer a draft; its terms cannot change")
    if "signed_on" in changed and not (moving and contract.status == ContractStatus.ACTIVE):
        raise TamperError("signed_on is set only when the second signature puts the contract in force")
    if "terminated_on" in changed and not (moving and contract.status == ContractStatus.TERMINATED):
        raise TamperError("terminated_on is set only by a signed termination")
