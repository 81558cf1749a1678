"""Fixtures of the requests tests: alpha's first client under a contract in force, with the standard categories."""

from datetime import UTC, date, datetime

import pytest

from saas.tickets import services


@pytest.fixture
def alpha(db, world, make_signed_contract, clock):
    """Alpha's tenant, its first client's contract in force since 1 November 2026, and the categories by code."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    services.categories(tenant)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": {c.code: c for c in services.categories(tenant)}}
