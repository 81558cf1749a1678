"""Part 2 §2.2: after the written notice the parties negotiate; each entry is dated and kept in order, never changed."""

import pytest
from sqlalchemy import select

from plugins.third_party import interventions
from plugins.third_party.liability_models import Intervention, InterventionStep
from saas.core.models import AppendOnlyError
from saas.extensions import db
from tests.plugins.third_party.liability_flow import HX, approve, contract_url, intervention_data
from tests.plugins.third_party.test_p2_s2_1_intervention_notice import _notice


def _step(client, row, headers=None, **data):
    body = {"kind": "negotiation", "happened_on": "2026-11-02", "text": "双方电话会议 Call between the parties", **data}
    return client.post_form(f"/t/alpha/p/third_party/interventions/{row.id}/steps", body, headers=headers or {})


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s2_2_negotiation_follows_the_notice_and_is_dated(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    row = db.session.scalar(select(Intervention))
    early = _step(client, row, headers=HX)
    assert early.status_code == 422 and "Send the written notice first" in early.get_data(as_text=True)
    _notice(client, row)
    # The client's admin answers in the portal, as an HTMX fragment of the page.
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    response = _step(client, row, headers=HX, happened_on="2026-11-01", text="甲方同意延期 Party A accepts the delay")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="intervention-steps"' in body
    assert "Party A accepts the delay" in body
    db.session.expire_all()
    assert row.status == "negotiating"
    entry = row.steps[-1]
    assert (entry.kind, entry.party, entry.happened_on.isoformat()) == ("negotiation", "A", "2026-11-01")
    future = _step(client, row, headers=HX, happened_on="2026-11-09")
    assert future.status_code == 422 and "today or earlier" in future.get_data(as_text=True)
    assert len(db.session.scalars(select(InterventionStep).where(InterventionStep.kind == "negotiation")).all()) == 1


def test_p2_s2_2_the_history_is_append_only(tp, world, db):
    row = interventions.record(
        tp["contract"],
        "B",
        tp["admin"],
        {
            **intervention_data(tp),
            "subcontractor_id": tp["sub"].id,
            "occurred_on": tp["contract"].effective_date,
            "effect_cost_amount": None,
        },
    )
    db.session.commit()
    step = row.steps[0]
    step.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(InterventionStep, step.id))
        db.session.flush()
