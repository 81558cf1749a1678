"""Outgoing webhooks: a tenant's endpoints, its events and their deliveries, signed, retried, logged, replayable.

Each delivery is an HTTP POST of the event's JSON to the endpoint's URL, signed the way Stripe signs
(`Aftercare-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`);
receivers refuse a timestamp older than five minutes (docs/api.md shows how). Every attempt is logged with
its answer's status, time and first characters. A delivery that fails is tried again later, on the backoff
schedule below, with the same event and the same event id, by the periodic "deliver due webhooks" job, so a
failure in inline mode (no Redis) is retried too; after three days it is given up. An endpoint whose
deliveries have all failed for three days is switched off and the tenant's admins are mailed.

Only the URL the admin registered is called, never a redirect's target. Outside development and tests
(WEBHOOKS_ALLOW_PRIVATE) a URL whose host is, or resolves to, a private, loopback, link-local, reserved or
multicast address is refused, when it is registered and again at each delivery; the connection is then made
to the very address that was checked, so a name that resolves differently the second time cannot divert it.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core import audit, dbscope
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.events import EVENT_TYPES, PING
from saas.core.models import Tenant, User
from saas.core.outbox import send_after_commit
from saas.core.parsing import clean_text
from saas.core.secrets import EncryptedText
from saas.core.tenancy import TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db

SECRET_PREFIX = "whsec_"  # noqa: S105  (the prefix of every secret, not a secret)
MIN_SECRET_LENGTH = 24
SIGNATURE_HEADER = "Aftercare-Signature"
#: How old a signed timestamp a receiver should accept (docs/api.md).
TOLERANCE = timedelta(minutes=5)
#: Wait before the attempt after the 1st, 2nd, … failure; the last step repeats.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
#: A delivery still failing this long after it was made is given up.
GIVE_UP_AFTER = timedelta(days=3)
#: An endpoint whose every delivery has failed for this long is switched off.
DISABLE_AFTER = timedelta(days=3)
#: How long a claimed delivery is left to the job that claimed it before another may try it.
LEASE = timedelta(minutes=2)
#: What the log keeps of an answer's body.
RESPONSE_KEPT = 2000
MAX_URL_LENGTH = 2000
BATCH = 200


class DeliveryStatus:
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def status_label(status: str) -> str:
    """The translated name of a delivery's status."""
    from flask_babel import lazy_gettext as _l

    labels = {
        DeliveryStatus.PENDING: _l("To be sent"),
        DeliveryStatus.SUCCEEDED: _l("Delivered"),
        DeliveryStatus.FAILED: _l("Failed"),
    }
    return str(labels.get(status, status))


class DeliveryKind:
    EVENT = "event"
    REPLAY = "replay"
    TEST = "test"


class WebhookEndpoint(TenantScoped, db.Model):
    """A URL of the tenant's that hears of the events it chose, signed with its own secret."""

    __tablename__ = "webhook_endpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: The event types it hears of (saas.core.events.EVENT_TYPES).
    events: Mapped[list] = mapped_column(JSON, default=list)
    #: The signing secret, sealed with ENCRYPTION_KEYS (the column holds the Fernet token); shown only when made.
    secret: Mapped[str] = mapped_column("secret_sealed", EncryptedText)
    #: The secret was made or rolled and its page has not been shown since: it is shown there once.
    secret_unseen: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Why it is off: "" (by an admin) or "failing" (every delivery failed for DISABLE_AFTER).
    disabled_reason: Mapped[str] = mapped_column(String(32), default="")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The first failure since the last success; None while deliveries succeed.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()


