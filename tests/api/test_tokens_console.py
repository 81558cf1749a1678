"""The vendor admin's token screens: the secret is shown once and kept only as its digest; revoking is for good."""

import hashlib
import re

from sqlalchemy import select

from saas.api.models import ApiToken
from saas.core.models import AuditEvent

PAGE = "/t/alpha/api-tokens/"


def make_token(client, data):
    return client.post_form(PAGE, data)


def test_s2_1_1_token_is_hashed_at_rest_and_its_secret_shown_once(client, api, world, db):
    client.sign_in("vendor_admin@alpha.example.com")
    response = make_token(
        client,
        {
            "name": "Client ITSM",
            "scopes": ["requests:read", "requests:write"],
            "client_id": str(world.clients("alpha")[0].id),
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r'data-testid="token-secret">(ac_[A-Za-z0-9_-]{40,})<', html).group(1)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:11] and token.scopes == ["requests:read", "requests:write"]
    assert token.client_id == world.clients("alpha")[0].id
    assert token.created_by_id == world.person("alpha", "vendor_admin").id
    for column in ApiToken.__table__.columns:  # the secret itself is nowhere in the row
        assert secret not in str(getattr(token, column.key))
    page = client.get(PAGE).get_data(as_text=True)
    assert secret not in page and token.prefix in page and "Client ITSM" in page
    assert client.get("/api/v1/requests", headers=api.bearer(secret)).status_code == 200
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.token_created"))
    assert audit.data["prefix"] == token.prefix and secret not in str(audit.data)


def test_s2_1_1_revoking_a_token_stops_it_at_once(client, api, world, db):
    secret = api.token()
    token = db.session.scalar(select(ApiToken))
    client.sign_in("vendor_admin@alpha.example.com")
    response = client.post_form(f"{PAGE}{token.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/requests", headers=api.bearer(secret)).status_code == 401
    assert "Revoked" in client.get(PAGE).get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "api.token_revoked"))


def test_s7_1_another_vendors_token_cannot_be_revoked(client, api, world, db):
    beta_secret = api.token("beta")
    beta_token = db.session.scalar(select(ApiToken))
    client.sign_in("vendor_admin@alpha.example.com")
    assert client.post_form(f"{PAGE}{beta_token.id}/revoke").status_code == 404
    assert client.post_form(f"/t/beta/api-tokens/{beta_token.id}/revoke").status_code == 404
    assert client.get("/api/v1/requests", headers=api.bearer(beta_secret)).status_code == 200


def test_s2_1_1_a_token_needs_a_name_and_a_scope_and_one_of_our_clients(client, api, world, db):
    client.sign_in("vendor_admin@alpha.example.com")
    response = make_token(client, {"name": "", "scopes": []})
    assert response.status_code == 422
    beta_client = str(world.clients("beta")[0].id)
    response = make_token(client, {"name": "x", "scopes": ["requests:read"], "client_id": beta_client})
    assert response.status_code == 422
    response = make_token(client, {"name": "x", "scopes": ["everything"]})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_s2_2_1_the_page_tells_how_to_point_alertmanager_here(client, api, world):
    client.sign_in("vendor_admin@alpha.example.com")
    response = make_token(
        client, {"name": "Prometheus", "scopes": ["alerts:write"], "client_id": str(world.clients("alpha")[1].id)}
    )
    html = response.get_data(as_text=True)
    secret = re.search(r'data-testid="token-secret">(ac_[^<]+)<', html).group(1)
    config = re.search(r'data-testid="alertmanager-config"><code>(.*?)</code>', html, re.S).group(1)
    assert f"/api/v1/alerts/alertmanager?client_id={world.clients('alpha')[1].id}" in config
    assert "webhook_configs:" in config and "authorization:" in config and f'credentials: "{secret}"' in config
    assert "send_resolved: true" in config


def test_api_tokens_are_for_the_vendor_admin_only(client, api):
    for role in ("vendor_engineer", "vendor_billing", "client_admin", "client_user", "third_party"):
        client.sign_in(f"{role}@alpha.example.com")
        assert client.get(PAGE).status_code == 403, role
        assert "api-tokens" not in client.get("/t/alpha/").get_data(as_text=True)
    client.sign_in("vendor_admin@alpha.example.com")
    assert 'href="/t/alpha/api-tokens/"' in client.get("/t/alpha/").get_data(as_text=True)
