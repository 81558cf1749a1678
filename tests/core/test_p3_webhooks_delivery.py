"""Outgoing webhooks: signed like Stripe's, retried on a backoff with the same event id, logged, replayable,
switched off after three days of failures, and never sent to a private address in production (SSRF)."""

import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from saas.core import events, webhooks
from saas.core.models import MailMessage
from saas.core.tasks import deliver_due_webhooks
from saas.core.webhooks import (
    DeliveryKind,
    DeliveryStatus,
    UnsafeAddress,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from saas.extensions import db as _db
from tests.core.webhook_receiver import documented_verify

ALL_EVENTS = list(events.EVENT_TYPES)


def register(tenant, url, actor=None, **data):
    endpoint = webhooks.create_endpoint(tenant, {"url": url, "events": ALL_EVENTS, **data}, actor)
    _db.session.commit()
    return endpoint


def publish_one(tenant, data=None):
    ids = events.publish(tenant.id, "invoice.issued", data or {"invoice": {"id": 1, "number": "INV-2026-000001"}})
    _db.session.commit()  # the deliveries go out now (inline: no Redis)
    return ids


def the_delivery():
    _db.session.expire_all()
    return _db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()


def test_p3_webhooks_signature_verifies_with_the_documented_receiver_code(db, world, clock, receiver):
    """The receiver code in docs/api.md accepts a delivery as sent, and refuses a tampered body or an old timestamp."""
    alpha = world.tenant("alpha")
    endpoint = register(alpha, receiver.url, secret="s" * 30)
    [event_id] = publish_one(alpha)

    [sent] = receiver.received
    verify = documented_verify(clock)
    header = sent.headers["Aftercare-Signature"]
    assert header.startswith(f"t={int(clock.now().timestamp())},v1=")
    assert verify(endpoint.secret, header, sent.body)
    assert sent.payload["id"] == sent.headers["Aftercare-Event-Id"] == event_id
    assert sent.payload["type"] == "invoice.issued" and sent.payload["tenant"] == "alpha"
    assert sent.payload["created_at"].endswith("Z")

    assert not verify(endpoint.secret, header, sent.body.replace(b"INV-2026-000001", b"INV-2026-000002"))
    assert not verify("another-secret-of-thirty-chars", header, sent.body)
    clock.advance(minutes=5, seconds=1)
    assert not verify(endpoint.secret, header, sent.body)  # a capture replayed after the tolerance


def test_p3_webhooks_a_retried_delivery_carries_the_same_event_id(db, world, clock, receiver):
    """A delivery that fails is tried again by the periodic job with the same event, id and body."""
    alpha = world.tenant("alpha")
    register(alpha, receiver.url)
    receiver.statuses = [500]
    [event_id] = publish_one(alpha)
    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.next_attempt_at == clock.now() + timedelta(minutes=1)

    assert deliver_due_webhooks() == 0  # not yet due
    clock.advance(minutes=1)
    assert deliver_due_webhooks() == 1

    first, second = receiver.received
    assert first.headers["Aftercare-Event-Id"] == second.headers["Aftercare-Event-Id"] == event_id
    assert first.body == second.body
    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 2, 200)
    attempts = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [500, 200]
    assert attempts[0].response_body.startswith("answer 500")
    assert len(attempts[0].response_body) == webhooks.RESPONSE_KEPT  # the answer's body, truncated
    assert all(a.duration_ms >= 0 for a in attempts)


def test_p3_webhooks_backoff_schedule_then_given_up_after_three_days(db, world, clock, receiver):
    """Failures wait 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then a day; past three days the delivery is given up."""
    alpha = world.tenant("alpha")
    register(alpha, receiver.url)
    receiver.statuses = [503] * 20
    publish_one(alpha)
    waits = []
    while True:
        delivery = the_delivery()
        if delivery.status != DeliveryStatus.PENDING:
            break
        waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
        clock.set(delivery.next_attempt_at)
        assert deliver_due_webhooks() == 1
    hours = timedelta(hours=1)
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        2 * hours,
        6 * hours,
        12 * hours,
        24 * hours,
        24 * hours,
    ]
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 9
    assert len({r.headers["Aftercare-Event-Id"] for r in receiver.received}) == 1
    clock.advance(days=2)
    assert deliver_due_webhooks() == 0  # given up: not tried again


def test_p3_webhooks_replays_are_logged_as_replays_of_the_same_event(client, db, world, receiver):
    """Replay from the log: a new delivery of the same event (same id), marked a replay of the first."""
    alpha = world.tenant("alpha")
    register(alpha, receiver.url)
    [event_id] = publish_one(alpha)
    first = the_delivery()
    client.sign_in(world.person("alpha", "vendor_admin").email)

    response = client.post_form(f"/t/alpha/webhooks/deliveries/{first.id}/replay")
    assert response.status_code == 302

    _db.session.expire_all()
    original, replayed = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert (replayed.kind, replayed.replay_of_id, replayed.event_id) == (DeliveryKind.REPLAY, first.id, first.event_id)
    assert replayed.status == DeliveryStatus.SUCCEEDED
    assert [r.headers["Aftercare-Event-Id"] for r in receiver.received] == [event_id, event_id]
    page = client.get(f"/t/alpha/webhooks/{first.endpoint_id}").get_data(as_text=True)
    assert "Replay" in page and event_id in page


