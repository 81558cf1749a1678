"""The client's rating of each resolved request (§12.3, §11.1 "service quality"): its requester (or the client's
admin) rates it 1 to 5 with a comment, in the portal or through the link e-mailed when it was resolved; one rating
per request, given once it is resolved (a request the client closed on confirming it is still rated), changeable
until the request is closed. The link is signed, works without signing in, once, for
RATING_LINK_DAYS."""

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.core import audit
from saas.core.bulk import insert_new
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, Tenant, User
from saas.core.parsing import clean_text
from saas.extensions import db
from saas.requests.models import RequestStatus, ServiceRequest
from saas.satisfaction.links import SignedLink, still_of_the_client
from saas.satisfaction.models import RatingAsk, RequestRating

#: How long the e-mailed link works.
RATING_LINK_DAYS = 14
#: How far back the job looks for resolved requests not yet asked (a stopped worker catches up; older ones are not
#: asked any more: the client has moved on).
ASK_LOOKBACK = timedelta(days=7)
SCORES = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000


class RatingError(ServiceError):
    """A rating that cannot be given or changed; the message says why."""


def may_rate(req: ServiceRequest, membership: Membership | None) -> bool:
    """The request's requester, or an admin of its client, may rate it."""
    if membership is None or membership.client_id != req.client_id:
        return False
    return membership.user_id == req.requester_id or membership.role == Role.CLIENT_ADMIN


def of_request(req: ServiceRequest) -> RequestRating | None:
    """The request's rating, if it has one."""
    return db.session.scalar(select(RequestRating).where(RequestRating.request_id == req.id))


RATEABLE = (RequestStatus.RESOLVED, RequestStatus.CLOSED)


def _check(req: ServiceRequest, score, comment: str, rated: bool) -> tuple[int, str]:
    if req.status == RequestStatus.CLOSED and rated:
        raise RatingError(_("The request is closed: its rating no longer changes."))
    if req.status not in RATEABLE:
        raise RatingError(_("A request is rated once it is resolved."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in SCORES:
        raise RatingError(_("Choose a rating from 1 to 5."))
    comment = clean_text(comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise RatingError(_("The comment is at most %(count)d characters.", count=MAX_COMMENT))
    return score, comment


def rate(req: ServiceRequest, user: User, score, comment: str = "") -> RequestRating:
    """Rate the resolved request, or change its rating, in the caller's transaction; two at once make one rating."""
    rating = of_request(req)
    score, comment = _check(req, score, comment, rated=rating is not None)
    if rating is None:
        rating = RequestRating(
            tenant_id=req.tenant_id,
            client_id=req.client_id,
            request_id=req.id,
            contract_id=req.contract_id,
            score=score,
            comment=comment,
            rated_by_id=user.id,
            rated_at=now(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(rating)
                db.session.flush()
        except IntegrityError:  # the same rating sent twice at once: the first one made it; change that
            rating = of_request(req)
        else:
            audit.record("satisfaction.rated", tenant_id=req.tenant_id, target=req, actor=user, score=score)
            return rating
    if (rating.score, rating.comment) != (score, comment):
        rating.score, rating.comment, rating.changed_at, rating.rated_by_id = score, comment, now(), user.id
        audit.record("satisfaction.rating_changed", tenant_id=req.tenant_id, target=req, actor=user, score=score)
    db.session.flush()
    return rating


# The e-mailed link -------------------------------------------------------------------------------------------------


RATING_LINK = SignedLink("request-rating")


def link_token(ask: RatingAsk) -> str:
    """The signed token of an ask's link: its tenant (so the link finds its row under row-level security), id and
    nonce."""
    return RATING_LINK.token(ask)


def tenant_of_token(token: str) -> int | None:
    """The tenant a well-signed token names, before its row is read; None when forged or malformed."""
    return RATING_LINK.tenant_of(token)


def ask_of_token(token: str) -> tuple[RatingAsk | None, str]:
    """(the ask, "") for a link that may be used now; else (the ask or None, why not: "invalid", "used",
    "expired" or "reopened")."""
    ask = RATING_LINK.row_of(RatingAsk, token)
    if ask is None or not still_of_the_client(ask):  # the requester left the client, or was switched off
        return None, "invalid"
    if ask.used_at is not None:
        return ask, "used"
    if now() >= ask.expires_at:
        return ask, "expired"
    if ask.request.status not in RATEABLE:
        return ask, "reopened"
    return ask, ""


def rate_by_link(token: str, score, comment: str = "") -> RequestRating:
    """Rate through the e-mailed link: once, before it expires, while the request is resolved and not closed."""
    ask, why = ask_of_token(token)
    if why:
        raise RatingError(LINK_REFUSALS[why]())
    # Locked and read again (populate_existing): a link sent twice at once is used by the first only.
    ask = db.session.scalar(
        select(RatingAsk).where(RatingAsk.id == ask.id).with_for_update().execution_options(populate_existing=True)
    )
    if ask.used_at is not None:  # two submissions of the link at once: the second finds it used
        raise RatingError(LINK_REFUSALS["used"]())
    rating = rate(ask.request, ask.user, score, comment)
    ask.used_at = now()
    db.session.flush()
    return rating


LINK_REFUSALS = {
    "invalid": lambda: _("This rating link is not valid. Rate the request in the portal instead."),
    "used": lambda: _("This rating link has been used. You can still change the rating in the portal."),
    "expired": lambda: _("This rating link has expired. You can still rate the request in the portal."),
    "reopened": lambda: _("The request was reopened: it can be rated again once it is resolved."),
}


def ask_for_ratings(tenant: Tenant, at: datetime) -> int:
    """Ask the requester of each request resolved lately, once per request (the unique ask makes a re-run, or two
    runs at once, ask nobody twice), by e-mail with its link; returns how many were asked."""
    rows = db.session.execute(
        select(ServiceRequest.id, ServiceRequest.client_id, ServiceRequest.requester_id)
        .outerjoin(RatingAsk, RatingAsk.request_id == ServiceRequest.id)
        .outerjoin(RequestRating, RequestRating.request_id == ServiceRequest.id)
        .where(
            ServiceRequest.tenant_id == tenant.id,
            ServiceRequest.status.in_(RATEABLE),
            ServiceRequest.resolved_at >= at - ASK_LOOKBACK,
            ServiceRequest.requester_id.is_not(None),
            RatingAsk.id.is_(None),
            RequestRating.id.is_(None),
        )
        .order_by(ServiceRequest.id)
        .limit(1000)
    ).all()
    expires = at + timedelta(days=RATING_LINK_DAYS)
    inserted = insert_new(
        RatingAsk,
        [
            {
                "tenant_id": tenant.id,
                "client_id": client_id,
                "request_id": request_id,
                "user_id": user_id,
                "nonce": secrets.token_urlsafe(32),
                "sent_at": at,
                "expires_at": expires,
                "used_at": None,
            }
            for request_id, client_id, user_id in rows
        ],
        unique=("request_id",),
        returning=("id",),
    )
    asks = db.session.scalars(select(RatingAsk).where(RatingAsk.id.in_([r[0] for r in inserted]))).all()
    for ask in asks:
        _mail(ask)
    return len(asks)


def _mail(ask: RatingAsk) -> int:
    req = ask.request
    link = external_url("satisfaction_link.rate_link", token=link_token(ask))

    def text_for(_is_vendor):
        subject = both_languages(lambda: _("How did we do on request %(ref)s?", ref=req.reference), " / ")
        body = both_languages(
            lambda: _(
                "Your request %(ref)s (%(subject)s) was resolved. Rate it from 1 to 5, with a comment if you like: "
                "%(link)s\n\nThe link works once, without signing in, for %(days)d days; in the portal you can "
                "change the rating until the request is closed.",
                ref=req.reference,
                subject=req.subject,
                link=link,
                days=RATING_LINK_DAYS,
            )
        )
        return subject, body

    return mail_people([(ask.user, False)], key=f"rating-ask:{ask.id}", tenant_id=ask.tenant_id, text_for=text_for)
