"""One form submission, one result: a double click or a resent form shows the first result, never a second thing.

Every form built on `saas.core.forms.Form` renders, next to its CSRF token, a one-time submission token
(`_once`). The first POST carrying a token records it in the same transaction as the view's own writes;
when the view answers with a redirect (post/redirect/get, how every form that creates something ends), the
redirect's target is kept. A second POST with that token, at the same moment or later, runs no view: it is
sent to the first one's result with a message. A view that answers otherwise (a form shown again with its
errors, a fragment) frees the token: nothing was made that a repeat could double.
"""

import time
from datetime import datetime, timedelta

from flask import flash, g, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.clock import now
from saas.core.types import UTCDateTime
from saas.extensions import db

FIELD = "_once"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


class FormSubmission(db.Model):
    """A one-time form token that was submitted, by whom, and where its first submission led."""

    __tablename__ = "form_submission"
    token: Mapped[str] = mapped_column(String(TOKEN_LENGTH), primary_key=True)
    #: The person who submitted it (None before sign-in, e.g. accepting an invitation with a new account).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: Where the first submission's redirect led; None while it runs, or when it answered with a page.
    location: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


def token_input(token: str) -> Markup:
    """The hidden input that carries a form's one-time token."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')  # noqa: S704 (escaped)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _token() -> str | None:
    token = request.form.get(FIELD, "")
    return token if 16 <= len(token) <= TOKEN_LENGTH and token.isascii() else None


def claim():
    """Before a POST's view: claim its token, or answer with the first submission's result."""
    token = request.method == "POST" and _token()
    if not token:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(FormSubmission(token=token, user_id=_user_id()))
    except IntegrityError:  # submitted before, or at this very moment (PostgreSQL waited for it to commit)
        db.session.rollback()
        return _repeat(token)
    g.submission_token = token
    return None


def _repeat(token: str):
    first = _first(token)
    if first is None or first.user_id != _user_id():
        flash(_("This form has expired. Fill it in again."), "error")
        return redirect(request.path, code=303)
    flash(_("This form was already sent; here is what it did."), "info")
    return redirect(first.location or request.path, code=303)


def _first(token: str) -> FormSubmission | None:
    return wait_for_first(
        select(FormSubmission).where(FormSubmission.token == token), lambda first: first.location is not None
    )


def wait_for_first(stmt, finished, wait_seconds: float = 5.0):
    """The row `stmt` finds; while it is there but not `finished(row)` (the first submission has committed and is
    still writing down its result), read it again for up to `wait_seconds`."""
    stmt = stmt.execution_options(populate_existing=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        first = db.session.scalar(stmt)
        if first is None or finished(first) or time.monotonic() > deadline:
            return first
        db.session.rollback()  # let go of this snapshot and of the write lock (SQLite) while the first finishes
        time.sleep(0.05)


def settle(response):
    """After a POST's view: keep where a redirect led, or free the token when the view answered otherwise."""
    token = g.pop("submission_token", None)
    if token is None:
        return response
    db.session.rollback()  # what the view left uncommitted is dropped at teardown anyway; keep it from this commit
    if response.status_code in (301, 302, 303) and response.location:
        db.session.execute(
            update(FormSubmission).where(FormSubmission.token == token).values(location=response.location[:2000])
        )
    else:
        db.session.execute(delete(FormSubmission).where(FormSubmission.token == token))
    db.session.commit()
    return response


#: A form older than its CSRF token (8 hours) cannot be sent again, so its one-time token need not be kept longer.
KEEP_FOR = timedelta(days=1)


def forget_old(before: datetime | None = None) -> int:
    """Delete the one-time tokens no form can still send (older than KEEP_FOR); returns how many went."""
    cutoff = before or now() - KEEP_FOR
    result = db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < cutoff))
    db.session.commit()
    return result.rowcount


def install(app) -> None:
    """Claim each POST's one-time token before its view and settle it after."""
    app.before_request(claim)
    app.after_request(settle)
