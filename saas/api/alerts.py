"""§2.2.1 system monitoring: Prometheus Alertmanager's webhook opens fault requests by itself (§2.2.2).

A firing alert opens one request in the tenant's fault category, keyed by the alert's fingerprint, unless
one is open already; its resolution is noted once on that request's timeline. Alertmanager repeats its
notifications and may deliver one twice at once, so every delivery for a client runs under that client's
row lock and is checked against what is already recorded.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from saas.api.models import ApiToken
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.mail import MAIL_LOCALES
from saas.core.models import Client
from saas.core.parsing import InvalidDate, parse_datetime
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import Channel, Priority, RequestEvent, RequestKind, ServiceRequest

#: Alertmanager's `severity` label, as the request's priority; any other value is normal.
SEVERITY_PRIORITY = {"critical": Priority.URGENT, "warning": Priority.HIGH, "info": Priority.LOW}
#: More alerts than this in one notification is not a real Alertmanager group.
MAX_ALERTS = 1000
SOURCE_PREFIX = "alertmanager:"


@dataclass(frozen=True)
class Alert:
    """One alert of a webhook notification (payload version 4)."""

    status: str
    fingerprint: str
    labels: dict
    annotations: dict
    starts_at: str
    ends_at: str
    generator_url: str

    @property
    def source_key(self) -> str:
        return SOURCE_PREFIX + self.fingerprint

    @property
    def priority(self) -> str:
        return SEVERITY_PRIORITY.get(str(self.labels.get("severity", "")).lower(), Priority.NORMAL)

    @property
    def subject(self) -> str:
        candidates = (self.annotations.get("summary"), self.labels.get("alertname"), "Alert")
        return next(str(c).strip() for c in candidates if c is not None and str(c).strip())[:200]

    def description(self) -> str:
        """The alert as data both parties can read: its description, labels, annotations and source."""
        lines = [str(self.annotations["description"]).strip(), ""] if self.annotations.get("description") else []
        for title, values in (("labels", self.labels), ("annotations", self.annotations)):
            if values:
                lines.append(f"{title}:")
                lines += [f"  {k}: {v}" for k, v in sorted(values.items())]
        lines.append(f"startsAt: {self.starts_at}")
        if self.generator_url:
            lines.append(f"generatorURL: {self.generator_url}")
        return "\n".join(lines)


def parse(payload) -> list[Alert]:
    """The alerts of a webhook body; a body that is not one is refused with the reason."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ServiceError(_("This is not an Alertmanager notification: it has no list of alerts."))
    if len(payload["alerts"]) > MAX_ALERTS:
        raise ServiceError(_("At most %(num)d alerts can be sent at once.", num=MAX_ALERTS))
    alerts = []
    for index, item in enumerate(payload["alerts"]):
        if not isinstance(item, dict) or item.get("status") not in ("firing", "resolved"):
            raise ServiceError(_("Alert %(num)d: the status must be “firing” or “resolved”.", num=index + 1))
        labels, annotations = item.get("labels", {}), item.get("annotations", {})
        if not isinstance(labels, dict) or not isinstance(annotations, dict):
            raise ServiceError(_("Alert %(num)d: labels and annotations must be objects.", num=index + 1))
        fingerprint = item.get("fingerprint")
        if not isinstance(fingerprint, str) or not 0 < len(fingerprint.strip()) <= 128:
            raise ServiceError(_("Alert %(num)d has no fingerprint.", num=index + 1))
        starts_at = item.get("startsAt") or ""
        if not isinstance(starts_at, str) or _parse_time(starts_at) is None:
            raise ServiceError(_("Alert %(num)d: startsAt is not a time.", num=index + 1))
        alerts.append(
            Alert(
                status=item["status"],
                fingerprint=fingerprint.strip(),
                labels=labels,
                annotations=annotations,
                starts_at=starts_at,
                ends_at=str(item.get("endsAt") or ""),
                generator_url=str(item.get("generatorURL") or ""),
            )
        )
    return alerts


