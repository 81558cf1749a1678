"""§4.2 the SLA panel's own poll: every 30 seconds the request page asks for the panel alone (HTMX) and swaps it in,
so due times and time left stay current without a reload, for staff and in the portal alike."""

import re
from datetime import UTC, date, datetime

import pytest

from saas.requests import services

HTMX = {"HX-Request": "true"}


@pytest.fixture
def fault(db, world, make_signed_contract, clock):
    """A fault request of alpha's first client, raised on a Monday morning under a signed agreement."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    category = next(c for c in services.categories(tenant) if c.code == "FAULT")
    req = services.create_request(
        tenant,
        world.clients("alpha")[0].id,
        {"category_id": category.id, "subject": "ERP 无法登录"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def time_left(panel: str) -> str:
    found = re.search(r'<tr data-testid="sla-response">.*?<span class="clock[^"]*">([^<]+)</span>', panel, re.S)
    assert found, "the panel shows no time left for the response"
    return found.group(1)


@pytest.mark.parametrize(
    ("who", "base"), [("vendor_engineer", "/t/alpha/requests"), ("client_user", "/t/alpha/portal/requests")]
)
def test_s4_2_sla_panel_poll_answers_the_panel_and_keeps_it_current(client, world, fault, clock, who, base):
    client.sign_in(world.person("alpha", who).email)
    page = client.get(f"{base}/{fault.id}").get_data(as_text=True)
    poll = f"{base}/{fault.id}/clock"
    assert f'hx-get="{poll}"' in page

    first = client.get(poll, headers=HTMX)
    panel = first.get_data(as_text=True)
    assert first.status_code == 200
    assert panel.lstrip().startswith('<section class="card sla" id="sla"') and "<html" not in panel
    assert f'hx-get="{poll}"' in panel  # the swapped-in panel goes on polling
    clock.advance(minutes=45)
    later = client.get(poll, headers=HTMX).get_data(as_text=True)
    assert time_left(later) != time_left(panel)


@pytest.mark.parametrize(
    ("who", "base"), [("vendor_engineer", "/t/alpha/requests"), ("client_user", "/t/alpha/portal/requests")]
)
def test_s4_2_request_page_answers_htmx_with_its_content(client, world, fault, who, base):
    client.sign_in(world.person("alpha", who).email)
    response = client.get(f"{base}/{fault.id}", headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="sla-panel"' in body and 'data-testid="timeline"' in body and "<html" not in body
