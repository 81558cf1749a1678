"""Part 2 §5.1–§5.2: each intervention has its cause (technical, legal, policy, the third party's service quality)
and its effect on the agreement's time, cost (an exact amount) and service; bad input is told, in either language."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.third_party.liability_models import Cause, Intervention
from saas.extensions import db
from tests.plugins.third_party.liability_flow import approve, contract_url, intervention_data


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s5_every_cause_is_recorded_with_its_effects(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    for cause in Cause:
        data = intervention_data(tp, cause=cause.value, effect_cost_amount="0.10")
        assert client.post_form(f"{contract_url(tp)}/interventions/new", data).status_code == 302
    rows = db.session.scalars(select(Intervention).order_by(Intervention.id)).all()
    assert [r.cause for r in rows] == [c.value for c in Cause]
    assert all(r.effect_cost_amount == Decimal("0.10") and r.effect_time and r.effect_service for r in rows)
    page = client.get(f"/t/alpha/p/third_party/interventions/{rows[-1].id}").get_data(as_text=True)
    assert "The third party's service quality" in page and "Repair two days late" in page


def test_p2_s5_a_bad_cause_or_cost_is_refused_in_the_users_language(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"{contract_url(tp)}/interventions/new"
    for changes in ({"cause": "weather"}, {"effect_cost_amount": "12.345"}, {"effect_cost_amount": "-5"}):
        assert client.post_form(url, intervention_data(tp, **changes)).status_code == 422
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    response = client.post_form(url, intervention_data(tp, cause=""))
    assert response.status_code == 422 and "原因" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Intervention.id))) == 0
