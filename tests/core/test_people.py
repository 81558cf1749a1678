"""People: invitations by e-mail (signed, expiring, single use), accepting them, roles, the last admin."""

import re

import pytest
from sqlalchemy import select

from saas.core.errors import ServiceError
from saas.core.models import AuditEvent, Invitation, MailMessage, Membership, Role, User
from saas.core.people import change_role, invite, remove_member
from saas.core.tasks import notify_expired_invitations
from saas.testing.fixtures import PASSWORD

NEW_PASSWORD = "a-long-new-password-2026"


def invite_link(db, email) -> str:
    db.session.expire_all()
    mails = db.session.scalars(select(MailMessage).where(MailMessage.to == email).order_by(MailMessage.id)).all()
    assert mails, f"no mail to {email}"
    return re.search(r"http://[^\s]+/invite/(\S+)", mails[-1].body_text).group(0).split("127.0.0.1:5000")[1]


def test_vendor_admin_invites_and_a_new_person_joins(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(
        "/t/alpha/people/invite", {"email": "New.Engineer@Example.com", "role": "vendor_engineer", "client_id": "0"}
    )
    assert response.status_code == 302
    [mail] = db.session.scalars(select(MailMessage)).all()
    assert mail.to == "new.engineer@example.com"
    assert "邀请" in mail.subject and "Invitation to join" in mail.subject  # both languages
    link = invite_link(db, "new.engineer@example.com")
    client.post_form("/logout")

    form = client.get(link)
    assert form.status_code == 200 and "new.engineer@example.com" in form.get_data(as_text=True)
    short = client.post_form(link, {"name": "Neo", "password": "short", "confirm": "short"})
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    joined = client.post_form(link, {"name": "Neo", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert joined.headers["Location"] == "/t/alpha/"
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "new.engineer@example.com"))
    assert user.membership_in(world.tenant("alpha").id).role == Role.VENDOR_ENGINEER
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "invitation.created" in actions and "invitation.accepted" in actions


def test_invitation_link_works_once(client, db, world):
    invite(world.tenant("alpha"), email="once@example.com", role="vendor_billing")
    link = invite_link(db, "once@example.com")
    client.post_form(link, {"name": "Once", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post_form("/logout")
    again = client.get(link)
    assert again.status_code == 404
    assert "This invitation link does not work" in again.get_data(as_text=True)


def test_invitation_expires_after_seven_days(client, db, clock, world):
    invite(world.tenant("alpha"), email="late@example.com", role="vendor_billing")
    link = invite_link(db, "late@example.com")
    clock.advance(days=7, seconds=-1)
    assert client.get(link).status_code == 200
    clock.advance(seconds=1)
    assert client.get(link).status_code == 404


def test_forged_or_tampered_token_is_refused(client, db, world):
    invite(world.tenant("alpha"), email="target@example.com", role="vendor_admin")
    link = invite_link(db, "target@example.com")
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 404
    assert client.get("/invite/not-a-token").status_code == 404


def test_resend_makes_a_new_link_and_kills_the_old(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    invitation = invite(world.tenant("alpha"), email="again@example.com", role="vendor_engineer")
    old = invite_link(db, "again@example.com")
    client.post_form(f"/t/alpha/invitations/{invitation.id}/resend")
    new = invite_link(db, "again@example.com")
    assert new != old
    assert db.session.scalars(select(MailMessage).where(MailMessage.to == "again@example.com")).all().__len__() == 2
    client.post_form("/logout")
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_revoked_invitation_link_stops_working(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    invitation = invite(world.tenant("alpha"), email="nope@example.com", role="vendor_engineer")
    link = invite_link(db, "nope@example.com")
    client.post_form(f"/t/alpha/invitations/{invitation.id}/revoke")
    client.post_form("/logout")
    assert client.get(link).status_code == 404


def test_existing_account_joins_a_second_tenant_and_can_switch(client, db, world):
    beta_engineer = world.person("beta", "vendor_engineer")
    invite(world.tenant("alpha"), email=beta_engineer.email, role="vendor_engineer")
    link = invite_link(db, beta_engineer.email)
    assert client.get(link).headers["Location"].startswith("/login?next=/invite/")
    client.sign_in(beta_engineer.email)
    page = client.get(link)
    assert "Accept the invitation" in page.get_data(as_text=True)
    assert client.post_form(link).headers["Location"] == "/t/alpha/"
    switcher = client.get("/t/alpha/").get_data(as_text=True)
    assert 'data-testid="tenant-switcher"' in switcher
    assert "/t/beta/" in switcher and "/t/alpha/" in switcher
    assert client.get("/t/beta/").status_code == 200


def test_invitation_for_another_email_is_refused(client, db, world):
    invite(world.tenant("alpha"), email="someone.else@example.com", role="vendor_engineer")
    invitation = db.session.scalar(select(Invitation))
    from saas.core.people import accept_invitation

    with pytest.raises(ServiceError):
        accept_invitation(invitation, world.person("beta", "vendor_admin"))


def test_client_roles_need_a_client_of_the_same_vendor(db, world):
    with pytest.raises(ServiceError):
        invite(world.tenant("alpha"), email="c@example.com", role="client_user")
    with pytest.raises(ServiceError):
        invite(world.tenant("alpha"), email="c@example.com", role="client_user", client_id=world.clients("beta")[0].id)
    assert invite(
        world.tenant("alpha"), email="c@example.com", role="client_user", client_id=world.clients("alpha")[1].id
    )


def test_invite_form_shows_errors_and_keeps_input(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(
        "/t/alpha/people/invite", {"email": "not-an-email", "role": "client_user", "client_id": "0"}
    )
    html = response.get_data(as_text=True)
    assert "Invalid email address." in html
    assert "Choose the client this person belongs to." in html
    assert 'value="not-an-email"' in html


def test_inviting_an_existing_member_is_refused(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(
        "/t/alpha/people/invite", {"email": world.person("alpha", "vendor_billing").email, "role": "vendor_engineer"}
    )
    assert "already a member" in response.get_data(as_text=True)


def test_role_change_is_audited(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    membership = world.person("alpha", "vendor_engineer").membership_in(world.tenant("alpha").id)
    response = client.post_form(
        f"/t/alpha/people/{membership.id}/role",
        {"role": "vendor_billing", "client_id": "0"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)  # only the member's row is sent back
    assert "Vendor billing" in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.role_changed"))
    assert event.data["old_role"] == "vendor_engineer" and event.data["new_role"] == "vendor_billing"


def test_a_vendor_always_keeps_one_vendor_admin(db, world):
    admin = world.person("alpha", "vendor_admin").membership_in(world.tenant("alpha").id)
    with pytest.raises(ServiceError, match="at least one vendor admin"):
        change_role(admin, "vendor_engineer", None)
    with pytest.raises(ServiceError, match="at least one vendor admin"):
        remove_member(admin)
    other = world.person("alpha", "vendor_billing").membership_in(world.tenant("alpha").id)
    change_role(other, "vendor_admin", None)
    change_role(admin, "vendor_engineer", None)
    db.session.commit()
    assert db.session.get(Membership, admin.id).role == "vendor_engineer"


def test_removed_member_loses_access(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    membership = world.person("alpha", "client_user").membership_in(world.tenant("alpha").id)
    removed = client.post_form(f"/t/alpha/people/{membership.id}/remove", follow_redirects=True)
    assert "was removed from" in removed.get_data(as_text=True)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.get("/t/alpha/portal/").status_code == 404


def test_inviter_is_told_once_when_an_invitation_expires(db, clock, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form("/t/alpha/people/invite", {"email": "silent@example.com", "role": "vendor_engineer"})
    assert notify_expired_invitations() == 0
    clock.advance(days=8)
    assert notify_expired_invitations() == 1
    assert notify_expired_invitations() == 0
    notices = db.session.scalars(select(MailMessage).where(MailMessage.to == "vendor_admin@alpha.example.com")).all()
    assert len(notices) == 1 and "silent@example.com" in notices[0].body_text


def test_password_of_invited_account_signs_in(client, db, world):
    invite(world.tenant("beta"), email="fresh@example.com", role="third_party")
    client.post_form(
        invite_link(db, "fresh@example.com"), {"name": "F", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    client.post_form("/logout")
    assert client.sign_in("fresh@example.com", NEW_PASSWORD).headers["Location"] == "/t/beta/third-party"
    assert PASSWORD != NEW_PASSWORD


@pytest.mark.parametrize("same_form", [True, False], ids=["double-click", "two-tabs"])
def test_s7_1_an_invitation_accepted_twice_at_once_makes_one_account_and_no_error(client, db, world, app, same_form):
    """The same form twice (its one-time token) or two tabs of the link (two tokens): one account, one membership."""
    from saas.testing.race import at_once, once_token

    invite(world.tenant("alpha"), email="twice@example.com", role="vendor_billing")
    link = invite_link(db, "twice@example.com")
    browsers = [client, app.test_client()]
    forms = []
    for browser in browsers:
        page = browser.get(link).get_data(as_text=True)
        forms.append(
            {
                "name": "Twice",
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
                "csrf_token": browser.csrf_token(link),
                "_once": once_token(page),
            }
        )
    if same_form:
        forms[1]["_once"] = forms[0]["_once"]
    answers = at_once(*(lambda b=b, f=f: b.post(link, data=f) for b, f in zip(browsers, forms, strict=True)))
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    assert sorted(a.status_code for a in answers)[0] == 302
    db.session.expire_all()
    users = db.session.scalars(select(User).where(User.email == "twice@example.com")).all()
    assert len(users) == 1
    assert len(db.session.scalars(select(Membership).where(Membership.user_id == users[0].id)).all()) == 1
