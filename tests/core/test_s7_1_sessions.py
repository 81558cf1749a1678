"""§7.1 a session ends when it should: signing out kills every copy of the cookie; some changes end them all."""

import pytest
from sqlalchemy import func, select

from saas.core import sessions
from saas.core.models import AuditEvent, User, UserSession
from saas.core.people import remove_member, set_password
from saas.testing.fixtures import PASSWORD

COOKIE = "aftercare_session"
HOME = "/t/alpha/"
NEW_PASSWORD = "a-brand-new-password-2026"


@pytest.fixture
def engineer(world):
    return world.person("alpha", "vendor_engineer")


@pytest.fixture
def device(app, db):
    """Factory: device(email) -> a fresh test client signed in as that person (its own sign-in)."""

    def make(email, password=PASSWORD):
        other = app.test_client()
        other.sign_in(email, password)
        return other

    return make


def copy_of(app, device):
    """Another client carrying the same session cookie: what an attacker replays."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, device.get_cookie(COOKIE).value)
    return thief


def signed_in(device) -> bool:
    response = device.get(HOME)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_s7_1_a_copied_session_cookie_stops_working_when_its_owner_signs_out(app, client, engineer):
    client.sign_in(engineer.email)
    thief = copy_of(app, client)
    assert signed_in(thief)
    assert client.post_form("/logout").status_code == 302
    assert not signed_in(client)
    response = thief.get(HOME)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_s7_1_signing_out_ends_only_that_sign_in(client, device, engineer):
    client.sign_in(engineer.email)
    laptop = device(engineer.email)
    client.post_form("/logout")
    assert not signed_in(client) and signed_in(laptop)


def test_s7_1_sign_out_everywhere_ends_every_sign_in_this_one_too(app, db, client, device, engineer):
    client.sign_in(engineer.email)
    laptop, thief = device(engineer.email), copy_of(app, client)
    someone_else = device("vendor_admin@alpha.example.com")
    page = client.get(HOME).get_data(as_text=True)
    assert 'data-testid="sign-out-everywhere"' in page and "Sign out everywhere" in page
    response = client.post_form("/logout/everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You are signed out on every device." in client.get("/login").get_data(as_text=True)
    assert not any(signed_in(b) for b in (client, laptop, thief))
    assert signed_in(someone_else)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == engineer.id)).all()
    assert "auth.logout_everywhere" in actions
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == engineer.id)) == 0


def test_s7_1_sign_out_everywhere_is_a_post_with_the_csrf_token_and_speaks_chinese(client, engineer):
    client.sign_in(engineer.email)
    assert client.get("/logout/everywhere").status_code == 405
    assert client.post("/logout/everywhere").status_code == 400  # no CSRF token
    assert signed_in(client)
    client.post_form("/language", {"lang": "zh_Hans_CN", "next": HOME})
    page = client.get(HOME).get_data(as_text=True)
    assert "退出所有设备" in page and "Sign out everywhere" not in page


def test_s7_1_a_new_password_ends_every_sign_in(app, db, client, device, engineer):
    client.sign_in(engineer.email)
    thief = copy_of(app, client)
    set_password(db.session.get(User, engineer.id), NEW_PASSWORD)
    db.session.commit()
    assert not signed_in(client) and not signed_in(thief)
    assert signed_in(device(engineer.email, NEW_PASSWORD))


def test_s7_1_an_operator_password_reset_ends_every_sign_in(app, client, engineer):
    client.sign_in(engineer.email)
    short = app.test_cli_runner().invoke(args=["saas", "set-password", engineer.email, "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    assert signed_in(client)
    reset = app.test_cli_runner().invoke(args=["saas", "set-password", engineer.email, "--password", NEW_PASSWORD])
    assert reset.exit_code == 0, reset.output
    assert not signed_in(client)
    unknown = app.test_cli_runner().invoke(args=["saas", "set-password", "nobody@example.com", "--password", "x" * 12])
    assert unknown.exit_code != 0 and "no account" in unknown.output


def test_s7_1_deactivating_ends_the_sign_ins_and_reactivating_does_not_revive_them(app, db, client, device, engineer):
    client.sign_in(engineer.email)
    result = app.test_cli_runner().invoke(args=["saas", "deactivate-user", engineer.email])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert app.test_cli_runner().invoke(args=["saas", "deactivate-user", engineer.email, "--reactivate"]).exit_code == 0
    assert not signed_in(client)  # the old sign-in stays ended
    assert signed_in(device(engineer.email))
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("auth.account_%"))).all()
    assert actions == ["auth.account_deactivated", "auth.account_reactivated"]


def test_s7_1_deactivating_in_code_ends_sign_ins_too(db, client, engineer):
    """The rule lives on the model: any code that sets `active = False` ends the sign-ins."""
    client.sign_in(engineer.email)
    user = db.session.get(User, engineer.id)
    user.active = False
    db.session.commit()
    user.active = True
    db.session.commit()
    assert not signed_in(client)


def test_s7_1_removing_a_membership_takes_effect_on_the_next_request(db, client, world, engineer):
    """Roles are read from the database on every request: a removed member is out at once, signed in or not."""
    client.sign_in(engineer.email)
    assert client.get("/t/alpha/requests/").status_code == 200
    remove_member(db.session.get(User, engineer.id).membership_in(world.tenant("alpha").id))
    db.session.commit()
    assert client.get("/t/alpha/requests/").status_code in (403, 404)
    assert client.get(HOME).status_code in (302, 403, 404)
    assert client.get("/t/beta/").status_code in (403, 404)


def test_s7_1_removing_a_membership_through_the_people_page_takes_effect_at_once(client, device, world, engineer):
    member = device(engineer.email)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    membership = engineer.membership_in(world.tenant("alpha").id)
    assert client.post_form(f"/t/alpha/people/{membership.id}/remove").status_code == 302
    assert member.get("/t/alpha/requests/").status_code in (403, 404)


def test_s7_1_a_rehash_at_sign_in_is_not_a_password_change(app, client, device, engineer):
    client.sign_in(engineer.email)
    app.config["ARGON2_TIME_COST"] = 2
    try:
        device(engineer.email)  # rehashes the same password at the new cost
    finally:
        app.config["ARGON2_TIME_COST"] = 1
    assert signed_in(client)


@pytest.mark.parametrize("forged", ["{id}", "{id}:", "{id}:None", "{id}:not-a-key", "99999999999999999999:x", "x:y"])
def test_s7_1_a_session_naming_no_live_sign_in_is_refused(client, engineer, forged):
    """Sessions from before this check (the bare id) and made-up keys sign nobody in."""
    client.sign_in(engineer.email)
    with client.session_transaction() as session:
        session["_user_id"] = forged.format(id=engineer.id)
    assert not signed_in(client)


def test_s7_1_the_table_keeps_digests_and_a_bounded_number_of_sign_ins(db, device, engineer, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_SESSIONS_PER_USER", 2)
    first = device(engineer.email)
    second, third = device(engineer.email), device(engineer.email)
    assert not signed_in(first) and signed_in(second) and signed_in(third)  # the oldest made room
    digests = db.session.scalars(select(UserSession.key_hash).where(UserSession.user_id == engineer.id)).all()
    assert len(digests) == 2 and all(len(d) == 64 and int(d, 16) >= 0 for d in digests)  # SHA-256, not the keys
