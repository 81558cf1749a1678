"""Signing in and the security bar (OWASP ASVS level 2): sessions, CSRF, headers, rate limits, passwords."""

import pytest
from sqlalchemy import select

from saas import create_app
from saas.core.models import AuditEvent, TenantStatus, User
from saas.core.tenants import set_tenant_status
from saas.testing.fixtures import PASSWORD, PRODUCTION_SECRETS


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_lands_on_the_tenant_console_and_is_audited(client, db, world):
    response = client.post_form("/login", {"email": "vendor_admin@alpha.example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/t/alpha/"
    assert client.get("/t/alpha/").status_code == 200
    [event] = events(db, "auth.login")
    assert event.actor_email == "vendor_admin@alpha.example.com"


@pytest.mark.parametrize(
    ("role", "home"),
    [("client_admin", "/t/alpha/portal/"), ("third_party", "/t/alpha/third-party"), ("vendor_billing", "/t/alpha/")],
)
def test_each_role_lands_on_its_own_home(client, world, role, home):
    assert client.sign_in(world.person("alpha", role).email).headers["Location"] == home
    assert client.get(home).status_code == 200


def test_failed_sign_in_says_so_and_is_audited(client, db, world):
    response = client.post_form("/login", {"email": "vendor_admin@alpha.example.com", "password": "wrong-password"})
    assert response.status_code == 200
    assert "The e-mail or the password is wrong." in response.get_data(as_text=True)
    unknown = client.post_form("/login", {"email": "nobody@example.com", "password": "whatever-password"})
    assert "The e-mail or the password is wrong." in unknown.get_data(as_text=True)
    assert [e.actor_email for e in events(db, "auth.login_failed")] == [
        "vendor_admin@alpha.example.com",
        "nobody@example.com",
    ]


def test_session_is_cleared_on_sign_in(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["lang"] = "zh_Hans_CN"
    client.sign_in(world.person("alpha", "vendor_admin").email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "zh_Hans_CN"  # the chosen language survives


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com", "javascript:alert(1)"]
)
def test_no_open_redirect_after_sign_in(client, world, target):
    response = client.post(
        f"/login?next={target}",
        data={"email": "vendor_admin@alpha.example.com", "password": PASSWORD, "csrf_token": client.csrf_token()},
    )
    assert response.headers["Location"] == "/t/alpha/"


def test_local_next_is_followed_after_sign_in(client, world):
    response = client.post(
        "/login?next=/t/alpha/clients",
        data={"email": "vendor_admin@alpha.example.com", "password": PASSWORD, "csrf_token": client.csrf_token()},
    )
    assert response.headers["Location"] == "/t/alpha/clients"


def test_sign_in_is_rate_limited_per_address_and_account(client, world):
    for _ in range(10):
        client.post_form("/login", {"email": "vendor_admin@alpha.example.com", "password": "wrong-password"})
    blocked = client.post_form("/login", {"email": "vendor_admin@alpha.example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    # Another account from the same address is not locked out by the first one's failures.
    assert client.sign_in(world.person("alpha", "vendor_engineer").email).status_code == 302


def test_state_changing_requests_need_the_csrf_token(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client_id = world.clients("alpha")[0].id
    url = f"/t/alpha/clients/{client_id}/contacts"
    assert client.post(url, data={"name": "No token"}).status_code == 400
    assert client.post(url, data={"name": "Bad", "csrf_token": "forged"}).status_code == 400
    # HTMX sends the token in the X-CSRFToken header (set on <body hx-headers>).
    token = client.csrf_token(f"/t/alpha/clients/{client_id}")
    ok = client.post(url, data={"name": "Via HTMX"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 200
    assert "Via HTMX" in ok.get_data(as_text=True)


def test_security_headers_and_content_security_policy(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store, private"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html  # nothing inline to refuse


def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path):
    app = create_app(
        "production",
        overrides={
            **PRODUCTION_SECRETS,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
            "BASE_URL": "https://aftercare.example.com",
        },
    )
    response = app.test_client().get("/login", base_url="https://aftercare.example.com")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("aftercare_session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_passwords_are_argon2id_and_rehashed_when_parameters_change(app, client, db, world):
    user = world.person("alpha", "vendor_admin")
    old_hash = user.password_hash
    assert old_hash.startswith("$argon2id$")
    app.config["ARGON2_TIME_COST"] = 2
    try:
        client.sign_in(user.email)
    finally:
        app.config["ARGON2_TIME_COST"] = 1
    db.session.expire_all()
    new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old_hash and "t=2" in new_hash


def test_sign_out_is_a_post_and_ends_the_session(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get("/logout").status_code == 405
    assert client.post_form("/logout").status_code == 302
    assert client.get("/t/alpha/").status_code == 302  # back to the sign-in page


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/t/alpha/clients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_suspended_tenant_locks_its_members_out(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    set_tenant_status(world.tenant("alpha"), TenantStatus.SUSPENDED)
    db.session.commit()
    response = client.get("/t/alpha/")
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    set_tenant_status(world.tenant("alpha"), TenantStatus.ACTIVE)
    db.session.commit()
    assert client.get("/t/alpha/").status_code == 200


def test_deactivated_account_cannot_sign_in(client, db, world):
    user = world.person("alpha", "vendor_engineer")
    user.active = False
    db.session.commit()
    response = client.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
