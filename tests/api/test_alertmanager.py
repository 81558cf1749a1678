"""§2.2.1 system monitoring: Alertmanager's webhook opens fault requests (§2.2.2) by itself, once per alert."""

import threading
import time

import pytest
from sqlalchemy import func, select

from saas.requests import services
from saas.requests.models import RequestEvent, ServiceRequest

URL = "/api/v1/alerts/alertmanager"


def alert(
    status="firing",
    fingerprint="a1b2c3d4e5f60718",
    severity="critical",
    summary="Disk almost full on db1",
    starts="2026-11-02T00:58:00.123456789Z",
    ends="0001-01-01T00:00:00Z",
):
    labels = {"alertname": "DiskFull", "instance": "db1:9100"}
    if severity is not None:
        labels["severity"] = severity
    annotations = {"summary": summary, "description": "/var is 97% full"} if summary else {}
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=disk",
        "fingerprint": fingerprint,
    }


def payload(*alerts):
    """A version 4 webhook notification as Alertmanager sends it."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "aftercare",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def count_requests(db):
    return db.session.scalar(select(func.count(ServiceRequest.id)))


def test_s2_2_1_a_firing_alert_opens_one_fault_request_and_the_same_again_opens_nothing(client, api, world, db):
    client_id = world.clients("alpha")[0].id
    secret = api.token(scopes=["alerts:write"])
    response = client.post(f"{URL}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
    assert response.status_code == 200
    assert response.json["opened"] == 1 and response.json["updated"] == 0 and response.json["ignored"] == 0
    req = db.session.scalar(select(ServiceRequest))
    assert (req.kind, req.channel, req.priority, req.subject) == (
        "fault",
        "monitoring",
        "urgent",
        "Disk almost full on db1",
    )
    assert req.category.code == "FAULT" and req.source_key == "alertmanager:a1b2c3d4e5f60718"
    assert req.client_id == client_id and req.response_hours == 2  # §2.2.2: the contract's fault response hours
    assert "instance: db1:9100" in req.description and "http://prometheus:9090" in req.description
    for _ in range(2):  # Alertmanager repeats its notification while the alert fires
        again = client.post(f"{URL}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
        assert again.json["opened"] == 0 and again.json["ignored"] == 1
        assert again.json["requests"] == [
            {"fingerprint": "a1b2c3d4e5f60718", "status": "firing", "action": "ignored", "number": req.number}
        ]
    assert count_requests(db) == 1


def test_s2_2_1_resolved_alert_is_noted_once_on_its_open_request(client, api, world, db):
    client_id = world.clients("alpha")[0].id
    secret = api.token(scopes=["alerts:write"])
    client.post(f"{URL}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
    resolved = payload(alert(status="resolved", ends="2026-11-02T01:20:00Z"))
    first = client.post(f"{URL}?client_id={client_id}", json=resolved, headers=api.bearer(secret))
    second = client.post(f"{URL}?client_id={client_id}", json=resolved, headers=api.bearer(secret))
    assert (first.json["updated"], second.json["updated"], second.json["ignored"]) == (1, 0, 1)
    notes = db.session.scalars(select(RequestEvent).where(RequestEvent.kind == "alert")).all()
    assert len(notes) == 1 and not notes[0].internal
    assert "Alert resolved at 2026-11-02 09:20 (Asia/Shanghai)" in notes[0].body  # the tenant's time
    assert notes[0].data["fingerprint"] == "a1b2c3d4e5f60718"
    # A resolution of an alert that opened nothing (or of another client) changes nothing.
    other = client.post(
        f"{URL}?client_id={client_id}",
        json=payload(alert(status="resolved", fingerprint="ffff")),
        headers=api.bearer(secret),
    )
    assert other.json == {
        "opened": 0,
        "updated": 0,
        "ignored": 1,
        "requests": [{"fingerprint": "ffff", "status": "resolved", "action": "ignored", "number": None}],
    }
    # The request can be read back with its public timeline.
    reader = api.token(scopes=["requests:read"])
    timeline = client.get("/api/v1/requests/1", headers=api.bearer(reader)).json["timeline"]
    assert [e["kind"] for e in timeline] == ["created", "alert"]


def test_s2_2_1_a_fired_alert_after_its_request_closed_opens_a_new_one(client, api, world, db):
    client_id = world.clients("alpha")[0].id
    secret = api.token(scopes=["alerts:write"])
    client.post(f"{URL}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
    req = db.session.scalar(select(ServiceRequest))
    services.close_by_vendor(req, world.person("alpha", "vendor_admin"), "fixed")
    db.session.commit()
    response = client.post(
        f"{URL}?client_id={client_id}", json=payload(alert(starts="2026-11-02T00:59:00Z")), headers=api.bearer(secret)
    )
    assert response.json["opened"] == 1 and count_requests(db) == 2


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        ("critical", "urgent"),
        ("warning", "high"),
        ("info", "low"),
        ("page", "normal"),
        (None, "normal"),
        ("CRITICAL", "urgent"),
    ],
)
def test_s2_2_1_severity_label_sets_the_priority(client, api, world, db, severity, priority):
    secret = api.token(scopes=["alerts:write"], client_index=0)  # a client's token implies the client
    response = client.post(URL, json=payload(alert(severity=severity, summary="")), headers=api.bearer(secret))
    assert response.status_code == 200 and response.json["opened"] == 1
    req = db.session.scalar(select(ServiceRequest))
    assert req.priority == priority and req.subject == "DiskFull"  # no summary: the alert's name


def test_s2_2_1_several_alerts_in_one_notification(client, api, world, db):
    secret = api.token(scopes=["alerts:write"], client_index=0)
    body = payload(
        alert(fingerprint="one"),
        alert(fingerprint="two", severity="warning"),
        alert(status="resolved", fingerprint="three"),
    )
    response = client.post(URL, json=body, headers=api.bearer(secret))
    assert (response.json["opened"], response.json["updated"], response.json["ignored"]) == (2, 0, 1)
    assert [a["number"] for a in response.json["requests"]] == [1, 2, None]


def test_s7_1_alerts_go_only_to_the_tokens_tenant_and_client(client, api, world, db):
    unrestricted = api.token(scopes=["alerts:write"])
    restricted = api.token(scopes=["alerts:write"], client_index=0)
    other_client = world.clients("alpha")[1].id
    beta_client = world.clients("beta")[0].id
    assert client.post(URL, json=payload(alert()), headers=api.bearer(unrestricted)).status_code == 422
    for secret, client_id in ((unrestricted, beta_client), (restricted, other_client), (restricted, beta_client)):
        response = client.post(f"{URL}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
        assert response.status_code == 404 and response.is_json
    assert count_requests(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"version": "4"},
        {"alerts": "many"},
        {"alerts": [{"status": "pending", "fingerprint": "x", "startsAt": "2026-11-02T00:00:00Z"}]},
        {"alerts": [{"status": "firing", "startsAt": "2026-11-02T00:00:00Z"}]},
        {"alerts": [{"status": "firing", "fingerprint": "x", "startsAt": "yesterday"}]},
        {"alerts": [{"status": "firing", "fingerprint": "x", "startsAt": "2026-11-02T00:00:00Z", "labels": []}]},
    ],
)
def test_s2_2_1_a_body_that_is_no_alertmanager_notification_is_422(client, api, db, body):
    secret = api.token(scopes=["alerts:write"], client_index=0)
    response = client.post(URL, json=body, headers=api.bearer(secret))
    assert response.status_code == 422 and response.json["reason"]
    assert count_requests(db) == 0


def test_s10_4_alerts_for_a_client_without_a_contract_in_force_are_refused(client, api, world, make_client_org):
    newcomer = make_client_org(world.tenant("alpha"), "No Contract Ltd")
    secret = api.token(scopes=["alerts:write"])
    response = client.post(f"{URL}?client_id={newcomer.id}", json=payload(alert()), headers=api.bearer(secret))
    assert response.status_code == 422 and "no service agreement in force" in response.json["reason"]


def test_s2_2_1_the_same_notification_delivered_twice_at_once_opens_one_request(app, api, world, db, monkeypatch):
    """Two deliveries race: the second waits on the client's row lock, then finds the first one's request."""
    from saas.api.models import ApiToken
    from saas.core.clock import now

    secret = api.token(scopes=["alerts:write"], client_index=0)
    token = db.session.scalar(select(ApiToken))
    token.last_used_at = now()  # so neither delivery writes the token's row (which would order them too)
    db.session.commit()
    original = services.create_request

    def slow_create(*args, **kwargs):
        time.sleep(0.3)  # widen the window between "is one open?" and the insert
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "create_request", slow_create)
    results = []

    def deliver():
        results.append(app.test_client().post(URL, json=payload(alert()), headers=api.bearer(secret)).json)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r["opened"] for r in results) == [0, 1]
    assert count_requests(db) == 1
