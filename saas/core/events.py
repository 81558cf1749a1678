"""Events a tenant's other systems may hear of through webhooks: the fixed list of types, and `publish`.

A domain publishes an event at the moment it happens, inside the transaction that makes it happen:
`publish(tenant_id, "request.created", {...})`. The event is recorded with one delivery for each of the
tenant's enabled endpoints that asked for its type, and the deliveries go out once the transaction commits
(saas/core/webhooks.py); a rolled-back transaction sends nothing. The data names the object by its public
number and ids with its key fields: never a secret, never another tenant's row.
"""

from flask_babel import lazy_gettext as _l

#: The event types an endpoint can subscribe to, with their labels.
EVENT_TYPES = {
    "request.created": _l("Request created"),
    "request.status_changed": _l("Request status changed"),
    "breach.recorded": _l("Breach recorded"),
    "invoice.issued": _l("Invoice issued"),
    "payment.received": _l("Payment received"),
    "credit.proposed": _l("Service credit proposed"),
    "credit.decided": _l("Service credit confirmed, waived or upheld"),
    "notice.sent": _l("Notice sent"),
    "dispute.opened": _l("Dispute opened"),
    "dispute.changed": _l("Dispute moved on, resolved or withdrawn"),
}
#: The test event an admin sends from the endpoint's page; no endpoint subscribes to it.
PING = "ping"


def label(event_type: str) -> str:
    """The translated name of an event type (the test event's included)."""
    if event_type == PING:
        return str(_l("Test event (ping)"))
    return str(EVENT_TYPES.get(event_type, event_type))


def wanted(tenant_id: int, event_type: str) -> bool:
    """Whether any enabled endpoint of the tenant hears of `event_type` (to skip building data nobody reads)."""
    from saas.core.webhooks import wanted as endpoints_wanting

    return bool(endpoints_wanting(tenant_id, event_type))


def publish(tenant_id: int, event_type: str, data: dict) -> list[str]:
    """Record one event for the tenant's endpoints that want it, delivered after the commit; its ids (or none)."""
    return publish_many(tenant_id, event_type, [data])


def publish_many(tenant_id: int, event_type: str, items: list[dict]) -> list[str]:
    """Record one event per item of data (a billing chunk's invoices, a sweep's breaches) in one go."""
    from saas.core.webhooks import record_events

    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return record_events(tenant_id, event_type, items)
