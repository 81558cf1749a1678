"""Error pages in the user's language, and typed errors services raise for views to show."""

import contextlib

from flask import g, render_template, request
from flask_babel import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import Conflict, SecurityError

#: A dependency that does not answer (PostgreSQL restarting, Redis down): a 503, never a 500.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, RedisConnectionError, RedisTimeoutError)
#: Seconds the 503 tells the caller to wait before trying again.
RETRY_AFTER = 30


class ServiceError(Exception):
    """A rule of the product refused the change; the message is for the user (already translated)."""


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    429: "Too many attempts",
    500: "Something went wrong",
}


def install(app):
    """Render HTML error pages (JSON for API-style requests) for the common HTTP errors."""

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/api/"):
            return {"error": _TITLES.get(code, "Error"), "reason": getattr(error, "description", "")}, code
        suspended = getattr(error, "description", "") == "tenant_suspended"
        return render_template("errors/error.html", code=code, suspended=suspended), code

    def untrusted_host(error):
        # A host outside TRUSTED_HOSTS: no page, since its links could only be built on the refused host.
        message = _("This site does not answer to that address.")
        if request.path.startswith("/api/"):
            return {"error": _TITLES[400], "reason": message}, 400
        return message, 400, {"Content-Type": "text/plain; charset=utf-8"}

    for code in _TITLES:
        app.register_error_handler(code, handler)
    app.register_error_handler(SecurityError, untrusted_host)

    def conflict(error):
        # A uniqueness race the code did not foresee (two people making the same thing at the same moment):
        # nothing of this request is kept, and the person is told, never shown a 500.
        from saas.extensions import db

        db.session.rollback()
        app.logger.warning("uniqueness conflict on %s %s: %s", request.method, request.path, error.orig)
        return handler(Conflict(description=_("Someone else made the same change at the same moment.")))

    app.register_error_handler(IntegrityError, conflict)

    def unavailable(error):
        # The database (or Redis) does not answer: one warning line, no stack trace, and a page that asks nothing
        # of it (no user loaded, no navigation). The pool's pre-ping finds the connections again once it is back.
        from saas.extensions import db, login_manager

        g.dependency_down = True
        g._login_user = login_manager.anonymous_user()  # Flask-Login's template context would load the user again
        g.pop("submission_token", None)  # the POST's one-time token cannot be settled in this database
        with contextlib.suppress(Exception):  # the connection is gone: nothing to roll back
            db.session.rollback()
        which = "Redis" if isinstance(error, RedisConnectionError | RedisTimeoutError) else "the database"
        detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
        app.logger.warning("%s is unreachable (%s %s): %s", which, request.method, request.path, detail)
        headers = {"Retry-After": str(RETRY_AFTER)}
        message = _("The service is briefly unavailable. Please try again in a minute.")
        if request.path.startswith("/api/"):
            return {"error": "Service unavailable", "reason": message}, 503, headers
        return render_template("errors/unavailable.html", message=message, retry_after=RETRY_AFTER), 503, headers

    for kind in UNAVAILABLE:
        app.register_error_handler(kind, unavailable)

    # Registered after Flask-SQLAlchemy's (init_database), so it runs first: the end of a request whose connection
    # the server just ended (a restart) is one warning, not a 500 with a stack trace after the answer was made.
    app.teardown_appcontext(close_session)


def close_session(exc=None):
    """End the context's session; when its connection is already gone, drop it without rolling back."""
    from flask import current_app

    from saas.extensions import db

    try:
        db.session.remove()
    except UNAVAILABLE as error:
        detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
        current_app.logger.warning("the database went away while a session was closing: %s", detail)
        with contextlib.suppress(Exception):
            db.session.invalidate()
        db.session.registry.clear()


def error_title(code: int) -> str:
    """The translated title of an HTTP error page."""
    titles = {
        400: _("The request could not be understood. Reload the page and try again."),
        403: _("You are not allowed to see this page."),
        404: _("This page does not exist, or it is not yours to see."),
        405: _("This action is not allowed here."),
        409: _("Someone else made the same change at the same moment. Reload the page to see it, then try again."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again."),
    }
    return titles.get(code, _("Something went wrong on our side. Please try again."))
