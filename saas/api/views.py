"""The JSON API /api/v1: requests by API (§2.1.1) and the Alertmanager webhook (§2.2.1).

Not a tenant blueprint: the bearer token names the tenant (and, when restricted, the client). No cookie is
read, so CSRF does not apply. Every answer is JSON; errors are {"error": ..., "reason": ...}.
"""

import base64
import binascii
import hashlib
from functools import wraps

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from saas.api import alerts as alertmanager
from saas.api import services, tokens
from saas.api.idempotency import idempotent
from saas.api.openapi import document
from saas.api.serializers import event_json, request_detail, request_summary
from saas.core import dbscope
from saas.core.errors import ServiceError
from saas.core.links import base_url
from saas.core.parsing import MAX_ID, parse_cursor
from saas.extensions import csrf, db, limiter
from saas.requests.models import RequestStatus

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

#: The "error" of each status: stable English words a program can match; the "reason" is for people.
ERRORS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    422: "Unprocessable",
    429: "Too many attempts",
}
LIST_STATUSES = {"", "open", "all", *RequestStatus.__members__.values()}
MAX_PAGE = 100
MAX_TEXT = 20_000


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def _rate_key() -> str:
    """Each token has its own allowance (keyed by a digest, so the store never holds a secret); else the IP."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "api-ip:" + get_remote_address()


limiter.limit(_rate_limit, key_func=_rate_key)(bp)


def fail(status: int, reason: str):
    """Stop with a JSON error."""
    response = jsonify(error=ERRORS[status], reason=str(reason))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    abort(response)


@bp.errorhandler(HTTPException)
def _http_error(exc):
    db.session.rollback()
    code = exc.code or 500
    return {"error": ERRORS.get(code, exc.name), "reason": exc.description or ""}, code


@bp.errorhandler(ServiceError)
def _refused(exc):
    db.session.rollback()
    return {"error": ERRORS[422], "reason": str(exc)}, 422


@bp.errorhandler(services.NotFound)
def _not_found(exc):
    db.session.rollback()
    return {"error": ERRORS[404], "reason": str(exc)}, 404


def token_required(scope: str):
    """Let the view run only for a live token with `scope`; the view gets the token first."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                fail(401, _("Send an API token in the header Authorization: Bearer <token>."))
            with dbscope.platform():  # the token names the tenant
                token = tokens.authenticate(secret.strip())
            if token is None:
                fail(401, _("This API token is unknown or has been revoked."))
            dbscope.enter_tenant(token.tenant_id)
            if not token.tenant.is_active:
                fail(403, _("This organisation's account is suspended."))
            if scope not in token.scopes:
                fail(403, _("This token may not do this: it lacks the scope “%(scope)s”.", scope=scope))
            return view(token, *args, **kwargs)

        wrapper.required_scope = scope
        return wrapper

    return decorator


def json_body() -> dict:
    """The request's JSON object, or a 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        fail(400, _("Send a JSON object with the header Content-Type: application/json."))
    return data


def _text(data: dict, name: str, limit: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        fail(
            422,
            _("“%(name)s” must be a non-empty string.", name=name)
            if required
            else _("“%(name)s” must be a string.", name=name),
        )
    if len(value) > limit:
        fail(422, _("“%(name)s” may be at most %(num)d characters long.", name=name, num=limit))
    return value


def _int(value, name: str) -> int | None:
    """An optional whole number from JSON or the query string."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        fail(422, _("“%(name)s” must be a whole number.", name=name))
    if isinstance(value, str) and len(value.lstrip("0")) > len(str(MAX_ID)) or not -MAX_ID <= int(value) <= MAX_ID:
        fail(404, _("There is no such record."))  # no row has it (and int() of 5,000 digits would fail)
    return int(value)


def _encode_cursor(cursor: str | None) -> str | None:
    return base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=") if cursor else None