class WebhookEvent(TenantScoped, db.Model):
    """Something that happened, as its endpoints are told of it: the body is kept so every retry sends the same."""

    __tablename__ = "webhook_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event id receivers see ("evt_…"): the same on every retry and replay, so they can ignore repeats.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    #: The JSON sent, exactly.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class WebhookDelivery(TenantScoped, db.Model):
    """One event to one endpoint: tried until it succeeds or is given up; a replay is a delivery of its own."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint_log", "endpoint_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True)
    #: event, replay (sent again from the log by an admin) or test (the ping).
    kind: Mapped[str] = mapped_column(String(16), default=DeliveryKind.EVENT)
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="SET NULL"))
    #: pending (to be tried at next_attempt_at), succeeded, or failed (given up).
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last attempt's answer: HTTP status (None when none came) and milliseconds.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[WebhookEvent] = relationship(lazy="joined")


class WebhookAttempt(TenantScoped, db.Model):
    """One POST of a delivery, as it went: what was sent, what came back (truncated), how long it took."""

    __tablename__ = "webhook_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    #: The Aftercare-Signature header sent (a timestamp and an HMAC: no secret).
    signature: Mapped[str] = mapped_column(String(200))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    #: The answer's first RESPONSE_KEPT characters.
    response_body: Mapped[str] = mapped_column(Text, default="")
    #: Why no answer came (refused address, timeout, connection refused).
    error: Mapped[str] = mapped_column(String(500), default="")

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# Signing


def new_secret() -> str:
    """A fresh signing secret: whsec_ and 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Aftercare-Signature header of `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# Addresses (SSRF)


class UnsafeAddress(ServiceError):
    """A webhook URL this server must not call (not http(s), or its host is on a private network)."""


def _is_public(address) -> bool:
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _parts(url: str):
    """scheme, host, port of an http(s) URL, or UnsafeAddress saying what is wrong with it."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UnsafeAddress(_("Enter a full web address, such as https://example.com/hooks/aftercare.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress(_("The address must start with http:// or https://, such as https://example.com/hook."))
    if parts.username or parts.password:
        raise UnsafeAddress(_("Leave the user name and password out of the address: deliveries are signed instead."))
    if len(text) > MAX_URL_LENGTH or not text.isascii() or any(c.isspace() for c in text):
        raise UnsafeAddress(_("Enter a full web address, such as https://example.com/hooks/aftercare."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list:
    """Every address `host` resolves to (socket.getaddrinfo), or UnsafeAddress when it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeAddress(_("The host name %(host)s could not be found.", host=host)) from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeAddress(_("The host name %(host)s could not be found.", host=host))
    return addresses


def checked_address(url: str):
    """(scheme, host, port, address to connect to) for a URL this server may call, else UnsafeAddress."""
    scheme, host, port = _parts(url)
    addresses = resolve(host, port)
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE"] and not all(_is_public(a) for a in addresses):
        raise UnsafeAddress(
            _(
                "%(host)s is a private, loopback or link-local address: webhooks go only to public addresses.",
                host=host,
            )
        )
    return scheme, host, port, addresses[0]


# Endpoints


def _events(chosen) -> list[str]:
    events = [e for e in EVENT_TYPES if e in set(chosen or ())]
    if not events:
        raise ServiceError(_("Choose at least one event."))
    return events


def _secret(typed: str | None) -> str:
    typed = (typed or "").strip()
    if not typed:
        return new_secret()
    if len(typed) < MIN_SECRET_LENGTH or not typed.isascii() or any(c.isspace() for c in typed):
        raise ServiceError(
            _(
                "A secret needs at least %(num)d characters (letters, digits, symbols; no spaces).",
                num=MIN_SECRET_LENGTH,
            )
        )
    return typed


def create_endpoint(tenant: Tenant, data: dict, actor: User | None) -> WebhookEndpoint:
    """Register an endpoint: its URL checked, the secret typed (24 characters at least) or made; shown once."""
    checked_address(data.get("url", ""))
    endpoint = WebhookEndpoint(
        tenant_id=tenant.id,
        url=data["url"].strip(),
        description=clean_text(data.get("description"), multiline=False).strip()[:200],
        events=_events(data.get("events")),
        secret=_secret(data.get("secret")),
        secret_unseen=True,
        enabled=bool(data.get("enabled", True)),
        created_by_id=actor.id if actor else None,
        created_at=now(),
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhooks.endpoint_created", tenant_id=tenant.id, target=endpoint, actor=actor, url=endpoint.url)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, data: dict, actor: User | None) -> None:
    """Change an endpoint's URL (checked again), events, description, or switch it on or off."""
    checked_address(data.get("url", ""))
    endpoint.url = data["url"].strip()
    endpoint.description = clean_text(data.get("description"), multiline=False).strip()[:200]
    endpoint.events = _events(data.get("events"))
    enabled = bool(data.get("enabled"))
    if enabled and not endpoint.enabled:
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    elif not enabled and endpoint.enabled:
        endpoint.disabled_reason, endpoint.disabled_at = "", now()
    endpoint.enabled = enabled
    audit.record(
        "webhooks.endpoint_changed", tenant_id=endpoint.tenant_id, target=endpoint, actor=actor, url=endpoint.url
    )


def roll_secret(endpoint: WebhookEndpoint, actor: User | None) -> None:
    """A new secret for the endpoint, shown once on its page; the old one signs nothing more."""
    endpoint.secret = new_secret()
    endpoint.secret_unseen = True
    audit.record("webhooks.secret_rolled", tenant_id=endpoint.tenant_id, target=endpoint, actor=actor)


def reveal_secret(endpoint: WebhookEndpoint) -> str | None:
    """The secret, the one time its page is shown after it was made or rolled; None every other time."""
    claimed = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.secret_unseen.is_(True))
        .values(secret_unseen=False)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    endpoint.secret_unseen = False
    return endpoint.secret


def list_endpoints(tenant: Tenant) -> list[tuple[WebhookEndpoint, "WebhookDelivery | None"]]:
    """The tenant's endpoints, oldest first, each with its latest delivery (or None)."""
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant.id).order_by(WebhookEndpoint.id)
    ).all()
    latest = (
        select(func.max(WebhookDelivery.id))
        .where(WebhookDelivery.tenant_id == tenant.id)
        .group_by(WebhookDelivery.endpoint_id)
        .scalar_subquery()
    )
    last = {
        d.endpoint_id: d
        for d in db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant.id, WebhookDelivery.id.in_(latest))
        )
    }
    return [(e, last.get(e.id)) for e in endpoints]


def list_deliveries(endpoint: WebhookEndpoint, *, after: int | None = None, limit: int = 25):
    """One page of an endpoint's delivery log, newest first (keyset on id); returns (rows, next_after)."""
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.tenant_id == endpoint.tenant_id, WebhookDelivery.endpoint_id == endpoint.id
    )
    if after:
        stmt = stmt.where(WebhookDelivery.id < after)
    rows = db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """Every attempt of a delivery, first to last."""
    return db.session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.tenant_id == delivery.tenant_id, WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.id)
    ).all()


def pretty_body(event: WebhookEvent) -> str:
    """The event's JSON, indented for reading (what is sent is `event.body`, byte for byte)."""
    return json.dumps(json.loads(event.body), indent=2, ensure_ascii=False)


# Events and deliveries


def wanted(tenant_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The tenant's enabled endpoints that hear of `event_type`."""
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled.is_(True))
    ).all()
    return [e for e in endpoints if event_type in (e.events or ())]


def _new_event(tenant: Tenant, event_type: str, data: dict, at: datetime) -> WebhookEvent:
    public_id = "evt_" + secrets.token_urlsafe(18)
    payload = {
        "id": public_id,
        "type": event_type,
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "tenant": tenant.slug,
        "data": data,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return WebhookEvent(tenant_id=tenant.id, public_id=public_id, type=event_type, body=body, created_at=at)


def _schedule(deliveries: list[WebhookDelivery]) -> None:
    from saas.core.tasks import deliver_webhooks

    db.session.flush()
    if deliveries:
        send_after_commit(deliver_webhooks, [d.id for d in deliveries], key="webhooks", queue="default")


def record_events(tenant_id: int, event_type: str, items: list[dict]) -> list[str]:
    """saas.core.events.publish_many: events and their deliveries in this transaction, sent after it commits."""
    endpoints = wanted(tenant_id, event_type) if items else []
    if not endpoints:
        return []
    tenant = db.session.get(Tenant, tenant_id)
    at = now()
    events = [_new_event(tenant, event_type, data, at) for data in items]
    db.session.add_all(events)
    db.session.flush()
    deliveries = [
        WebhookDelivery(tenant_id=tenant_id, endpoint_id=e.id, event_id=ev.id, next_attempt_at=at, created_at=at)
        for ev in events
        for e in endpoints
    ]
    db.session.add_all(deliveries)
    _schedule(deliveries)
    return [ev.public_id for ev in events]


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` event to this endpoint alone, sent after the commit (tried once: the log shows how it went)."""
    at = now()
    event = _new_event(endpoint.tenant, PING, {"endpoint_id": endpoint.id, "message": "ping"}, at)
    db.session.add(event)
    db.session.flush()
    delivery = WebhookDelivery(
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event_id=event.id,
        kind=DeliveryKind.TEST,
        next_attempt_at=at,
        created_at=at,
    )
    db.session.add(delivery)
    _schedule([delivery])
    return delivery


def replay(delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Send a delivery's event again as a new delivery (same event, same id, logged as a replay)."""
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        raise ServiceError(_("Switch the endpoint on before sending anything to it again."))
    at = now()
    again = WebhookDelivery(
        tenant_id=delivery.tenant_id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        kind=DeliveryKind.REPLAY,
        replay_of_id=delivery.id,
        next_attempt_at=at,
        created_at=at,
    )
    db.session.add(again)
    audit.record(
        "webhooks.replayed", tenant_id=delivery.tenant_id, target=delivery, actor=actor, event=delivery.event.public_id
    )
    _schedule([again])
    return again


