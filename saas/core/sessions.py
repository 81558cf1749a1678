"""Sign-ins recorded server-side: signing out ends a session and every copy of its cookie.

A new password or a deactivated account ends all of a person's sign-ins (the listener on User in models.py).
"""

import hashlib
import secrets

from sqlalchemy import delete, select

from saas.core.models import User, UserSession
from saas.extensions import db

#: Sign-ins kept per person (phone, laptop, …); a newer one ends the oldest beyond this.
MAX_SESSIONS_PER_USER = 20


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User) -> str:
    """Record a new sign-in of the user; returns its random key (for the session cookie, never stored as is)."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_digest(key)))
    db.session.flush()
    older = select(UserSession.id).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())
    stale = db.session.scalars(older.offset(MAX_SESSIONS_PER_USER)).all()
    if stale:
        db.session.execute(delete(UserSession).where(UserSession.id.in_(stale)))
    return key


def is_live(user_id: int, key: str | None) -> bool:
    """Whether this sign-in of the user has not ended."""
    if not key:
        return False
    found = select(UserSession.id).where(UserSession.user_id == user_id, UserSession.key_hash == _digest(key))
    return db.session.scalar(found) is not None


def end(user: User, key: str | None) -> None:
    """End one sign-in (sign out): its cookie, and every copy of it, no longer signs anyone in."""
    if key:
        db.session.execute(
            delete(UserSession).where(UserSession.user_id == user.id, UserSession.key_hash == _digest(key))
        )


def end_all(user: User) -> None:
    """End every sign-in of the user, this one included (sign out everywhere)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