def _decode_cursor(value: str | None, by_due: bool) -> str | None:
    """The list service's keyset from an opaque `after`, checked (parse_cursor) so a made-up one is a 422."""
    if not value:
        return None
    try:
        cursor = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        parse_cursor(cursor, timed=by_due)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        fail(422, _("“after” is not a cursor this API gave out; use the “next” of the previous page."))
    return cursor


def _category(token, ref, required: bool):
    if ref in (None, "") and not required:
        return None
    if isinstance(ref, str) and ref.isdigit():
        ref = int(ref)
    category = services.category_for(token, ref) if isinstance(ref, str | int) else None
    if category is None:
        fail(422, _("Give the category by its code (such as FAULT) or id; this one is not one of the vendor's."))
    return category


@bp.get("/requests")
@token_required("requests:read")
def list_requests(token):
    """One page of requests: open ones soonest due first (status "open"), others newest first; `next` pages on."""
    status = request.args.get("status", "open")
    if status not in LIST_STATUSES:
        fail(422, _("“status” must be open, all or a request status."))
    limit = _int(request.args.get("limit"), "limit")
    limit = 25 if limit is None else limit
    if not 1 <= limit <= MAX_PAGE:
        fail(422, _("“limit” must be between 1 and %(num)d.", num=MAX_PAGE))
    client = services.client_for(token, _int(request.args.get("client_id"), "client_id"))
    category = _category(token, request.args.get("category"), required=False)
    after = _decode_cursor(request.args.get("after"), by_due=status in ("", "open"))
    try:
        rows, cursor = services.list_page(
            token, client=client, status=status, category=category, after=after, limit=limit
        )
    except ValueError:
        fail(422, _("“after” is not a cursor this API gave out; use the “next” of the previous page."))
    db.session.commit()  # the token's last use
    return {"requests": [request_summary(r) for r in rows], "next": _encode_cursor(cursor)}


@bp.post("/requests")
@token_required("requests:write")
@idempotent
def create_request(token):
    """Raise a request for a client (the token's own when restricted) under its contract in force."""
    data = json_body()
    client = services.client_for(token, _int(data.get("client_id"), "client_id"))
    if client is None:
        fail(422, _("Name the client: “client_id”."))
    category = _category(token, data.get("category"), required=True)
    fields = {
        "subject": _text(data, "subject", 200, required=True),
        "description": _text(data, "description", MAX_TEXT),
        "priority": _text(data, "priority", 12) or "normal",
        "requester_name": _text(data, "requester_name", 120),
        "requester_contact": _text(data, "requester_contact", 200),
    }
    req = services.raise_request(token, client, category, fields)
    db.session.commit()
    response = jsonify(request_detail(req, services.public_timeline(req)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_request", number=req.number)
    return response


@bp.get("/requests/<int:number>")
@token_required("requests:read")
def read_request(token, number):
    """A request with its due times, breaches, status and public timeline."""
    req = services.request_by_number(token, number)
    body = request_detail(req, services.public_timeline(req))
    db.session.commit()  # the token's last use
    return body


@bp.post("/requests/<int:number>/comments")
@token_required("requests:write")
def add_comment(token, number):
    """Reply on a request; a client's token replies for the client, an unrestricted one for the vendor."""
    req = services.request_by_number(token, number, for_update=True)
    event = services.add_comment(token, req, _text(json_body(), "body", MAX_TEXT, required=True))
    db.session.commit()
    return event_json(event), 201


@bp.post("/alerts/alertmanager")
@token_required("alerts:write")
def alertmanager_webhook(token):
    """Alertmanager's webhook (§2.2.1): firing alerts open fault requests, resolved ones are noted once."""
    client = services.client_for(token, _int(request.args.get("client_id"), "client_id"))
    if client is None:
        fail(422, _("Name the client in the webhook URL: ?client_id=…"))
    summary = alertmanager.ingest(token, client, alertmanager.parse(json_body()))
    db.session.commit()
    return summary


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return document(base_url())
