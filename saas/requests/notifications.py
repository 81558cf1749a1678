"""E-mail about requests (§4.2): new request, response, waiting on the client, resolved, breach; after the commit.

Services queue the timeline events that people should hear about in the outbox (saas/core/outbox.py); once
the change commits, `send_request_mail` runs per batch of events and mails each recipient once per event
(the mail dedupe key), so a retried job sends nothing twice.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role
from saas.extensions import db
from saas.jobs import task
from saas.requests.labels import BREACH_LABELS, STATUS_LABELS
from saas.requests.models import RequestEvent, RequestStatus, ServiceRequest


def _vendor_people(req: ServiceRequest) -> list:
    """Who on the vendor's side hears of a request: the assignee, or every vendor admin while unassigned."""
    if req.assignee is not None and req.assignee.user is not None:
        return [req.assignee.user]
    return [
        m.user
        for m in db.session.scalars(
            select(Membership)
            .options(selectinload(Membership.user))
            .where(Membership.tenant_id == req.tenant_id, Membership.role == Role.VENDOR_ADMIN)
        )
    ]


def _client_people(req: ServiceRequest) -> list:
    """Who on the client's side hears: the requester, or the client's admins when it came by phone or alert."""
    if req.requester is not None:
        return [req.requester]
    return [
        m.user
        for m in db.session.scalars(
            select(Membership)
            .options(selectinload(Membership.user))
            .where(
                Membership.tenant_id == req.tenant_id,
                Membership.client_id == req.client_id,
                Membership.role == Role.CLIENT_ADMIN,
            )
        )
    ]


def recipients(event: RequestEvent, req: ServiceRequest) -> list[tuple[object, bool]]:
    """(user, is_vendor) pairs to mail about one event; nobody hears of their own action."""
    people: list[tuple[object, bool]] = []
    if event.kind == "created":
        people += [(u, True) for u in _vendor_people(req)] + [(u, False) for u in _client_people(req)]
    elif event.kind == "reply":
        membership = event.actor.membership_in(req.tenant_id) if event.actor is not None else None
        # A reply without a person (an API token's) carries the side it was written for.
        from_client = membership.role_enum.is_client if membership is not None else bool(event.data.get("by_client"))
        people += [(u, True) for u in _vendor_people(req)] if from_client else [(u, False) for u in _client_people(req)]
    elif event.kind in ("status", "reopened") and event.to_status in (
        RequestStatus.WAITING_ON_CLIENT,
        RequestStatus.RESOLVED,
        RequestStatus.ACKNOWLEDGED,
    ):
        people += [(u, False) for u in _client_people(req)]
    elif event.kind in ("reopened", "breach"):
        people += [(u, True) for u in _vendor_people(req)]
    seen, unique = set(), []
    for user, is_vendor in people:
        if user is None or user.id in seen or (event.actor_id is not None and user.id == event.actor_id):
            continue
        seen.add(user.id)
        unique.append((user, is_vendor))
    return unique


def _text(event: RequestEvent, req: ServiceRequest, link: str) -> tuple[str, str]:
    """Subject and body of the mail about one event, in both languages."""

    def subject():
        if event.kind == "breach":
            return _(
                "Breach on request %(ref)s: %(kind)s",
                ref=req.reference,
                kind=BREACH_LABELS.get(event.data.get("kind"), ""),
            )
        if event.kind == "created":
            return _("New request %(ref)s: %(subject)s", ref=req.reference, subject=req.subject)
        if event.kind == "reply":
            return _("Reply on request %(ref)s: %(subject)s", ref=req.reference, subject=req.subject)
        return _(
            "Request %(ref)s is now “%(status)s”",
            ref=req.reference,
            status=STATUS_LABELS.get(event.to_status, event.to_status),
        )

    zone = req.contract.tenant.timezone

    def local(moment: datetime) -> str:
        """A time as the tenant reads it (mail goes out in the vendor's time zone)."""
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    def body():
        lines = [
            _(
                "Request %(ref)s of %(client)s: %(subject)s",
                ref=req.reference,
                client=req.client.legal_name,
                subject=req.subject,
            )
        ]
        if event.kind == "created" and req.response_due_at is not None:
            lines.append(_("Response due by %(due)s (%(zone)s).", due=local(req.response_due_at), zone=zone))
        if event.kind == "breach" and event.data.get("due_at"):
            lines.append(
                _(
                    "The deadline was %(due)s (%(zone)s). The breach is recorded with its evidence.",
                    due=local(datetime.fromisoformat(event.data["due_at"])),
                    zone=zone,
                )
            )
        if event.to_status == RequestStatus.WAITING_ON_CLIENT:
            lines.append(_("The engineer is waiting for your answer; the SLA clock is paused until you reply."))
        if event.to_status == RequestStatus.RESOLVED:
            lines.append(_("Please confirm the resolution, or reopen the request if the problem remains."))
        if event.body:
            lines.append(event.body)
        lines.append(link)
        return "\n\n".join(lines)

    return both_languages(subject, " / "), both_languages(body)


@task
def send_request_mail(event_ids: list[int]) -> int:
    """Mail the people concerned by each event, once each; returns how many people it concerned."""
    events = db.session.scalars(
        select(RequestEvent)
        .options(selectinload(RequestEvent.actor))
        .where(RequestEvent.id.in_(event_ids))
        .order_by(RequestEvent.id)
    ).all()
    sent = 0
    for event in events:
        req = db.session.get(ServiceRequest, event.request_id)

        def text_for(is_vendor, event=event, req=req):
            page = "requests.detail" if is_vendor else "portal_requests.portal_detail"
            return _text(event, req, external_url(page, tenant=req.contract.tenant.slug, request_id=req.id))

        key = f"request-event:{event.id}"
        sent += mail_people(recipients(event, req), key=key, tenant_id=req.tenant_id, text_for=text_for)
    return sent