def _parse_time(value: str) -> datetime | None:
    """An RFC 3339 time as Alertmanager writes it, in UTC; None for nonsense, for times outside parse_datetime's
    years (9999-12-31T23:59:59-12:00 would overflow in UTC) and for Go's zero time (no end yet)."""
    try:
        parsed = parse_datetime(value, require_timezone=True)
    except InvalidDate:
        return None
    return parsed if parsed.year >= 1970 else None


def ingest(token: ApiToken, client: Client, alerts: list[Alert]) -> dict:
    """Open, note or ignore each alert for the client; returns {opened, updated, ignored, requests}."""
    tenant = token.tenant
    # One delivery per client at a time: a duplicate waits here, then finds the request the first one opened.
    db.session.execute(select(Client.id).where(Client.id == client.id).with_for_update())
    summary = {"opened": 0, "updated": 0, "ignored": 0, "requests": []}
    fault = None
    for alert in alerts:
        req = db.session.scalar(
            select(ServiceRequest)
            .where(
                ServiceRequest.tenant_id == tenant.id,
                ServiceRequest.client_id == client.id,
                ServiceRequest.source_key == alert.source_key,
                ServiceRequest.is_open.is_(True),
            )
            .order_by(ServiceRequest.id.desc())
            .limit(1)
        )
        if alert.status == "firing" and req is None:
            fault = fault or _fault_category(tenant)
            req = requests.create_request(
                tenant,
                client.id,
                {
                    "category_id": fault.id,
                    "priority": alert.priority,
                    "subject": alert.subject,
                    "description": alert.description(),
                    "requester_name": "Alertmanager",
                },
                actor=None,
                channel=Channel.MONITORING,
                source_key=alert.source_key,
            )
            action = "opened"
        elif alert.status == "resolved" and req is not None and not _resolution_noted(req, alert):
            ended = _parse_time(alert.ends_at) or now()
            requests.add_event(
                req,
                "alert",
                None,
                body=_resolved_text(ended, tenant.timezone),
                data={
                    "status": "resolved",
                    "fingerprint": alert.fingerprint,
                    "starts_at": alert.starts_at,
                    "ends_at": alert.ends_at,
                    "alertname": str(alert.labels.get("alertname", "")),
                },
            )
            action = "updated"
        else:  # already open, already noted, or resolved without an open request
            action = "ignored"
        summary[action] += 1
        summary["requests"].append(
            {
                "fingerprint": alert.fingerprint,
                "status": alert.status,
                "action": action,
                "number": req.number if req is not None else None,
            }
        )
    return summary


def _fault_category(tenant):
    """The tenant's fault category (§2.2.2), where alerts open requests."""
    category = next((c for c in requests.categories(tenant) if c.kind == RequestKind.FAULT), None)
    if category is None:
        raise ServiceError(_("There is no active fault category to open alert requests in."))
    return category


def _resolution_noted(req: ServiceRequest, alert: Alert) -> bool:
    """Whether this alert's resolution (the same firing, by its start) is already on the timeline."""
    events = db.session.scalars(
        select(RequestEvent.data).where(RequestEvent.request_id == req.id, RequestEvent.kind == "alert")
    )
    return any(
        d.get("status") == "resolved"
        and d.get("fingerprint") == alert.fingerprint
        and d.get("starts_at") == alert.starts_at
        for d in events
    )


def _resolved_text(ended: datetime, timezone: str) -> str:
    """“Alert resolved at …” in both languages (both parties read the timeline), the time in the tenant's zone."""
    when = ended.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    parts = []
    for locale in MAIL_LOCALES:
        with force_locale(locale):
            parts.append(_("Alert resolved at %(when)s (%(zone)s).", when=when, zone=timezone))
    return " / ".join(dict.fromkeys(parts))
