"""API tokens: made with a secret shown once, kept as its SHA-256 only, revoked for good."""

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.api.models import ApiToken
from saas.core import audit
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import Client, Tenant, User
from saas.extensions import db

#: What a token may be allowed to do, with what the console says about each.
SCOPES = {
    "requests:read": _l("Read requests and their timelines"),
    "requests:write": _l("Raise requests and reply to them"),
    "alerts:write": _l("Send monitoring alerts (Alertmanager webhook)"),
    "agreements:read": _l("Read breaches, service credits and disputes"),
}
#: Every secret starts so, which lets secret scanners and people recognise it.
SECRET_PREFIX = "ac_"  # noqa: S105 (a fixed marker, not a secret)
#: How many characters of the secret the lists show.
SHOWN_CHARS = 11
#: last_used_at is written at most this often, so reading the API is not a write on every call.
USE_RECORD_INTERVAL = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    tenant: Tenant, name: str, scopes, client_id: int | None = None, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is not kept and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name, such as the system that will use it."))
    scopes = sorted(set(scopes or ()))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ServiceError(_("Choose what the token may do."))
    if (
        client_id is not None
        and db.session.scalar(select(Client.id).where(Client.id == client_id, Client.tenant_id == tenant.id)) is None
    ):
        raise ServiceError(_("Choose one of your clients."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant_id=tenant.id,
        name=name[:120],
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_CHARS],
        scopes=scopes,
        client_id=client_id,
        created_by_id=actor.id if actor else None,
        created_at=now(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api.token_created",
        tenant_id=tenant.id,
        target=token,
        actor=actor,
        name=token.name,
        prefix=token.prefix,
        scopes=scopes,
        client_id=client_id,
    )
    return token, secret


def revoke_token(token: ApiToken, actor: User | None = None) -> None:
    """Stop a token from working, for good; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now()
    audit.record(
        "api.token_revoked", tenant_id=token.tenant_id, target=token, actor=actor, name=token.name, prefix=token.prefix
    )


def authenticate(secret: str | None) -> ApiToken | None:
    """The live token a secret belongs to, or None (unknown or revoked); notes when it was used."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    # Looked up by digest: the comparison never runs over the secret, so its timing tells nothing about it.
    token = db.session.scalar(
        select(ApiToken).options(selectinload(ApiToken.client)).where(ApiToken.token_hash == hash_secret(secret))
    )
    if token is None or token.revoked_at is not None:
        return None
    at = now()
    if token.last_used_at is None or at - token.last_used_at >= USE_RECORD_INTERVAL:
        token.last_used_at = at
    return token


def list_tokens(tenant: Tenant) -> list[ApiToken]:
    """The tenant's tokens, live ones first, newest first."""
    stmt = select(ApiToken).options(selectinload(ApiToken.client), selectinload(ApiToken.created_by))
    stmt = stmt.where(ApiToken.tenant_id == tenant.id)
    return db.session.scalars(stmt.order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()
