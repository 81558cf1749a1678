"""The demo's ratings (§12.3): the client's requester rated two requests it had closed; the one resolved lately and
not rated has its rating e-mail (in the outbox) with a link that works without signing in."""

from datetime import timedelta

from sqlalchemy import select

from saas.core.clock import frozen_at, now
from saas.extensions import db
from saas.requests.models import RequestStatus, ServiceRequest
from saas.satisfaction import services

COMMENTS = (
    (5, "工程师远程处理得很快，说明也清楚。Fixed remotely and quickly, clearly explained."),
    (3, "问题解决了，但第一次响应偏慢。Solved, but the first response was slow."),
)


def seed_ratings(tenant) -> None:
    """Rate the two latest requests the client closed, then ask for the rest as the job would."""
    resolved = db.session.scalars(
        select(ServiceRequest)
        .where(
            ServiceRequest.tenant_id == tenant.id,
            ServiceRequest.status == RequestStatus.CLOSED,
            ServiceRequest.requester_id.is_not(None),
        )
        .order_by(ServiceRequest.resolved_at.desc(), ServiceRequest.id)
        .limit(len(COMMENTS))
    ).all()
    for req, (score, comment) in zip(resolved, COMMENTS, strict=False):
        with frozen_at((req.closed_at or req.resolved_at) + timedelta(minutes=30)):  # rated as it was closed
            services.rate(req, req.requester, score, comment)
    services.ask_for_ratings(tenant, now())
    db.session.commit()
