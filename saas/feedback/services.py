"""Client feedback (§12.2 channels, §12.3 process, Annex 8): received, handled, an outcome the client confirms.

Every step is a FeedbackEvent (who, when, from and to which status, why). The client raises feedback in the
portal, or the vendor's staff log what came by phone or e-mail; the vendor takes it up and proposes an
outcome; only the client confirms it or sends it back. E-mail goes out after the commit (saas/core/outbox.py).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Client, Membership, Role, Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import parse_id
from saas.extensions import db
from saas.feedback.models import Feedback, FeedbackChannel, FeedbackEvent, FeedbackKind, FeedbackStatus
from saas.jobs import task
from saas.requests.models import ServiceRequest

F = FeedbackStatus
KIND_LABELS = {
    FeedbackKind.PRAISE: _l("Praise"),
    FeedbackKind.COMPLAINT: _l("Complaint"),
    FeedbackKind.SUGGESTION: _l("Suggestion"),
}
CHANNEL_LABELS = {
    FeedbackChannel.PORTAL: _l("Portal"),
    FeedbackChannel.PHONE: _l("Phone"),
    FeedbackChannel.EMAIL: _l("E-mail"),
}
STATUS_LABELS = {
    F.RECEIVED: _l("Received"),
    F.HANDLING: _l("Being handled"),
    F.OUTCOME_PROPOSED: _l("Outcome proposed"),
    F.CONFIRMED: _l("Confirmed"),
}
#: Mails are queued in batches of this many events.
BATCH = 500
#: How many of its latest requests a client can pick from when its feedback is about one.
REQUEST_CHOICES = 100


def _side(tenant_id: int, client_id: int, actor: User) -> str | None:
    """ "vendor" for the vendor's staff, "client" for that client's own people, None for anyone else."""
    membership = actor.membership_in(tenant_id) if actor is not None else None
    if membership is None:
        return None
    if membership.role_enum.is_vendor:
        return "vendor"
    if membership.role_enum.is_client and membership.client_id == client_id:
        return "client"
    return None


def _require(fb: Feedback, actor: User, side: str, message: str) -> None:
    if _side(fb.tenant_id, fb.client_id, actor) != side:
        raise ServiceError(message)


def _event(
    fb: Feedback, actor: User | None, from_status: str, to_status: str, note: str = "", mail: bool = False
) -> FeedbackEvent:
    """Write one step of the process; a step people hear about is mailed after the commit."""
    event = FeedbackEvent(
        tenant_id=fb.tenant_id,
        client_id=fb.client_id,
        feedback_id=fb.id,
        actor_id=actor.id if actor else None,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now(),
    )
    db.session.add(event)
    db.session.flush()
    if mail:
        send_after_commit(send_feedback_mail, [event.id], key="feedback-mail")
    return event


def _next_number(tenant_id: int) -> int:
    return (db.session.scalar(select(func.max(Feedback.number)).where(Feedback.tenant_id == tenant_id)) or 0) + 1


def _about_request(tenant: Tenant, client_id: int, data: dict) -> ServiceRequest | None:
    """The request the feedback is about (by id, or by the number people quote), only ever the client's own."""
    request_id, number = data.get("request_id"), data.get("request_number")
    if not request_id and not number:
        return None
    stmt = select(ServiceRequest).where(ServiceRequest.tenant_id == tenant.id)
    # An id or number no row can have is no request of the client's (parse_id), not a database overflow.
    if request_id:
        stmt = stmt.where(ServiceRequest.id == (parse_id(request_id) or 0))
    else:
        stmt = stmt.where(ServiceRequest.number == (parse_id(str(number).lstrip("#")) or 0))
    req = db.session.scalar(stmt)
    if req is None or req.client_id != client_id:
        raise ServiceError(_("Choose one of the client's own requests."))
    return req


