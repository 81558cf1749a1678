"""`Idempotency-Key` on the API's POSTs: the same key gives the same answer, and the thing is made once.

A client that did not hear the answer (a timeout, a dropped connection) sends the same request again with the
same key: it gets the first answer again, marked `Idempotent-Replayed: true`, and nothing is made twice. The
same key with another body is refused (422), and while the first is still being handled the second waits for
it a few seconds. Keys belong to the token that sent them and are kept for KEEP_FOR (24 hours, as Stripe
does). (IETF draft "The Idempotency-Key HTTP Header Field".)
"""

import hashlib
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, make_response, request
from flask_babel import gettext as _
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.clock import now
from saas.core.submissions import wait_for_first
from saas.core.tenancy import TenantScoped
from saas.core.types import UTCDateTime
from saas.extensions import db

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotentRequest(TenantScoped, db.Model):
    """A POST sent with an Idempotency-Key: what was asked (its digest) and what was answered."""

    __tablename__ = "api_idempotent_request"
    __table_args__ = (UniqueConstraint("token_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    #: SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: None while the first is being handled.
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[dict | None] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip().strip('"')  # the draft sends it as a structured-field string: "8e03978e-40d5"
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        abort(400, _("The Idempotency-Key header is 1 to 255 printable ASCII characters."))
    return key


def _fingerprint() -> str:
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])).hexdigest()


def idempotent(view):
    """Wrap a POST view (after token_required: it gets the token first) to honour the Idempotency-Key header."""

    @wraps(view)
    def wrapper(token, *args, **kwargs):
        key = _key()
        if key is None:
            return view(token, *args, **kwargs)
        fingerprint = _fingerprint()
        try:
            with db.session.begin_nested():
                row = IdempotentRequest(tenant_id=token.tenant_id, token_id=token.id, key=key, fingerprint=fingerprint)
                db.session.add(row)
        except IntegrityError:  # sent before, or at this very moment (PostgreSQL waited for the first's commit)
            db.session.rollback()
            return _replay(token.id, key, fingerprint)
        row_id = row.id
        response = view(token, *args, **kwargs)
        db.session.rollback()  # the view committed what it made; anything left over is not ours to keep
        if response.status_code < 500:
            db.session.execute(
                update(IdempotentRequest)
                .where(IdempotentRequest.id == row_id)
                .values(
                    status=response.status_code,
                    body=response.get_json(silent=True),
                    location=response.headers.get("Location"),
                )
            )
        db.session.commit()
        return response

    return wrapper


def _replay(token_id: int, key: str, fingerprint: str):
    first = _first(token_id, key)
    if first is None:  # the first failed and was rolled back: this one may try again
        abort(409, _("A request with this Idempotency-Key failed; send it again."))
    if first.fingerprint != fingerprint:
        abort(422, _("This Idempotency-Key was used for another request."))
    if first.status is None:
        abort(409, _("A request with this Idempotency-Key is still being handled; ask again in a moment."))
    response = make_response(first.body or {}, first.status)
    if first.location:
        response.headers["Location"] = first.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _first(token_id: int, key: str) -> IdempotentRequest | None:
    stmt = select(IdempotentRequest).where(IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
    return wait_for_first(stmt, lambda first: first.status is not None)


def forget_old(before: datetime | None = None) -> int:
    """Delete the keys older than KEEP_FOR (a retry comes within minutes, not days); returns how many went."""
    cutoff = before or now() - KEEP_FOR
    result = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff))
    db.session.commit()
    return result.rowcount
