"""Bodies and times the API used to answer with a 500: JSON nested 100,000 deep, an end time past year 9999 in UTC."""

import pytest
from sqlalchemy import select

from saas.core.inbound import MAX_DEPTH
from saas.requests.models import RequestEvent, ServiceRequest
from tests.api.test_alertmanager import URL as WEBHOOK
from tests.api.test_alertmanager import alert, payload


def nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("levels", [100_000, MAX_DEPTH + 1])
def test_s4_1_json_nested_too_deep_is_a_bad_request(client, api, world, levels):
    secret = api.token()
    client_id = world.clients("alpha")[0].id
    for url in ("/api/v1/requests", f"{WEBHOOK}?client_id={client_id}"):
        response = client.post(url, data=nested(levels), content_type="application/json", headers=api.bearer(secret))
        assert response.status_code == 400, url
        assert response.json["error"] == "Bad request"
    array = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/v1/requests", data=array, content_type="application/json", headers=api.bearer(secret))
    assert response.status_code == 400


def test_s2_2_1_a_resolved_alert_ending_past_what_utc_can_hold_is_noted_at_the_time_it_came(client, api, world, db):
    client_id = world.clients("alpha")[0].id
    secret = api.token(scopes=["alerts:write"])
    client.post(f"{WEBHOOK}?client_id={client_id}", json=payload(alert()), headers=api.bearer(secret))
    resolved = alert(status="resolved", ends="9999-12-31T23:59:59-12:00")
    response = client.post(f"{WEBHOOK}?client_id={client_id}", json=payload(resolved), headers=api.bearer(secret))
    assert response.status_code == 200 and response.json["updated"] == 1
    event = db.session.scalar(select(RequestEvent).where(RequestEvent.kind == "alert"))
    assert event.data["ends_at"] == "9999-12-31T23:59:59-12:00"


def test_s2_2_1_an_alert_starting_past_what_utc_can_hold_is_refused(client, api, world):
    client_id = world.clients("alpha")[0].id
    secret = api.token(scopes=["alerts:write"])
    response = client.post(
        f"{WEBHOOK}?client_id={client_id}",
        json=payload(alert(starts="9999-12-31T23:59:59-12:00")),
        headers=api.bearer(secret),
    )
    assert response.status_code == 422


def test_s4_1_ids_and_numbers_no_row_can_have_are_not_found(client, api, world):
    secret = api.token()
    for url in (
        f"/api/v1/requests/{10**20}",
        f"/api/v1/requests?client_id={10**20}",
        f"/api/v1/requests?client_id={'9' * 5000}",
        f"/api/v1/requests?limit={'9' * 5000}",
    ):
        assert client.get(url, headers=api.bearer(secret)).status_code == 404, url[:60]
    response = client.post(f"/api/v1/requests/{10**20}/comments", json={"body": "x"}, headers=api.bearer(secret))
    assert response.status_code == 404
    for client_id in (10**20, -(2**63) - 1):  # the second found by schemathesis
        response = client.post(
            "/api/v1/requests",
            json={"client_id": client_id, "category": "FAULT", "subject": "x"},
            headers=api.bearer(secret),
        )
        assert response.status_code == 404


def test_s4_1_control_characters_in_a_json_body_are_dropped(client, api, world, db):
    """NUL in an API body failed on PostgreSQL (text cannot hold it); a lone surrogate cannot even be encoded."""
    response = client.post(
        "/api/v1/requests",
        headers=api.bearer(api.token()),
        json={
            "client_id": world.clients("alpha")[0].id,
            "category": "FAULT\x00",
            "subject": "a\x00b\ud800",
            "description": "\x1b[31m",
        },
    )
    assert response.status_code == 201
    assert db.session.scalar(select(ServiceRequest.subject)) == "ab"


def test_api_huge_numbers_are_404_json(office_alpha, world, client, db):
    from saas.api import tokens

    _token, secret = tokens.create_token(
        office_alpha["tenant"], "t", ["requests:read"], None, world.person("alpha", "vendor_admin")
    )
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    for url in ("/api/v1/requests/99999999999999999999", "/api/v1/requests?client_id=99999999999999999999"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.is_json, url
