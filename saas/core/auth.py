"""Signing in and out: Argon2id check, session reset, audit of successes and failures."""

from flask import session
from flask_login import login_user, logout_user

from saas.core import audit
from saas.core.clock import now
from saas.core.models import User
from saas.core.passwords import hash_password, needs_rehash, verify_password
from saas.core.people import normalise_email, user_by_email
from saas.extensions import db


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active account with this id."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def authenticate(email: str, password: str) -> User | None:
    """The active account whose password matches, else None; failures are audited."""
    user = user_by_email(email)
    if user is None or not user.active or not verify_password(user.password_hash if user else None, password):
        audit.record("auth.login_failed", actor_email=normalise_email(email))
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def sign_in(user: User) -> None:
    """Start a fresh session for the user (no data survives from before: no fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    user.last_login_at = now()
    audit.record("auth.login", actor=user)
    db.session.commit()


def sign_out(user: User) -> None:
    """End the session."""
    audit.record("auth.logout", actor=user)
    db.session.commit()
    logout_user()
    session.clear()
