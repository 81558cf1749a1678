"""The JSON API's read-only view of what the agreement's enforcement produced: the vendor's breaches (§8.1), the
service credits they owe (§8.2) and the disputes (§9). A client-restricted token sees its own client's only."""

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.api.serializers import breach_json, credit_json, dispute_json
from saas.api.views import MAX_PAGE, _decode_cursor, _encode_cursor, _int, bp, fail, token_required
from saas.contracts.models import Contract
from saas.credits.models import CreditStatus, ServiceCredit
from saas.disputes.models import Dispute, DisputeStatus
from saas.extensions import db
from saas.requests.models import ServiceRequest, SlaBreach

SCOPE = "agreements:read"


def _page_args() -> tuple[int, int | None]:
    """The page's size and keyset (the last id of the previous page, from its opaque `next`)."""
    limit = _int(request.args.get("limit"), "limit")
    limit = 25 if limit is None else limit
    if not 1 <= limit <= MAX_PAGE:
        fail(422, _("“limit” must be between 1 and %(num)d.", num=MAX_PAGE))
    cursor = _decode_cursor(request.args.get("after"), by_due=False)
    return limit, int(cursor) if cursor else None


def _next(rows, limit: int) -> str | None:
    return _encode_cursor(str(rows[limit - 1].id)) if len(rows) > limit else None


def _status(allowed) -> str:
    status = request.args.get("status", "")
    if status and status not in allowed:
        fail(422, _("“status” must be one of: %(values)s.", values=", ".join(sorted(allowed))))
    return status


def _scoped(stmt, model, token, after):
    stmt = stmt.where(model.tenant_id == token.tenant_id)
    if token.client_id is not None:
        stmt = stmt.where(model.client_id == token.client_id)
    if after:
        stmt = stmt.where(model.id < after)
    return stmt.order_by(model.id.desc())


@bp.get("/breaches")
@token_required(SCOPE)
def list_breaches(token):
    """The vendor's recorded breaches (§8.1.1–§8.1.3), newest first."""
    limit, after = _page_args()
    stmt = (
        select(SlaBreach, ServiceRequest.number, Contract.number)
        .join(ServiceRequest, ServiceRequest.id == SlaBreach.request_id)
        .join(Contract, Contract.id == SlaBreach.contract_id)
    )
    rows = db.session.execute(_scoped(stmt, SlaBreach, token, after).limit(limit + 1)).all()
    items = [breach_json(b, number, contract) for b, number, contract in rows[:limit]]
    return jsonify(items=items, next=_next([r[0] for r in rows], limit))


@bp.get("/credits")
@token_required(SCOPE)
def list_credits(token):
    """Service credits (§8.2 for the vendor), newest first; `status` proposed, confirmed, billed or waived."""
    limit, after = _page_args()
    status = _status(set(CreditStatus.__members__.values()))
    stmt = select(ServiceCredit).options(
        selectinload(ServiceCredit.contract),
        selectinload(ServiceCredit.line),
        selectinload(ServiceCredit.billed_invoice),
    )
    if status:
        stmt = stmt.where(ServiceCredit.status == status)
    rows = db.session.scalars(_scoped(stmt, ServiceCredit, token, after).limit(limit + 1)).all()
    return jsonify(items=[credit_json(c) for c in rows[:limit]], next=_next(rows, limit))


@bp.get("/disputes")
@token_required(SCOPE)
def list_disputes(token):
    """Disputes (§9) with their steps, newest first; `status` open, resolved or withdrawn."""
    limit, after = _page_args()
    status = _status(set(DisputeStatus.__members__.values()))
    stmt = select(Dispute).options(selectinload(Dispute.contract), selectinload(Dispute.steps))
    if status:
        stmt = stmt.where(Dispute.status == status)
    rows = db.session.scalars(_scoped(stmt, Dispute, token, after).limit(limit + 1)).all()
    return jsonify(items=[dispute_json(d) for d in rows[:limit]], next=_next(rows, limit))
