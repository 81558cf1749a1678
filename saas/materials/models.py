"""Tables of Party A's materials (Part 3, 说明二 1.2): the vendor's ask, the client's breach when it is not supplied
by its deadline (append-only), and the §8.2 penalty the vendor may propose for that breach."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.billing.models import Invoice
from saas.billing.penalty_models import PenaltyStatus
from saas.contracts.models import Contract, ContractLine
from saas.core.clock import now
from saas.core.models import Client, User, append_only
from saas.core.money import percent_text
from saas.core.tenancy import ClientScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db
from saas.requests.models import RequestEvent, RequestPause, ServiceRequest

#: The agreement's clause a client breach of materials falls under (docs/clauses.md: p3, 说明二 1.2).
CLAUSE = "p3"


class MaterialsStatus(enum.StrEnum):
    ASKED = "asked"  # waiting for the client; the request's clocks stand still
    SUPPLIED = "supplied"  # the client sent them (late ones too: the breach stays)
    OVERDUE = "overdue"  # the deadline passed unsupplied: the client's breach is recorded
    WITHDRAWN = "withdrawn"  # the vendor no longer needs them


#: Asks the client still owes: they hold the request's clocks.
AWAITED = (MaterialsStatus.ASKED, MaterialsStatus.OVERDUE)


class MaterialsRequest(ClientScoped, db.Model):
    """The vendor's ask for technical materials a request needs: what, by when, and what came of it."""

    __tablename__ = "materials_request"
    __table_args__ = (
        Index("ix_materials_request_tenant_id_id", "tenant_id", "id"),  # the vendor's list, newest first
        Index("ix_materials_request_due", "status", "due_at"),  # the sweep: asks past their deadline
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: What is needed, in the vendor's words (format and content, as the clause asks).
    what: Mapped[str] = mapped_column(Text)
    #: The deadline: the instant by which they are due (a local date is the end of that day in the tenant's zone).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=MaterialsStatus.ASKED)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: The request's pause this ask holds open (its own row: two asks keep the clocks still until both end).
    pause_id: Mapped[int | None] = mapped_column(ForeignKey("request_pause.id", ondelete="SET NULL"))
    #: When the client admins were reminded, a day before the deadline (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    supplied_note: Mapped[str] = mapped_column(Text, default="")
    #: The request's timeline line of the supply: the files came with it (request attachments).
    supplied_event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[ServiceRequest] = relationship()
    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    supplied_by: Mapped[User | None] = relationship(foreign_keys=[supplied_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    pause: Mapped[RequestPause | None] = relationship()
    supplied_event: Mapped[RequestEvent | None] = relationship()

    @property
    def late(self) -> bool:
        return self.supplied_at is not None and self.supplied_at > self.due_at


class ClientBreach(ClientScoped, db.Model):
    """Party A's breach (Part 3, 说明二 1.2): materials not supplied by their deadline, with the evidence as it stood
    when found; once per ask, whatever re-runs. Append-only."""

    __tablename__ = "client_breach"
    __table_args__ = (UniqueConstraint("materials_id"), Index("ix_client_breach_tenant_id_id", "tenant_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    materials_id: Mapped[int] = mapped_column(ForeignKey("materials_request.id", ondelete="RESTRICT"))
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: What was not supplied: "materials" (the only kind so far).
    kind: Mapped[str] = mapped_column(String(16), default="materials")
    #: The agreement's clause: "p3" (Part 3, 说明二 1.2).
    clause: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: What was asked, when and by whom, the deadline, the reminders sent, the request and the agreement.
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    materials: Mapped[MaterialsRequest] = relationship()
    request: Mapped[ServiceRequest] = relationship()
    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()


class MaterialsPenalty(ClientScoped, db.Model):
    """The §8.2 penalty the vendor proposes for a client breach of materials: a base it states × the contract's
    penalty rate, rounded half-up once; confirmed and billed once on the contract's next invoice, or waived."""

    __tablename__ = "materials_penalty"
    __table_args__ = (
        UniqueConstraint("breach_id"),
        Index("ix_materials_penalty_tenant_id_status", "tenant_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("client_breach.id", ondelete="RESTRICT"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: The service line whose monthly fee is the base, when the vendor chose one (else a base it typed).
    contract_line_id: Mapped[int | None] = mapped_column(ForeignKey("contract_line.id", ondelete="RESTRICT"))
    #: The agreement's clause: "8.2".
    clause: Mapped[str] = mapped_column(String(16))
    #: The base the vendor stated, and how it was found ("quantity × monthly fee of the line", or its own words).
    basis: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    basis_note: Mapped[str] = mapped_column(Text, default="")
    #: The contract's penalty_rate when the penalty was proposed (0.1000 = 10%).
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    #: basis × rate, rounded once, half-up, to the currency's minor unit.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=PenaltyStatus.PROPOSED)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The note given on confirmation, or the reason for the waiver.
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billed_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    breach: Mapped[ClientBreach] = relationship()
    contract: Mapped[Contract] = relationship()
    line: Mapped[ContractLine | None] = relationship()
    client: Mapped[Client] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    billed_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[billed_invoice_id])

    @property
    def rate_percent(self) -> str:
        """The rate as people read it: "10" for 0.1000."""
        return percent_text(self.rate)


append_only(ClientBreach)