def _create(
    tenant: Tenant, client_id: int, data: dict, *, channel: str, raised_by: User | None, logged_by: User | None
) -> Feedback:
    client = Client.get_in(tenant, client_id)
    if client is None:
        raise ServiceError(_("Choose one of your clients."))
    if data.get("kind") not in FeedbackKind.__members__.values():
        raise ServiceError(_("Say whether it is praise, a complaint or a suggestion."))
    subject = (data.get("subject") or "").strip()
    if not subject:
        raise ServiceError(_("Say in a few words what the feedback is about."))
    req = _about_request(tenant, client_id, data)
    if req is not None:
        contract_id = req.contract_id
    else:
        from saas.requests.services import contract_in_force

        contract = contract_in_force(tenant, client_id)
        contract_id = contract.id if contract else None
    at = now()
    fb = Feedback(
        tenant_id=tenant.id,
        client_id=client_id,
        kind=data["kind"],
        channel=channel,
        subject=subject[:200],
        body=(data.get("body") or "").strip(),
        request_id=req.id if req else None,
        contract_id=contract_id,
        status=F.RECEIVED,
        raised_by_id=raised_by.id if raised_by else None,
        logged_by_id=logged_by.id if logged_by else None,
        contact_name=(data.get("contact_name") or (raised_by.name if raised_by else "")).strip()[:120],
        contact_detail=(data.get("contact_detail") or (raised_by.email if raised_by else "")).strip()[:200],
        received_at=at,
        updated_at=at,
    )
    for attempt in range(5):
        fb.number = _next_number(tenant.id)
        try:
            with db.session.begin_nested():
                db.session.add(fb)
                db.session.flush()
            break
        except IntegrityError:  # another feedback took the number first: take the next
            if attempt == 4:
                raise
    _event(fb, raised_by or logged_by, "", F.RECEIVED, fb.body, mail=True)
    return fb


def submit(tenant: Tenant, client_id: int, actor: User, data: dict) -> Feedback:
    """The client's own feedback from the portal (§12.2), optionally about one of its requests."""
    if _side(tenant.id, client_id, actor) != "client":
        raise ServiceError(_("Only the client's own people give feedback in the portal."))
    return _create(tenant, client_id, data, channel=FeedbackChannel.PORTAL, raised_by=actor, logged_by=None)


def log(tenant: Tenant, client_id: int, actor: User, data: dict) -> Feedback:
    """Feedback the client gave by phone or e-mail (§12.2), logged by the vendor's staff with who said it."""
    if _side(tenant.id, client_id, actor) != "vendor":
        raise ServiceError(_("Only the vendor's staff log feedback received by phone or e-mail."))
    channel = data.get("channel")
    if channel not in (FeedbackChannel.PHONE, FeedbackChannel.EMAIL):
        raise ServiceError(_("Say whether it came by phone or by e-mail."))
    if not (data.get("contact_name") or "").strip():
        raise ServiceError(_("Say who gave the feedback."))
    return _create(tenant, client_id, data, channel=channel, raised_by=None, logged_by=actor)


def take_up(fb: Feedback, actor: User, note: str = "") -> None:
    """The vendor takes the feedback up (§12.3): it is being handled, by `actor`."""
    _require(fb, actor, "vendor", _("Only the vendor's staff take up feedback."))
    if fb.status != F.RECEIVED:
        raise ServiceError(_("This feedback has already been taken up."))
    fb.status, fb.handler_id, fb.updated_at = F.HANDLING, actor.id, now()
    _event(fb, actor, F.RECEIVED, F.HANDLING, note.strip())


def propose_outcome(fb: Feedback, actor: User, outcome: str) -> None:
    """The vendor says how the feedback was handled and with what result, for the client to confirm (§12.3)."""
    _require(fb, actor, "vendor", _("Only the vendor's staff propose an outcome."))
    outcome = (outcome or "").strip()
    if not outcome:
        raise ServiceError(_("Say how the feedback was handled and what came of it."))
    if fb.status != F.HANDLING:
        raise ServiceError(_("Take the feedback up before proposing an outcome."))
    at = now()
    fb.status, fb.outcome, fb.outcome_proposed_at, fb.updated_at = F.OUTCOME_PROPOSED, outcome, at, at
    fb.handler_id = fb.handler_id or actor.id
    _event(fb, actor, F.HANDLING, F.OUTCOME_PROPOSED, outcome, mail=True)


