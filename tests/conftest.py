"""The fixtures come from the `saas` pytest plugin (saas/testing/fixtures.py); this adds the browser's, and the
requests set-ups that the requests, records, feedback and API tests share."""

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from saas.extensions import db
from saas.requests import services
from tests.addons.stand_in import addon_stand_in  # noqa: F401 (a fixture: the add-ons domain's routes need a type)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def alpha(db, world, make_signed_contract, clock):
    """Alpha's tenant, its first client's contract in force since 1 November 2026, and the categories by code."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    services.categories(tenant)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": {c.code: c for c in services.categories(tenant)}}


@pytest.fixture
def office_alpha(db, world, make_signed_contract, clock):
    """Alpha's contract in force since 1 November 2026 (on-site arrival 8 h), categories on office hours 09–18."""
    from saas.calendars import services as calendar_service

    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(
        tenant, world.clients("alpha")[0], effective=date(2026, 11, 1), onsite_arrival_hours=8
    )
    office = calendar_service.save_calendar(
        tenant, {"name": "Office", "timezone": "Asia/Shanghai", **{f"hours_{d}": "09:00-18:00" for d in range(5)}}
    )
    services.add_standard_categories(tenant, office=office)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": {c.code: c for c in services.categories(tenant)}}


@pytest.fixture
def sla_alpha(db, world, make_signed_contract, clock):
    """Alpha's first client under a contract in force, an office-hours calendar with a holiday Monday 30 Nov."""
    from saas.calendars import services as calendar_service

    tenant, client = world.tenant("alpha"), world.clients("alpha")[0]
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    contract = make_signed_contract(
        tenant,
        client,
        effective=date(2026, 11, 1),
        service_response_hours=4,
        fault_response_hours=2,
        onsite_arrival_hours=8,
    )
    office = calendar_service.save_calendar(
        tenant,
        {"name": "Office", "timezone": "Asia/Shanghai", **{f"hours_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)}},
    )
    calendar_service.add_day(office, date(2026, 11, 30), "holiday", "Company day")
    always = calendar_service.save_calendar(tenant, {"name": "7x24", "timezone": "Asia/Shanghai", "always": True})
    services.add_standard_categories(tenant, always=always, office=office)
    db.session.commit()
    cats = {c.code: c for c in services.categories(tenant)}
    return {"tenant": tenant, "client": client, "contract": contract, "cats": cats, "office": office}


@pytest.fixture
def raise_request(world):
    """Raise a request of alpha's first client in a category (by code), as its client user; mail sent."""

    def raise_(alpha, code, subject="机房巡检"):
        req = services.create_request(
            alpha["tenant"],
            world.clients("alpha")[0].id,
            {"category_id": alpha["cats"][code].id, "subject": subject},
            world.person("alpha", "client_user"),
        )
        db.session.commit()
        return req

    return raise_


def service_credit(contract, *, amount="300.00", start=date(2026, 11, 1), end=date(2026, 12, 1), **changes):
    """A service credit of the contract's first line (§8.2), as the nightly job proposes one, added to the session:
    for tests about what follows a credit (disputes, the API, isolation) rather than how it is computed."""
    from decimal import Decimal

    from saas.credits.models import ServiceCredit

    fee = contract.lines[0].monthly_fee * contract.lines[0].quantity
    credit = ServiceCredit(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        contract_line_id=contract.lines[0].id,
        period_index=0,
        period_start=start,
        period_end=end,
        clause="8.2",
        rule="whole_fee",
        line_fee=fee,
        breaches=1,
        requests=1,
        breached_requests=1,
        basis=fee,
        rate=contract.penalty_rate,
        amount=Decimal(amount),
        currency=contract.currency,
        **({"evidence": []} | changes),
    )
    db.session.add(credit)
    db.session.flush()
    return credit
