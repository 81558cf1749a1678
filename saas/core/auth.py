"""Signing in and out: Argon2id check, session reset, a server-side record of each sign-in, audit."""

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import update

from saas.core import audit, dbscope, sessions
from saas.core.clock import now
from saas.core.models import User
from saas.core.parsing import parse_id
from saas.core.passwords import hash_password, needs_rehash, verify_password
from saas.core.people import normalise_email, user_by_email
from saas.extensions import db


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active account of "<id>:<sign-in key>", while that sign-in has not ended."""
    ident, _, key = (user_id or "").partition(":")
    ident = parse_id(ident)
    if ident is None or not sessions.is_live(ident, key):
        return None
    dbscope.enter_user(ident)  # their memberships, loaded with them, are visible in any tenant's scope
    user = db.session.get(User, ident)
    if user is None or not user.active:
        dbscope.enter_user(None)
        return None
    user.session_key = key
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account whose password matches, else None; failures are audited."""
    user = user_by_email(email)
    if user is None or not user.active or not verify_password(user.password_hash if user else None, password):
        audit.record("auth.login_failed", actor_email=normalise_email(email))
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        # The same password at the new cost: not a password change, so the person's other sign-ins stay.
        db.session.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(password)))
    return user


def sign_in(user: User) -> None:
    """Start a fresh session for the user (no data survives from before: no fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    user.session_key = sessions.start(user)
    login_user(user)
    user.last_login_at = now()
    audit.record("auth.login", actor=user)
    db.session.commit()


def sign_out(user: User) -> None:
    """End this sign-in: the cookie, and any copy of it, no longer signs anyone in."""
    sessions.end(user, user.session_key)
    audit.record("auth.logout", actor=user)
    _forget(user)


def sign_out_everywhere(user: User) -> None:
    """End every sign-in of the user, on every device, this one included."""
    sessions.end_all(user)
    audit.record("auth.logout_everywhere", actor=user)
    _forget(user)


def _forget(user: User) -> None:
    db.session.commit()
    logout_user()
    session.clear()
