"""§2.1.1 requests through the API: tokens, scopes, isolation (§7.1), the round trip, errors as JSON."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from saas.core.models import MailMessage
from saas.requests import services
from saas.requests.models import Channel, RequestEvent, ServiceRequest


def new_request(client_id=None, **fields):
    body = {
        "category": "GENERAL",
        "subject": "VPN 无法连接",
        "description": "Since 09:00",
        "priority": "high",
        **fields,
    }
    if client_id is not None:
        body["client_id"] = client_id
    return body


def test_s2_1_1_unknown_missing_and_malformed_tokens_get_401_json(client, api):
    """No token, an unknown one or another scheme: 401 with a JSON reason and a Bearer challenge."""
    for headers in ({}, api.bearer("ac_nope"), {"Authorization": "Basic dXNlcjpwYXNz"}, api.bearer("")):
        response = client.get("/api/v1/requests", headers=headers)
        assert response.status_code == 401
        assert response.is_json and response.json["error"] == "Unauthorized" and response.json["reason"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_s2_1_1_revoked_token_gets_401(client, api, db):
    secret = api.token()
    assert client.get("/api/v1/requests", headers=api.bearer(secret)).status_code == 200
    from saas.api.tokens import authenticate, revoke_token

    revoke_token(authenticate(secret))
    db.session.commit()
    response = client.get("/api/v1/requests", headers=api.bearer(secret))
    assert response.status_code == 401 and "revoked" in response.json["reason"]


def test_s2_1_1_missing_scope_is_403_with_the_scope_named(client, api, world):
    reader = api.token(scopes=["requests:read"])
    response = client.post(
        "/api/v1/requests", json=new_request(world.clients("alpha")[0].id), headers=api.bearer(reader)
    )
    assert response.status_code == 403 and "requests:write" in response.json["reason"]
    writer = api.token(scopes=["requests:write"])
    response = client.get("/api/v1/requests", headers=api.bearer(writer))
    assert response.status_code == 403 and "requests:read" in response.json["reason"]
    response = client.post("/api/v1/alerts/alertmanager", json={"alerts": []}, headers=api.bearer(writer))
    assert response.status_code == 403 and "alerts:write" in response.json["reason"]


def test_s7_1_another_vendors_requests_and_clients_are_not_found(client, api, world, db):
    """Alpha's token reads, comments on and raises nothing of beta's: 404, and beta's rows stay as they were."""
    for i in range(3):
        api.raise_request("beta", subject=f"Marker-beta secret {i}")
    api.raise_request("alpha", subject="alpha's own")
    secret = api.token("alpha")
    before = db.session.scalar(select(func.count(RequestEvent.id)))
    for number in (2, 3):  # beta has #2 and #3; alpha has only #1
        assert client.get(f"/api/v1/requests/{number}", headers=api.bearer(secret)).status_code == 404
        response = client.post(f"/api/v1/requests/{number}/comments", json={"body": "hi"}, headers=api.bearer(secret))
        assert response.status_code == 404 and response.is_json
    beta_client = world.clients("beta")[0].id
    response = client.post("/api/v1/requests", json=new_request(beta_client), headers=api.bearer(secret))
    assert response.status_code == 404
    assert client.get(f"/api/v1/requests?client_id={beta_client}", headers=api.bearer(secret)).status_code == 404
    listed = client.get("/api/v1/requests?status=all", headers=api.bearer(secret))
    assert [r["subject"] for r in listed.json["requests"]] == ["alpha's own"]
    assert "Marker-beta" not in listed.get_data(as_text=True)
    response = client.get("/api/v1/requests/1", headers=api.bearer(secret))
    assert response.json["subject"] == "alpha's own"  # number 1 is alpha's own #1, never beta's
    assert db.session.scalar(select(func.count(RequestEvent.id))) == before
    assert (
        db.session.scalar(
            select(func.count(ServiceRequest.id)).where(ServiceRequest.tenant_id == world.tenant("beta").id)
        )
        == 3
    )


def test_s7_1_a_client_token_reads_and_raises_for_its_own_client_only(client, api, world):
    own, other = world.clients("alpha")
    api.raise_request(client_index=0, subject="ours")  # #1
    api.raise_request(client_index=1, subject="Marker-alpha-c2 theirs")  # #2
    secret = api.token(client_index=0)
    assert client.get("/api/v1/requests/1", headers=api.bearer(secret)).status_code == 200
    assert client.get("/api/v1/requests/2", headers=api.bearer(secret)).status_code == 404
    response = client.post("/api/v1/requests/2/comments", json={"body": "x"}, headers=api.bearer(secret))
    assert response.status_code == 404
    listed = client.get("/api/v1/requests?status=all", headers=api.bearer(secret))
    assert [r["subject"] for r in listed.json["requests"]] == ["ours"]
    assert client.get(f"/api/v1/requests?client_id={other.id}", headers=api.bearer(secret)).status_code == 404
    response = client.post("/api/v1/requests", json=new_request(other.id), headers=api.bearer(secret))
    assert response.status_code == 404
    response = client.post("/api/v1/requests", json=new_request(), headers=api.bearer(secret))  # client implied
    assert response.status_code == 201 and response.json["client"]["id"] == own.id


