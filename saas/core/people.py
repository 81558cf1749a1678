"""People: accounts, memberships and roles inside a tenant, and invitations by e-mail."""

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.core import audit
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import Client, Invitation, Membership, Role, Tenant, User
from saas.core.passwords import MIN_PASSWORD_LENGTH, hash_password
from saas.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(*, email: str, name: str, password: str | None, platform_admin: bool = False) -> User:
    """Create an account; the e-mail must not be in use."""
    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise ServiceError(_("An account with this e-mail already exists."))
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password else None,
        is_platform_admin=platform_admin,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Give the account a new password (a change or an operator's reset); every sign-in of it ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(_("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    user.password_hash = hash_password(password)  # the listener on User ends the sign-ins at flush
    audit.record("auth.password_set", target=user, email=user.email)


def set_active(user: User, active: bool) -> None:
    """Deactivate an account (it cannot sign in, and its sign-ins end) or let it sign in again."""
    if user.active == active:
        return
    user.active = active
    audit.record("auth.account_reactivated" if active else "auth.account_deactivated", target=user, email=user.email)


def first_member(tenant: Tenant, role: str, client_id: int | None = None) -> User | None:
    """The tenant's longest-standing member with this role (of this client, for client roles); the demos' actors."""
    stmt = select(User).join(Membership).where(Membership.tenant_id == tenant.id, Membership.role == role)
    if client_id is not None:
        stmt = stmt.where(Membership.client_id == client_id)
    return db.session.scalars(stmt.order_by(User.id)).first()


def _check_role(tenant: Tenant, role: str, client_id: int | None) -> int | None:
    role = Role(role)
    if not role.is_client:
        return None
    client = db.session.scalar(select(Client).where(Client.id == client_id, Client.tenant_id == tenant.id))
    if client is None:
        raise ServiceError(_("Choose the client this person belongs to."))
    return client.id


def add_membership(tenant: Tenant, user: User, role: str, client_id: int | None = None) -> Membership:
    """Give a person a role in a tenant (client roles name one of the tenant's clients)."""
    client_id = _check_role(tenant, role, client_id)
    if user.membership_in(tenant.id) is not None:
        raise ServiceError(_("This person is already a member of %(tenant)s.", tenant=tenant.name))
    membership = Membership(tenant_id=tenant.id, user_id=user.id, role=str(Role(role)), client_id=client_id)
    db.session.add(membership)
    db.session.flush()
    db.session.refresh(user, ["memberships"])
    return membership


def _vendor_admin_count(tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(Membership.tenant_id == tenant_id, Membership.role == Role.VENDOR_ADMIN)
    )


def change_role(membership: Membership, role: str, client_id: int | None) -> None:
    """Change a member's role; a tenant always keeps at least one vendor admin."""
    client_id = _check_role(membership.tenant, role, client_id)
    old = (membership.role, membership.client_id)
    if old == (str(Role(role)), client_id):
        return
    demoting_admin = membership.role == Role.VENDOR_ADMIN and role != Role.VENDOR_ADMIN
    if demoting_admin and _vendor_admin_count(membership.tenant_id) <= 1:
        raise ServiceError(_("A vendor needs at least one vendor admin."))
    membership.role, membership.client_id = str(Role(role)), client_id
    audit.record(
        "member.role_changed",
        tenant_id=membership.tenant_id,
        target=membership,
        email=membership.user.email,
        old_role=old[0],
        new_role=membership.role,
        client_id=client_id,
    )


def remove_member(membership: Membership) -> None:
    """Take a person out of a tenant (their account stays); never the last vendor admin."""
    if membership.role == Role.VENDOR_ADMIN and _vendor_admin_count(membership.tenant_id) <= 1:
        raise ServiceError(_("A vendor needs at least one vendor admin."))
    audit.record(
        "member.removed",
        tenant_id=membership.tenant_id,
        target=membership,
        email=membership.user.email,
        role=membership.role,
    )
    db.session.delete(membership)


def invite(tenant: Tenant, *, email: str, role: str, client_id: int | None = None) -> Invitation:
    """Invite a person by e-mail to join the tenant with a role; the mail goes out as a background job."""
    email = normalise_email(email)
    client_id = _check_role(tenant, role, client_id)
    existing = user_by_email(email)
    if existing is not None and existing.membership_in(tenant.id) is not None:
        raise ServiceError(_("This person is already a member of %(tenant)s.", tenant=tenant.name))
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    invitation = Invitation(
        tenant_id=tenant.id,
        email=email,
        role=str(Role(role)),
        client_id=client_id,
        invited_by_id=_current_user_id(),
        nonce=secrets.token_urlsafe(24),
        expires_at=now() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.created", tenant_id=tenant.id, target=invitation, email=email, role=invitation.role)
    db.session.commit()
    _queue_invitation_mail(invitation)
    return invitation


def resend_invitation(invitation: Invitation) -> None:
    """Send a fresh link (the old one stops working) and extend the expiry."""
    if invitation.accepted_at or invitation.revoked_at:
        raise ServiceError(_("This invitation is no longer open."))
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.expires_at = now() + timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"])
    invitation.sent_at = None
    invitation.expiry_notified_at = None
    audit.record("invitation.resent", tenant_id=invitation.tenant_id, target=invitation, email=invitation.email)
    db.session.commit()
    _queue_invitation_mail(invitation)


def revoke_invitation(invitation: Invitation) -> None:
    """Withdraw an open invitation; its link stops working."""
    if invitation.accepted_at:
        raise ServiceError(_("This invitation has already been accepted."))
    if invitation.revoked_at is None:
        invitation.revoked_at = now()
        audit.record("invitation.revoked", tenant_id=invitation.tenant_id, target=invitation, email=invitation.email)


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Turn a pending invitation into a membership of the person it was sent to."""
    if normalise_email(user.email) != invitation.email:
        raise ServiceError(_("This invitation was sent to another e-mail address."))
    if invitation.status_at(now()) != "pending":
        raise ServiceError(_("This invitation is no longer open."))
    membership = add_membership(invitation.tenant, user, invitation.role, invitation.client_id)
    invitation.accepted_at = now()
    audit.record(
        "invitation.accepted",
        tenant_id=invitation.tenant_id,
        target=invitation,
        actor=user,
        email=user.email,
        role=invitation.role,
    )
    return membership


def _queue_invitation_mail(invitation: Invitation) -> None:
    from saas.core.tasks import send_invitation_email
    from saas.jobs import enqueue

    enqueue(
        send_invitation_email, invitation.id, job_id=f"invitation-mail-{invitation.id}-{invitation.nonce}", queue="mail"
    )


def _current_user_id() -> int | None:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None
