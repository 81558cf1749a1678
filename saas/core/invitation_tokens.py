"""The signed token in an invitation's link: made when the mail is sent, read when the link is opened."""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from saas.core.clock import now
from saas.core.models import Invitation
from saas.extensions import db


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invitation_token(invitation: Invitation) -> str:
    """The signed token of the link e-mailed with an invitation."""
    return _serializer().dumps([invitation.id, invitation.nonce])


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a token stands for; None when forged, stale, used, revoked or expired."""
    try:
        ident, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    invitation = db.session.get(Invitation, ident)
    if invitation is None or not secrets.compare_digest(str(invitation.nonce), str(nonce)):
        return None
    return invitation if invitation.status_at(now()) == "pending" else None