def test_s2_1_1_raise_list_read_and_reply_round_trip_with_keyset_pages(client, api, world, clock, db):
    """Requests raised by API carry channel "api" and due times; pages follow `next` without gaps or repeats."""
    client_id = world.clients("alpha")[0].id
    secret = api.token()
    numbers = []
    for i in range(5):
        clock.set(datetime(2026, 11, 2, 1, i, tzinfo=UTC))
        response = client.post(
            "/api/v1/requests", json=new_request(client_id, subject=f"Request {i}"), headers=api.bearer(secret)
        )
        assert response.status_code == 201, response.json
        assert response.headers["Location"].endswith(f"/api/v1/requests/{response.json['number']}")
        numbers.append(response.json["number"])
    created = response.json
    assert created["channel"] == Channel.API and created["status"] == "new" and created["priority"] == "high"
    assert created["due"]["response"] == "2026-11-02T05:04:00Z"  # §4.1: 4 hours, around the clock
    assert created["timeline"][0]["kind"] == "created" and created["timeline"][0]["by"] is None
    for status in ("open", "all"):
        seen, after = [], None
        while True:
            url = f"/api/v1/requests?status={status}&limit=2" + (f"&after={after}" if after else "")
            page = client.get(url, headers=api.bearer(secret)).json
            seen += [r["number"] for r in page["requests"]]
            after = page["next"]
            if after is None:
                break
        assert sorted(seen) == sorted(numbers) and len(seen) == len(set(seen))
        assert seen == (numbers if status == "open" else numbers[::-1])  # soonest due first; newest first
    # A reply from an unrestricted (vendor) token is the vendor's response: it acknowledges the request.
    services.reply(
        db.session.get(ServiceRequest, _id(db, numbers[0])),
        world.person("alpha", "vendor_engineer"),
        "internal only",
        by_client=False,
        internal=True,
    )
    db.session.commit()
    response = client.post(
        f"/api/v1/requests/{numbers[0]}/comments", json={"body": "We are on it"}, headers=api.bearer(secret)
    )
    assert response.status_code == 201 and response.json["kind"] == "reply"
    response = client.get(f"/api/v1/requests/{numbers[0]}", headers=api.bearer(secret))
    assert "Set-Cookie" not in response.headers and response.cache_control.no_store
    detail = response.json
    assert detail["status"] == "acknowledged" and detail["first_response_at"] is not None
    assert [e["kind"] for e in detail["timeline"]] == ["created", "reply", "status"]
    assert "internal only" not in str(detail)
    assert detail["breached"] == {"response": False, "arrival": False, "resolution": False}
    assert set(detail["due"]) == {"response", "arrival", "resolution", "next"}


def _id(db, number):
    return db.session.scalar(select(ServiceRequest.id).where(ServiceRequest.number == number))


def test_s2_1_1_a_client_tokens_reply_is_the_clients_and_the_vendor_hears_of_it(client, api, world, db):
    api.raise_request(client_index=0)
    secret = api.token(client_index=0)
    response = client.post("/api/v1/requests/1/comments", json={"body": "日志见附件"}, headers=api.bearer(secret))
    assert response.status_code == 201
    req = db.session.get(ServiceRequest, _id(db, 1))
    assert req.first_response_at is None and req.status == "new"  # the client's words are no vendor response
    to = set(db.session.scalars(select(MailMessage.to).where(MailMessage.subject.contains("Reply on request"))))
    assert to == {"vendor_admin@alpha.example.com"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"category": "GENERAL", "subject": ""}, "subject"),
        ({"category": "GENERAL", "subject": 5}, "subject"),
        ({"category": "NOPE", "subject": "x"}, "category"),
        ({"subject": "x"}, "category"),
        ({"category": "GENERAL", "subject": "x", "priority": "whenever"}, "priority"),
        ({"category": "GENERAL", "subject": "x", "client_id": "one"}, "client_id"),
        ({"category": "GENERAL", "subject": "x" * 201}, "subject"),
    ],
)
def test_s2_1_1_invalid_input_is_422_json_with_the_reason(client, api, world, body, reason):
    secret = api.token()
    body = {"client_id": world.clients("alpha")[0].id, **body}
    response = client.post("/api/v1/requests", json=body, headers=api.bearer(secret))
    assert response.status_code == 422 and response.json["error"] == "Unprocessable"
    assert reason in response.json["reason"].lower()


