"""Fixtures of the API tests: alpha's two clients under contracts in force, beta with requests of its own."""

from datetime import UTC, date, datetime

import pytest

from saas.api import tokens
from saas.extensions import db
from saas.requests import services
from saas.requests.models import Channel


@pytest.fixture
def api(db, world, make_signed_contract, clock):
    """Both of alpha's clients and beta's first under contracts in force, standard categories everywhere."""
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    for tenant in (alpha, beta):
        services.add_standard_categories(tenant)
    for client in world.clients("alpha"):
        make_signed_contract(alpha, client, effective=date(2026, 11, 1), fault_response_hours=2)
    make_signed_contract(beta, world.clients("beta")[0], effective=date(2026, 11, 1))
    db.session.commit()
    return Api(db, world)


class Api:
    """Helpers: tokens, requests raised directly, and headers."""

    def __init__(self, db, world):
        self.db, self.world = db, world

    def token(
        self,
        slug="alpha",
        scopes=("requests:read", "requests:write", "alerts:write", "agreements:read"),
        client_index=None,
    ):
        """A live token of `slug` (restricted to one of its clients when client_index is given); returns its secret."""
        client = self.world.clients(slug)[client_index] if client_index is not None else None
        _token, secret = tokens.create_token(
            self.world.tenant(slug),
            f"Token of {slug}",
            list(scopes),
            client.id if client else None,
            self.world.person(slug, "vendor_admin"),
        )
        self.db.session.commit()
        return secret

    @staticmethod
    def bearer(secret: str) -> dict:
        return {"Authorization": f"Bearer {secret}"}

    def raise_request(self, slug="alpha", client_index=0, subject="数据库连接超时", code="GENERAL"):
        tenant = self.world.tenant(slug)
        category = next(c for c in services.categories(tenant) if c.code == code)
        req = services.create_request(
            tenant,
            self.world.clients(slug)[client_index].id,
            {"category_id": category.id, "subject": subject},
            self.world.person(slug, "vendor_admin"),
            channel=Channel.PHONE,
        )
        db.session.commit()
        return req
