"""Written notices: sent by one party of an agreement to the other with evidence, numbered, delivered in the portal
and by e-mail, their first reading and acknowledgement recorded; never changed once sent."""

import hashlib
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.contracts.models import Contract
from saas.core import audit, events
from saas.core.clock import add_months, local_today, now
from saas.core.counters import locked_counter
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import safe_content_type, safe_filename
from saas.extensions import db
from saas.jobs import task
from saas.notices.models import Notice, NoticeFile, NoticeKind, NoticeNumber, Party, content_digest

KIND_LABELS = {
    NoticeKind.BREACH: _l("Notice of breach"),
    NoticeKind.CURE: _l("Request to cure"),
    NoticeKind.CLAIM: _l("Claim for damages"),
    NoticeKind.DISPUTE: _l("Notice of dispute"),
    NoticeKind.TERMINATION: _l("Notice of termination"),
    NoticeKind.OTHER: _l("Other notice"),
}
PARTY_LABELS = {Party.A: _l("Party A (client)"), Party.B: _l("Party B (vendor)")}
#: Kinds that ask the recipient to act by a date: the notice must give one.
NEEDS_DEADLINE = {NoticeKind.CURE}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5


class NoticeError(ServiceError):
    """A notice that cannot be sent as it is, or a reading or acknowledgement refused."""


def agreed_deadline(contract: Contract, kind: str, sent_on: date) -> date | None:
    """The deadline the agreement itself sets for a notice of this kind, or None: a dispute not settled within the
    contract's dispute deadline (Part 2 §7.2) lets the other party terminate."""
    if kind == NoticeKind.DISPUTE:
        return add_months(sent_on, contract.dispute_deadline_months)
    return None


def send_notice(
    contract: Contract,
    sender_party: str,
    actor: User,
    data: dict,
    files: list[tuple[str, str, bytes]] = (),
    *,
    refers_to: Notice | None = None,
) -> Notice:
    """Send a notice from `sender_party` of the contract to the other: numbered, its content sealed by a digest,
    mailed to the other party's admins after commit. In the caller's transaction. A notice of termination goes
    only through saas.notices.termination, which names the cure notice it follows and ends the agreement."""
    tenant = contract.tenant
    kind = data.get("kind") or ""
    if kind not in NoticeKind.__members__.values():
        raise NoticeError(_("Choose the kind of notice."))
    if sender_party not in (Party.A, Party.B):
        raise NoticeError(_("Only the parties of the agreement send notices."))
    subject = (data.get("subject") or "").strip()
    body_zh, body_en = (data.get("body_zh") or "").strip(), (data.get("body_en") or "").strip()
    if not subject:
        raise NoticeError(_("Give the notice a subject."))
    if not (body_zh or body_en):
        raise NoticeError(_("Write the notice in Chinese, in English, or in both."))
    today = local_today(tenant)
    deadline, basis = data.get("deadline"), "sender"
    if kind == NoticeKind.TERMINATION:
        if refers_to is None or deadline is None:
            raise NoticeError(_("A termination for breach is sent from the cure notice whose deadline passed."))
        if deadline < today:
            raise NoticeError(_("A termination for breach takes effect today or later."))
        basis = "termination"
    elif deadline is None:
        deadline, basis = agreed_deadline(contract, kind, today), "agreement"
    if deadline is None:
        basis = ""
        if kind in NEEDS_DEADLINE:
            raise NoticeError(_("This kind of notice gives the other party a deadline: set one."))
    elif deadline <= today and kind != NoticeKind.TERMINATION:
        raise NoticeError(_("The deadline must be after today."))
    if len(files) > MAX_FILES:
        raise NoticeError(_("At most %(count)d files of evidence.", count=MAX_FILES))
    for _name, _type, content in files:
        if len(content) > MAX_FILE_BYTES:
            raise NoticeError(_("Files may be at most 10 MB."))
    fields = {
        "contract": contract.number,
        "sender_party": sender_party,
        "kind": kind,
        "clause": (data.get("clause") or "").strip(),
        "subject": subject,
        "body_zh": body_zh,
        "body_en": body_en,
        "deadline": deadline.isoformat() if deadline else "",
        **({"refers_to": refers_to.number} if refers_to is not None else {}),
    }
    named = [(safe_filename(name), content) for name, _type, content in files]
    counter = locked_counter(NoticeNumber, tenant_id=tenant.id, year=today.year)
    counter.last_value += 1
    notice = Notice(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        contract_id=contract.id,
        number=f"TZ-{today.year}-{counter.last_value:04d}",
        sender_party=sender_party,
        kind=kind,
        clause=fields["clause"],
        subject=subject,
        body_zh=body_zh,
        body_en=body_en,
        deadline=deadline,
        deadline_basis=basis,
        refers_to_id=refers_to.id if refers_to is not None else None,
        digest=content_digest(fields, named),
        sent_by_id=actor.id,
        sent_at=now(),
    )
    db.session.add(notice)
    db.session.flush()
    for (name, content), (_n, content_type, _d) in zip(named, files, strict=True):
        db.session.add(
            NoticeFile(
                tenant_id=tenant.id,
                client_id=contract.client_id,
                notice_id=notice.id,
                filename=name,
                content_type=safe_content_type(content_type),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                data=content,
                created_at=now(),
            )
        )
    audit.record(
        "notices.sent",
        tenant_id=tenant.id,
        target=notice,
        actor=actor,
        number=notice.number,
        kind=kind,
        party=sender_party,
    )
    db.session.flush()
    send_after_commit(send_notice_mail, [notice.id], key="notice-mail")
    events.publish(
        tenant.id,
        "notice.sent",
        {
            "notice": {
                "id": notice.id,
                "number": notice.number,
                "kind": kind,
                "clause": notice.clause,
                "sender_party": sender_party,
                "contract": contract.number,
                "client_id": contract.client_id,
                "deadline": deadline.isoformat() if deadline else None,
                "digest": notice.digest,
            }
        },
    )
    return notice