def test_p3_webhooks_an_endpoint_failing_for_three_days_is_disabled_and_the_admins_mailed(db, world, clock, receiver):
    """Every delivery failing for three days switches the endpoint off, tells the admins once, and sends no more."""
    alpha = world.tenant("alpha")
    endpoint = register(alpha, receiver.url)
    receiver.statuses = [500] * 50
    publish_one(alpha)
    for _day in range(3):
        clock.advance(days=1)
        publish_one(alpha)  # a new event each day, failing like the others
        deliver_due_webhooks()
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing")
    mails = db.session.scalars(select(MailMessage).where(MailMessage.subject.contains(receiver.url))).all()
    assert [m.to for m in mails] == [world.person("alpha", "vendor_admin").email]
    assert receiver.url in mails[0].body_text and "/t/alpha/webhooks/" in mails[0].body_text

    before = len(receiver.received)
    assert publish_one(alpha) == []  # nothing more is recorded for a switched-off endpoint
    clock.advance(days=1)
    deliver_due_webhooks()
    assert len(receiver.received) == before
    assert db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.subject.contains(receiver.url))) == 1


def test_p3_webhooks_a_success_clears_the_failing_clock(db, world, clock, receiver):
    """An endpoint that answers again within the three days stays on: only unbroken failure switches it off."""
    alpha = world.tenant("alpha")
    endpoint = register(alpha, receiver.url)
    receiver.statuses = [500, 500]
    publish_one(alpha)
    clock.advance(days=2)
    publish_one(alpha)
    assert the_delivery().endpoint.failing_since is not None
    receiver.statuses = [200]
    clock.advance(hours=1)
    publish_one(alpha)
    clock.advance(days=2)
    receiver.statuses = [500]
    publish_one(alpha)
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert endpoint.enabled and endpoint.failing_since == clock.now()


def test_p3_webhooks_redirects_are_not_followed(db, world, receiver):
    """A redirect is a failed attempt (logged with its status); its target is never called."""
    alpha = world.tenant("alpha")
    register(alpha, receiver.url)
    receiver.statuses = [302]
    publish_one(alpha)
    assert len(receiver.received) == 1
    delivery = the_delivery()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.PENDING, 302)


# SSRF

NAMES = {
    "loopback.example.com": ["127.0.0.1"],
    "ten.example.com": ["10.1.2.3"],
    "metadata.example.com": ["169.254.169.254"],
    "six.example.com": ["::1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.10"],
    "public.example.com": ["93.184.216.34"],
}


@pytest.fixture
def production_dns(app, monkeypatch):
    """Production mode (no private addresses), and a resolver that answers NAMES (the rest resolve as usual)."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    real = socket.getaddrinfo
    answers = dict(NAMES)

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


REFUSED = [
    "http://loopback.example.com/hook",
    "http://ten.example.com/hook",
    "http://metadata.example.com/latest/meta-data/",
    "http://six.example.com/hook",
    "http://mapped.example.com/hook",
    "https://mixed.example.com/hook",
    "http://127.0.0.1:8080/hook",
    "http://10.0.0.8/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_p3_webhooks_ssrf_private_addresses_are_refused_at_registration(db, world, production_dns, url):
    """In production a URL whose host is or resolves to a private, loopback or link-local address is refused."""
    with pytest.raises(UnsafeAddress):
        webhooks.create_endpoint(world.tenant("alpha"), {"url": url, "events": ALL_EVENTS}, None)
    assert webhooks.checked_address("https://public.example.com/hook")[3].exploded == "93.184.216.34"


def test_p3_webhooks_ssrf_the_registration_form_refuses_a_private_address(client, db, world, production_dns):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = {"url": "http://metadata.example.com/latest", "events": ALL_EVENTS, "enabled": "y"}
    page = client.post_form("/t/alpha/webhooks/new", data)
    assert page.status_code == 422
    assert "private, loopback or link-local address" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_p3_webhooks_ssrf_checked_again_at_delivery_time(app, db, world, receiver, production_dns, monkeypatch):
    """A name that resolved to a public address at registration and to 127.0.0.1 later is refused then (rebinding);
    the connection goes to the address that was checked, never to one resolved again."""
    alpha = world.tenant("alpha")
    production_dns["rebind.example.com"] = ["93.184.216.34"]
    register(alpha, f"http://rebind.example.com:{receiver.port}/hook")
    for private in ("127.0.0.1", "10.0.0.5", "169.254.169.254", "::1"):
        production_dns["rebind.example.com"] = [private]
        publish_one(alpha)
    assert receiver.received == []
    attempts = db.session.scalars(select(WebhookAttempt)).all()
    assert len(attempts) == 4
    assert all(a.status_code is None and "private" in a.error for a in attempts)

    # Positive control: where private addresses are allowed, the same delivery reaches 127.0.0.1 by that address.
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    production_dns["rebind.example.com"] = ["127.0.0.1"]
    publish_one(alpha)
    [sent] = receiver.received
    assert sent.headers["Host"] == f"rebind.example.com:{receiver.port}"


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "example.com/hook", "http://user:pw@example.com/", ""])
def test_p3_webhooks_only_http_and_https_urls_are_taken(db, world, url):
    with pytest.raises(UnsafeAddress):
        webhooks.create_endpoint(world.tenant("alpha"), {"url": url, "events": ALL_EVENTS}, None)
