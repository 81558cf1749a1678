"""Requests and their timelines as the API's JSON (the shapes the OpenAPI document describes)."""

from datetime import UTC, datetime

from saas.credits.models import ServiceCredit
from saas.disputes.models import Dispute
from saas.requests.models import RequestEvent, ServiceRequest, SlaBreach


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


def money(value) -> str | None:
    """An amount as a decimal string ("250.00"): never a float."""
    return None if value is None else f"{value:f}"


def breach_json(breach: SlaBreach, request_number: int, contract_number: str) -> dict:
    """A recorded breach of the vendor (§8.1.1–§8.1.3) with the deadline it missed."""
    return {
        "id": breach.id,
        "clause": breach.clause,
        "kind": breach.kind,
        "request": request_number,
        "contract": contract_number,
        "client_id": breach.client_id,
        "due_at": iso(breach.due_at),
        "met_at": iso(breach.met_at),
        "detected_at": iso(breach.detected_at),
    }


def credit_json(credit: ServiceCredit) -> dict:
    """A service credit (§8.2 for the vendor): what it rests on, how it was computed, and where it stands."""
    return {
        "id": credit.id,
        "contract": credit.contract.number,
        "client_id": credit.client_id,
        "service_line": credit.line.description,
        "period": {"start": credit.period_start.isoformat(), "end": credit.period_last_day.isoformat()},
        "rule": credit.rule,
        "breaches": credit.breaches,
        "line_fee": money(credit.line_fee),
        "unperformed_fee": money(credit.basis),
        "rate": money(credit.rate),
        "amount": money(credit.amount),
        "currency": credit.currency,
        "status": credit.status,
        "billed_invoice": credit.billed_invoice.number if credit.billed_invoice else None,
        "breach_ids": [e["breach_id"] for e in credit.evidence],
    }


def dispute_json(dispute: Dispute) -> dict:
    """A dispute (§9) with its steps."""
    return {
        "number": dispute.number,
        "contract": dispute.contract.number,
        "client_id": dispute.client_id,
        "subject": dispute.subject,
        "subject_id": dispute.subject_id,
        "amount": money(dispute.amount),
        "currency": dispute.currency,
        "raised_by": dispute.raised_by_party,
        "status": dispute.status,
        "stage": dispute.stage,
        "outcome": dispute.outcome or None,
        "opened_at": iso(dispute.opened_at),
        "resolved_at": iso(dispute.resolved_at),
        "steps": [
            {
                "stage": step.stage,
                "clause": step.clause,
                "venue": step.venue,
                "opened_on": step.opened_on.isoformat(),
                "deadline": step.deadline.isoformat(),
                "closed_on": step.closed_on.isoformat() if step.closed_on else None,
                "result": step.result or None,
            }
            for step in dispute.steps
        ],
    }