def party_of(membership: Membership, notice: Notice) -> str | None:
    """The party of the agreement this member acts for: B for the vendor's people, A for the client's own."""
    role = membership.role_enum
    if role.is_client:
        return Party.A if membership.client_id == notice.client_id else None
    return Party.B


def mark_read(notice: Notice, user: User, membership: Membership) -> bool:
    """Record the recipient's first reading (the sender opening its own notice is not one); True if recorded."""
    if notice.first_read_at is not None or party_of(membership, notice) != notice.recipient_party:
        return False
    notice.first_read_at, notice.first_read_by_id = now(), user.id
    audit.record("notices.read", tenant_id=notice.tenant_id, target=notice, actor=user, number=notice.number)
    db.session.flush()
    return True


def acknowledge(notice: Notice, user: User, membership: Membership, note: str = "") -> bool:
    """The recipient acknowledges receipt, once, with a note if wanted; False if acknowledged already."""
    if party_of(membership, notice) != notice.recipient_party or membership.role_enum not in (
        Role.VENDOR_ADMIN,
        Role.CLIENT_ADMIN,
    ):
        raise NoticeError(_("Only the receiving party's admin acknowledges a notice."))
    notice = db.session.scalar(
        select(Notice).where(Notice.id == notice.id).with_for_update().execution_options(populate_existing=True)
    )
    if notice.acknowledged_at is not None:
        return False
    if notice.first_read_at is None:
        notice.first_read_at, notice.first_read_by_id = now(), user.id
    notice.acknowledged_at, notice.acknowledged_by_id, notice.acknowledgement = now(), user.id, note.strip()
    audit.record("notices.acknowledged", tenant_id=notice.tenant_id, target=notice, actor=user, number=notice.number)
    db.session.flush()
    return True


def list_notices(tenant: Tenant, *, client_id: int | None = None, after: int | None = None, limit: int = 25):
    """One page of notices, newest first (keyset on id); returns (rows, next_after)."""
    stmt = (
        select(Notice)
        .options(selectinload(Notice.contract), selectinload(Notice.client))
        .where(Notice.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(Notice.client_id == client_id)
    if after:
        stmt = stmt.where(Notice.id < after)
    rows = db.session.scalars(stmt.order_by(Notice.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def recipients(notice: Notice) -> list[tuple[User, bool]]:
    """The receiving party's admins: (user, is_vendor)."""
    stmt = select(User).join(Membership).where(Membership.tenant_id == notice.tenant_id, User.active)
    if notice.recipient_party == Party.B:
        stmt = stmt.where(Membership.role == Role.VENDOR_ADMIN)
    else:
        stmt = stmt.where(Membership.role == Role.CLIENT_ADMIN, Membership.client_id == notice.client_id)
    return [(user, notice.recipient_party == Party.B) for user in db.session.scalars(stmt.order_by(User.id))]


@task
def send_notice_mail(notice_ids: list[int]) -> int:
    """Mail each notice to the receiving party's admins, once each, and record when it was delivered."""
    sent = 0
    for notice in db.session.scalars(select(Notice).where(Notice.id.in_(notice_ids)).order_by(Notice.id)):
        slug = notice.contract.tenant.slug

        def text_for(is_vendor, notice=notice, slug=slug):
            page = "notices.detail" if is_vendor else "portal_notices.portal_detail"
            link = external_url(page, tenant=slug, notice_id=notice.id)
            subject = both_languages(
                lambda: _("Notice %(number)s: %(subject)s", number=notice.number, subject=notice.subject), " / "
            )
            body = both_languages(
                lambda: _(
                    "%(party)s has sent you a written notice under agreement %(contract)s: %(kind)s. Read it and "
                    "acknowledge it here: %(link)s",
                    party=PARTY_LABELS[notice.sender_party],
                    contract=notice.contract.number,
                    kind=KIND_LABELS[notice.kind],
                    link=link,
                )
            )
            return subject, body

        sent += mail_people(
            recipients(notice), key=f"notice:{notice.id}", tenant_id=notice.tenant_id, text_for=text_for
        )
        if notice.mailed_at is None:
            notice.mailed_at = now()
    db.session.commit()
    return sent
