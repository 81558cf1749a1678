"""Tables of written notices: the notice as sent (never changed after), its evidence files, and the number series."""

import enum
import hashlib
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import AppendOnlyError, Client, User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db


class NoticeKind(enum.StrEnum):
    BREACH = "breach"  # notice of a breach (§8.1)
    CURE = "cure"  # a request to cure a breach by a deadline
    CLAIM = "claim"  # a claim for damages (§8.3)
    DISPUTE = "dispute"  # notice of a dispute (§9.1)
    TERMINATION = "termination"  # notice of termination (§10.3)
    OTHER = "other"


class Party(enum.StrEnum):
    A = "A"  # the client
    B = "B"  # the vendor


class NoticeNumber(TenantScoped, db.Model):
    """The last notice number given out per tenant and year (TZ-2026-0007), gapless."""

    __tablename__ = "notice_number"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Notice(ClientScoped, db.Model):
    """A formal written notice from one party of an agreement to the other, as sent: its text, clause, deadline
    and evidence never change; only its delivery (first read, acknowledgement) is recorded on it afterwards."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    #: Who sends it: "A" (the client) or "B" (the vendor); the other party receives it.
    sender_party: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(16))
    #: The agreement's clause it rests on, e.g. "8.1.2".
    clause: Mapped[str] = mapped_column(String(24), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    #: The date by which the recipient is to act (cure, answer, leave), where the notice sets one.
    deadline: Mapped[date | None] = mapped_column(Date)
    #: Where the deadline comes from: "agreement" (a term of the contract) or "sender".
    deadline_basis: Mapped[str] = mapped_column(String(16), default="")
    #: The earlier notice this one follows: a termination for breach names the cure notice whose deadline passed.
    refers_to_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="RESTRICT"))
    #: SHA-256 of the notice's content and files as sent: the PDF and the page print it.
    digest: Mapped[str] = mapped_column(String(64))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: When the notice was delivered to the recipient's people by e-mail (the portal has it from sent_at).
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    acknowledgement: Mapped[str] = mapped_column(Text, default="")

    contract: Mapped[Contract] = relationship()
    client: Mapped[Client] = relationship()
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    first_read_by: Mapped[User | None] = relationship(foreign_keys=[first_read_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    refers_to: Mapped["Notice | None"] = relationship(remote_side=[id])
    files: Mapped[list["NoticeFile"]] = relationship(
        back_populates="notice", order_by="NoticeFile.id", lazy="selectin", cascade="save-update"
    )

    @property
    def recipient_party(self) -> str:
        return Party.A if self.sender_party == Party.B else Party.B


class NoticeFile(ClientScoped, db.Model):
    """A file of evidence sent with a notice; never changed or removed."""

    __tablename__ = "notice_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    notice: Mapped[Notice] = relationship(back_populates="files")


#: What may still be written on a notice after it was sent: its delivery, never its content.
DELIVERY_FIELDS = frozenset(
    {"mailed_at", "first_read_at", "first_read_by_id", "acknowledged_at", "acknowledged_by_id", "acknowledgement"}
)


@event.listens_for(Notice, "before_update")
def _content_stays(mapper, connection, target):
    state = inspect(target)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()} - DELIVERY_FIELDS
    changed = {key for key in changed if key in mapper.columns}
    if changed:
        raise AppendOnlyError(f"a notice never changes once sent ({', '.join(sorted(changed))})")


@event.listens_for(Notice, "before_delete")
@event.listens_for(NoticeFile, "before_update")
@event.listens_for(NoticeFile, "before_delete")
def _append_only(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


def content_digest(fields: dict, files: list[tuple[str, bytes]]) -> str:
    """SHA-256 over the notice's content fields and its files, in a fixed order."""
    h = hashlib.sha256()
    for key in sorted(fields):
        h.update(f"{key}={fields[key]}\n".encode())
    for name, data in files:
        h.update(f"file={name}:{hashlib.sha256(data).hexdigest()}\n".encode())
    return h.hexdigest()