def next_attempt(delivery: WebhookDelivery, at: datetime) -> datetime | None:
    """When to try a delivery again after its latest failure (attempts counts it), or None to give it up."""
    if delivery.kind == DeliveryKind.TEST:
        return None
    delay = RETRY_DELAYS[min(delivery.attempts, len(RETRY_DELAYS)) - 1]
    when = at + delay
    return when if when - delivery.created_at <= GIVE_UP_AFTER else None


def _claim(delivery_id: int, at: datetime) -> bool:
    """Take a due delivery for this job (for LEASE): two jobs at once never both send it."""
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= at,
        )
        .values(next_attempt_at=at + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST to the address that was checked (no redirect followed); the status and the start of the answer."""
    scheme, host, port, address = checked_address(url)
    parts = urlsplit(url.strip())
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = port == (443 if scheme == "https" else 80)
    headers = {**headers, "Host": host if default_port else f"{host}:{port}"}
    timeout = urllib3.Timeout(
        connect=current_app.config["WEBHOOKS_TIMEOUT"], read=current_app.config["WEBHOOKS_TIMEOUT"]
    )
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            str(address), port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(str(address), port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            kept = response.read(RESPONSE_KEPT * 4)
        finally:
            response.release_conn()
        return response.status, kept
    finally:
        pool.close()


def _attempt(delivery: WebhookDelivery) -> WebhookAttempt:
    """Send a delivery once and log the attempt (nothing of the database is held while it waits)."""
    endpoint, event = delivery.endpoint, delivery.event
    url, secret, body = endpoint.url, endpoint.secret, event.body.encode()
    at = now()
    signed = signature(secret, int(at.timestamp()), body)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Aftercare-Webhooks/1",
        SIGNATURE_HEADER: signed,
        "Aftercare-Event-Id": event.public_id,
        "Aftercare-Event-Type": event.type,
        "Aftercare-Delivery-Id": str(delivery.id),
    }
    attempt = WebhookAttempt(
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        number=delivery.attempts + 1,
        url=url,
        signature=signed,
        attempted_at=at,
    )
    db.session.commit()  # end the transaction: the POST may take seconds
    started = time.monotonic()
    try:
        status, answer = _post(url, body, headers)
        attempt.status_code = status
        attempt.response_body = clean_text(answer.decode("utf-8", "replace"))[:RESPONSE_KEPT]
    except UnsafeAddress as exc:
        attempt.error = str(exc)[:500]
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        attempt.error = clean_text(f"{type(exc).__name__}: {exc}", multiline=False)[:500]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def _record(delivery: WebhookDelivery, attempt: WebhookAttempt) -> None:
    """Log the attempt on the delivery and its endpoint: retry later, give up, or switch a failing endpoint off."""
    at = now()
    endpoint = delivery.endpoint
    db.session.add(attempt)
    delivery.attempts += 1
    delivery.last_attempt_at = attempt.attempted_at
    delivery.response_status, delivery.response_ms = attempt.status_code, attempt.duration_ms
    if attempt.ok:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
        endpoint.failing_since = None
        return
    delivery.next_attempt_at = next_attempt(delivery, at)
    if delivery.next_attempt_at is None:
        delivery.status = DeliveryStatus.FAILED
    endpoint.failing_since = endpoint.failing_since or attempt.attempted_at
    if endpoint.enabled and at - endpoint.failing_since >= DISABLE_AFTER:
        from saas.core.tasks import notify_webhook_disabled

        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, "failing", at
        audit.record("webhooks.endpoint_disabled", tenant_id=endpoint.tenant_id, target=endpoint, url=endpoint.url)
        send_after_commit(notify_webhook_disabled, [endpoint.id], key="webhook-disabled")


def deliver(delivery_ids: list[int]) -> int:
    """Try each of these deliveries that is due and whose endpoint is on, each in its tenant's scope; how many."""
    rows = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.tenant_id)
        .where(WebhookDelivery.id.in_(delivery_ids))
        .order_by(WebhookDelivery.id)
    ).all()
    db.session.commit()
    sent = 0
    for delivery_id, tenant_id in rows:
        with dbscope.tenant(tenant_id):
            if not _claim(delivery_id, now()):
                continue  # done, not yet due, or being sent by another job
            delivery = db.session.get(WebhookDelivery, delivery_id)
            if not delivery.endpoint.enabled:
                delivery.next_attempt_at = None
                delivery.status = DeliveryStatus.FAILED
                db.session.commit()
                continue
            attempt = _attempt(delivery)
            _record(delivery, attempt)
            db.session.commit()
            sent += 1
    return sent


def due_deliveries(at: datetime, limit: int = BATCH) -> list[int]:
    """Deliveries waiting for their next attempt whose time has come (to enabled endpoints), oldest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= at,
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )
