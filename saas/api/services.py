"""What the API does for a token: find its client, categories and requests, raise and answer requests.

A token belongs to one tenant and, when restricted, to one client: every lookup here is made inside them,
so a number or id of anyone else's simply is not found.
"""

from flask_babel import gettext as _

from saas.api.models import ApiToken
from saas.core.models import Client
from saas.core.tenancy import MAX_ID, scoped_select
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import Channel, RequestCategory, RequestEvent, ServiceRequest


class NotFound(LookupError):
    """What the token asked for is not there for it (another tenant's, another client's, or nobody's)."""


def client_for(token: ApiToken, client_id: int | None) -> Client | None:
    """The client a call is about: the token's own when restricted; None when not named and not implied."""
    if client_id is None and token.client_id is None:
        return None
    client = db.session.scalar(
        scoped_select(Client, token.tenant, token.client_id).where(
            Client.id == (client_id if client_id is not None else token.client_id)
        )
    )
    if client is None:
        raise NotFound(_("There is no such client for this token."))
    return client


def category_for(token: ApiToken, ref) -> RequestCategory | None:
    """One of the tenant's active categories, by code (FAULT) or id; None when there is no such category."""
    for category in requests.categories(token.tenant):
        if (isinstance(ref, str) and category.code == ref.strip().upper()) or (
            isinstance(ref, int) and not isinstance(ref, bool) and category.id == ref
        ):
            return category
    return None


def request_by_number(token: ApiToken, number: int, for_update: bool = False) -> ServiceRequest:
    """The tenant's request with this number (#1024), within the token's client when restricted (locked to change)."""
    if number > MAX_ID:
        raise NotFound(_("There is no request #%(number)d for this token.", number=number))
    stmt = scoped_select(ServiceRequest, token.tenant, token.client_id).where(ServiceRequest.number == number)
    if for_update:
        stmt = stmt.with_for_update(of=ServiceRequest).execution_options(populate_existing=True)
    req = db.session.scalar(stmt)
    if req is None:
        raise NotFound(_("There is no request #%(number)d for this token.", number=number))
    return req


def raise_request(token: ApiToken, client: Client, category: RequestCategory, data: dict) -> ServiceRequest:
    """A request raised through the API (§2.1.1), under the client's contract in force."""
    return requests.create_request(
        token.tenant, client.id, {**data, "category_id": category.id}, actor=None, channel=Channel.API
    )


def add_comment(token: ApiToken, req: ServiceRequest, body: str) -> RequestEvent:
    """A reply seen by both parties: a client's token writes for the client, an unrestricted one for the vendor."""
    return requests.reply(req, None, body, by_client=token.client_id is not None)


def list_page(
    token: ApiToken,
    *,
    client: Client | None,
    status: str,
    category: RequestCategory | None,
    after: str | None,
    limit: int,
):
    """One page of the token's requests (keyset), as (rows, next cursor)."""
    return requests.list_requests(
        token.tenant,
        client_id=client.id if client else token.client_id,
        status=status,
        category_id=category.id if category else None,
        after=after,
        limit=limit,
    )


def public_timeline(req: ServiceRequest) -> list[RequestEvent]:
    """The request's timeline as the client sees it: no internal notes."""
    return requests.timeline(req, include_internal=False)