def confirm(fb: Feedback, actor: User, note: str = "") -> None:
    """The client accepts the outcome (§12.3): the feedback is settled."""
    _require(fb, actor, "client", _("Only the client confirms the outcome of its feedback."))
    if fb.status != F.OUTCOME_PROPOSED:
        raise ServiceError(_("There is no outcome to confirm."))
    at = now()
    fb.status, fb.confirmed_at, fb.updated_at = F.CONFIRMED, at, at
    _event(fb, actor, F.OUTCOME_PROPOSED, F.CONFIRMED, (note or "").strip(), mail=True)


def reject(fb: Feedback, actor: User, reason: str) -> None:
    """The client does not accept the outcome: the feedback goes back to its handler with the reason (§12.3)."""
    _require(fb, actor, "client", _("Only the client rejects the outcome of its feedback."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the outcome does not settle it."))
    if fb.status != F.OUTCOME_PROPOSED:
        raise ServiceError(_("There is no outcome to reject."))
    fb.status, fb.updated_at = F.HANDLING, now()
    _event(fb, actor, F.OUTCOME_PROPOSED, F.HANDLING, reason, mail=True)


def list_feedback(
    tenant: Tenant,
    *,
    client_id: int | None = None,
    status: str = "",
    kind: str = "",
    after: int | None = None,
    limit: int = 25,
) -> tuple[list[Feedback], int | None]:
    """One page of feedback, newest first (keyset on id); returns (rows, next_after)."""
    stmt = (
        select(Feedback)
        .options(selectinload(Feedback.client), selectinload(Feedback.handler))
        .where(Feedback.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(Feedback.client_id == client_id)
    if status in F.__members__.values():
        stmt = stmt.where(Feedback.status == status)
    if kind in FeedbackKind.__members__.values():
        stmt = stmt.where(Feedback.kind == kind)
    if after:
        stmt = stmt.where(Feedback.id < after)
    rows = db.session.scalars(stmt.order_by(Feedback.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def timeline(fb: Feedback) -> list[FeedbackEvent]:
    """Every step of the feedback's process, in order (Annex 8)."""
    return db.session.scalars(
        select(FeedbackEvent)
        .options(selectinload(FeedbackEvent.actor))
        .where(FeedbackEvent.feedback_id == fb.id)
        .order_by(FeedbackEvent.id)
    ).all()


def request_choices(tenant: Tenant, client_id: int) -> list[ServiceRequest]:
    """The client's latest requests, for feedback about one of them."""
    return db.session.scalars(
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == tenant.id, ServiceRequest.client_id == client_id)
        .order_by(ServiceRequest.id.desc())
        .limit(REQUEST_CHOICES)
    ).all()


def _members(tenant_id: int, role: Role, client_id: int | None = None) -> list[User]:
    stmt = (
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.tenant_id == tenant_id, Membership.role == role)
    )
    if client_id is not None:
        stmt = stmt.where(Membership.client_id == client_id)
    return [m.user for m in db.session.scalars(stmt.order_by(Membership.id))]


def recipients(event: FeedbackEvent, fb: Feedback) -> list[tuple[User, bool]]:
    """(user, is_vendor) to mail about one step: vendor admins of new feedback, the client of an outcome,
    the handler of the client's answer; nobody hears of their own action."""
    people: list[tuple[User, bool]] = []
    if event.to_status == F.RECEIVED:
        people = [(u, True) for u in _members(fb.tenant_id, Role.VENDOR_ADMIN)]
    elif event.to_status == F.OUTCOME_PROPOSED:
        raiser = fb.raised_by if fb.raised_by is not None and _side(fb.tenant_id, fb.client_id, fb.raised_by) else None
        people = (
            [(raiser, False)]
            if raiser
            else [(u, False) for u in _members(fb.tenant_id, Role.CLIENT_ADMIN, fb.client_id)]
        )
    elif event.from_status == F.OUTCOME_PROPOSED and fb.handler is not None:
        people = [(fb.handler, True)]
    seen, unique = set(), []
    for user, is_vendor in people:
        if user.id in seen or user.id == event.actor_id or not user.active:
            continue
        seen.add(user.id)
        unique.append((user, is_vendor))
    return unique


def _text(event: FeedbackEvent, fb: Feedback, link: str) -> tuple[str, str]:
    """Subject and body of the mail about one step, in both languages."""

    def subject():
        if event.to_status == F.RECEIVED:
            return _(
                "New %(kind)s %(ref)s from %(client)s: %(subject)s",
                kind=KIND_LABELS[fb.kind],
                ref=fb.reference,
                client=fb.client.legal_name,
                subject=fb.subject,
            )
        if event.to_status == F.OUTCOME_PROPOSED:
            return _("Your feedback %(ref)s: an outcome for you to confirm", ref=fb.reference)
        if event.to_status == F.CONFIRMED:
            return _("Feedback %(ref)s: the client confirmed the outcome", ref=fb.reference)
        return _("Feedback %(ref)s: the client did not accept the outcome", ref=fb.reference)

    def body():
        lines = [
            _(
                "Feedback %(ref)s of %(client)s: %(subject)s",
                ref=fb.reference,
                client=fb.client.legal_name,
                subject=fb.subject,
            )
        ]
        if event.to_status == F.OUTCOME_PROPOSED:
            lines.append(_("Please confirm the outcome, or say why it does not settle the matter."))
        if event.note:
            lines.append(event.note)
        lines.append(link)
        return "\n\n".join(lines)

    return both_languages(subject, " / "), both_languages(body)


@task
def send_feedback_mail(event_ids: list[int]) -> int:
    """Mail the people concerned by each step, once each; returns how many mails it concerned."""
    events = db.session.scalars(
        select(FeedbackEvent).where(FeedbackEvent.id.in_(event_ids)).order_by(FeedbackEvent.id)
    ).all()
    sent = 0
    for event in events:
        fb = db.session.get(Feedback, event.feedback_id)
        slug = db.session.get(Tenant, fb.tenant_id).slug

        def text_for(is_vendor, event=event, fb=fb, slug=slug):
            page = "feedback.detail" if is_vendor else "portal_feedback.portal_detail"
            return _text(event, fb, external_url(page, tenant=slug, feedback_id=fb.id))

        key = f"feedback-event:{event.id}"
        sent += mail_people(recipients(event, fb), key=key, tenant_id=fb.tenant_id, text_for=text_for)
    return sent


def status_label(status: str) -> str:
    """The translated name of a feedback status."""
    return str(STATUS_LABELS.get(status, status))


def uphold_as_breach(fb: Feedback, actor: User, finding: str):
    """Uphold a client's complaint about a request as a service below the agreed standard (§8.1.1): the breach is
    recorded on its request with the complaint and the vendor's finding as evidence, once."""
    from saas.core.clock import local_date
    from saas.requests.breaches import record_below_standard

    if fb.kind != FeedbackKind.COMPLAINT or fb.request is None:
        raise ServiceError(_("Only a complaint about a request can be upheld as a breach."))
    _require(fb, actor, "vendor", _("Only the vendor upholds a complaint as its own breach."))
    tenant = fb.request.contract.tenant
    breach = record_below_standard(
        fb.request,
        actor,
        description=finding,
        happened_on=max(local_date(tenant, fb.received_at), local_date(tenant, fb.request.received_at)),
        complaint={"id": fb.id, "number": fb.number, "subject": fb.subject, "body": fb.body[:2000]},
    )
    _event(fb, actor, fb.status, fb.status, finding.strip())
    return breach


def breach_of(fb: Feedback):
    """The §8.1.1 breach recorded from this complaint, if any."""
    from saas.requests.models import BreachKind, SlaBreach

    if fb.request_id is None:
        return None
    breach = db.session.scalar(
        select(SlaBreach).where(SlaBreach.request_id == fb.request_id, SlaBreach.kind == BreachKind.BELOW_STANDARD)
    )
    return breach if breach is not None and (breach.evidence.get("complaint") or {}).get("id") == fb.id else None
