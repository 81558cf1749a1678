"""Requests and their timelines as the API's JSON (the shapes the OpenAPI document describes)."""

from datetime import UTC, datetime

from saas.requests.models import RequestEvent, ServiceRequest


def iso(value: datetime | None) -> str | None:
    """A UTC time as RFC 3339 (2026-11-02T01:00:00Z), or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def request_summary(req: ServiceRequest) -> dict:
    """A request as a list shows it: status, due times and breaches (§4.1, §8.1)."""
    category = req.category
    return {
        "number": req.number,
        "reference": req.reference,
        "client": {"id": req.client_id, "name": req.client.legal_name},
        "category": {
            "id": category.id,
            "code": category.code,
            "kind": category.kind,
            "name_en": category.name_en,
            "name_zh": category.name_zh,
        },
        "priority": req.priority,
        "channel": req.channel,
        "status": req.status,
        "is_open": req.is_open,
        "subject": req.subject,
        "received_at": iso(req.received_at),
        "due": {
            "response": iso(req.response_due_at),
            "arrival": iso(req.arrival_due_at),
            "resolution": iso(req.resolution_due_at),
            "next": iso(req.next_due_at),
        },
        "breached": {
            "response": req.response_breached,
            "arrival": req.arrival_breached,
            "resolution": req.resolution_breached,
        },
        "first_response_at": iso(req.first_response_at),
        "resolved_at": iso(req.resolved_at),
        "closed_at": iso(req.closed_at),
        "updated_at": iso(req.updated_at),
    }


def event_json(event: RequestEvent) -> dict:
    """One line of the public timeline."""
    return {
        "id": event.id,
        "kind": event.kind,
        "from_status": event.from_status or None,
        "to_status": event.to_status or None,
        "body": event.body,
        "by": event.actor.name if event.actor is not None else None,
        "at": iso(event.created_at),
    }


def request_detail(req: ServiceRequest, events: list[RequestEvent]) -> dict:
    """A request with its description, requester and public timeline."""
    return {
        **request_summary(req),
        "description": req.description,
        "requester": {"name": req.requester_name, "contact": req.requester_contact},
        "timeline": [event_json(e) for e in events],
    }
