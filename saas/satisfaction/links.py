"""The signed links e-mailed by the satisfaction domain (a request's rating ask, a survey's invitation): each names
its row's tenant (so the row is found under row-level security before anyone signs in), the row's id and its
nonce; a link of another row, a forged one, or one of someone no longer of the client never matches."""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from saas.core.models import Membership
from saas.extensions import db


class SignedLink:
    """The tokens of one kind of link (its salt keeps a rating link from opening a survey and the reverse)."""

    def __init__(self, salt: str):
        self.salt = salt

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=self.salt)

    def token(self, row) -> str:
        """The signed token of a row with tenant_id, id and nonce."""
        return self._serializer().dumps([row.tenant_id, row.id, row.nonce])

    def _parts(self, token: str):
        try:
            tenant_id, ident, nonce = self._serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        if not (isinstance(tenant_id, int) and isinstance(ident, int)):
            return None
        return tenant_id, ident, nonce

    def tenant_of(self, token: str) -> int | None:
        """The tenant a well-signed token names, before its row is read; None when forged or malformed."""
        parts = self._parts(token)
        return parts[0] if parts else None

    def row_of(self, model, token: str):
        """The row the token names, when its tenant and nonce match; else None."""
        parts = self._parts(token)
        if parts is None:
            return None
        tenant_id, ident, nonce = parts
        row = db.session.get(model, ident)
        if row is None or row.tenant_id != tenant_id or not secrets.compare_digest(str(row.nonce), str(nonce)):
            return None
        return row


def still_of_the_client(row) -> bool:
    """Whether the person a link was sent to (row.user) is still an active member of the row's client."""
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.tenant_id == row.tenant_id,
            Membership.user_id == row.user_id,
            Membership.client_id == row.client_id,
        )
    )
    return member is not None and row.user.active