def test_s2_1_1_bad_bodies_queries_and_cursors_are_json_errors(client, api):
    secret = api.token()
    response = client.post("/api/v1/requests", data="not json", headers=api.bearer(secret))
    assert response.status_code == 400 and response.is_json
    response = client.post("/api/v1/requests", json={"category": "GENERAL", "subject": "x"}, headers=api.bearer(secret))
    assert response.status_code == 422 and "client_id" in response.json["reason"]
    for query in (
        "status=sleeping",
        "limit=0",
        "limit=101",
        "after=%%%",
        "after=bm9wZQ",
        "client_id=x",
        "status=open&after=MQ",
    ):
        response = client.get(f"/api/v1/requests?{query}", headers=api.bearer(secret))
        assert response.status_code == 422 and response.is_json, query
    for path, method in (("/api/v1/nowhere", "GET"), ("/api/v1/requests/1", "DELETE"), ("/api/v1/requests/x", "GET")):
        response = client.open(path, method=method, headers=api.bearer(secret))
        assert response.status_code in (404, 405) and response.is_json and "reason" in response.json


def test_s10_4_no_contract_in_force_is_422_with_the_reason(client, api, world, make_client_org):
    newcomer = make_client_org(world.tenant("alpha"), "No Contract Ltd")
    secret = api.token()
    response = client.post("/api/v1/requests", json=new_request(newcomer.id), headers=api.bearer(secret))
    assert response.status_code == 422
    assert "no service agreement in force" in response.json["reason"]


def test_s2_1_1_tokens_are_rate_limited_with_a_json_429(app, client, api):
    secret = api.token()
    app.config["API_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.get("/api/v1/requests", headers=api.bearer(secret)).status_code for _ in range(3)]
        response = client.get("/api/v1/requests", headers=api.bearer(secret))
    finally:
        del app.config["API_RATE_LIMIT"]
    assert codes == [200, 200, 429] and response.is_json and response.json["error"] == "Too many attempts"


def test_s2_1_1_last_use_is_recorded_at_most_once_a_minute(client, api, clock, db):
    from saas.api.models import ApiToken

    secret = api.token()
    client.get("/api/v1/requests", headers=api.bearer(secret))
    token = db.session.scalar(select(ApiToken))
    db.session.refresh(token)
    assert token.last_used_at == clock.now()
    first = token.last_used_at
    clock.set(first + timedelta(seconds=30))
    client.get("/api/v1/requests", headers=api.bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at == first
    clock.set(first + timedelta(minutes=2))
    client.get("/api/v1/requests", headers=api.bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at == first + timedelta(minutes=2)


def test_s2_1_1_a_suspended_vendors_tokens_are_refused(client, api, world, db):
    secret = api.token()
    world.tenant("alpha").status = "suspended"
    db.session.commit()
    response = client.get("/api/v1/requests", headers=api.bearer(secret))
    assert response.status_code == 403 and response.json["reason"]


def test_s2_1_1_the_same_idempotency_key_answers_the_first_answer_and_raises_once(client, api, world, app, db):
    secret = api.token()
    headers = {**api.bearer(secret), "Idempotency-Key": "erp-ticket-77"}
    body = new_request(world.clients("alpha")[0].id, subject="ERP 打印服务停止")
    first = client.post("/api/v1/requests", json=body, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/requests", json=body, headers=headers)  # the answer was lost: sent again
    assert (again.status_code, again.get_json(), again.headers["Location"]) == (
        201,
        first.get_json(),
        first.headers["Location"],
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/requests", json={**body, "subject": "另一件事"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["error"] == "Unprocessable"
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1
    another_key = client.post("/api/v1/requests", json=body, headers={**headers, "Idempotency-Key": "erp-ticket-78"})
    assert another_key.status_code == 201
    assert client.post("/api/v1/requests", json=body, headers={**headers, "Idempotency-Key": ""}).status_code == 400
    beta_secret = api.token("beta")  # another tenant's token with the same key is another request altogether
    beta_body = new_request(world.clients("beta")[0].id)
    beta = client.post(
        "/api/v1/requests", json=beta_body, headers={**api.bearer(beta_secret), "Idempotency-Key": "erp-ticket-77"}
    )
    assert beta.status_code == 201 and "Idempotent-Replayed" not in beta.headers
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 3


def test_s2_1_1_the_same_idempotency_key_twice_at_once_raises_one_request(client, api, world, app, db):
    from saas.testing.race import at_once

    headers = {**api.bearer(api.token()), "Idempotency-Key": "retry-storm-1"}
    body = new_request(world.clients("alpha")[0].id, subject="核心交换机告警")
    browsers = [client, app.test_client()]
    answers = at_once(*(lambda b=b: b.post("/api/v1/requests", json=body, headers=headers) for b in browsers))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json() == answers[1].get_json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1


def test_s2_1_1_idempotency_keys_are_forgotten_after_24_hours(client, api, world, db, clock):
    from datetime import timedelta

    from saas.api.idempotency import IdempotentRequest
    from saas.api.tasks import forget_old_idempotency_keys

    headers = {**api.bearer(api.token()), "Idempotency-Key": "nightly-7"}
    body = new_request(world.clients("alpha")[0].id)
    assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 201
    clock.set(clock.now() + timedelta(hours=23))
    assert forget_old_idempotency_keys() == 0
    clock.set(clock.now() + timedelta(hours=2))
    assert forget_old_idempotency_keys() == 1
    assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 0
