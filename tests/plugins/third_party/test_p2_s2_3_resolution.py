"""Part 2 §2.3: the parties take measures and record their outcome; resolved, the record is closed."""

import pytest
from sqlalchemy import select

from plugins.third_party.liability_models import Intervention
from saas.extensions import db
from tests.plugins.third_party.liability_flow import approve, contract_url, intervention_data
from tests.plugins.third_party.test_p2_s2_1_intervention_notice import _notice
from tests.plugins.third_party.test_p2_s2_2_negotiation import _step


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s2_3_measures_then_the_outcome_close_the_intervention(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    row = db.session.scalar(select(Intervention))
    url = f"/t/alpha/p/third_party/interventions/{row.id}/resolve"
    _notice(client, row)
    early = client.post_form(url, {"outcome": "已修复 Fixed"})
    assert early.status_code == 422 and "Record the measures taken before resolving" in early.get_data(as_text=True)
    assert _step(client, row, kind="measure", text="改派本公司工程师 Our own engineer sent").status_code == 302
    assert client.post_form(url, {"outcome": ""}).status_code == 422
    assert client.post_form(url, {"outcome": "11月2日修复 Fixed on 2 November"}).status_code == 302
    db.session.expire_all()
    assert row.status == "resolved" and row.outcome == "11月2日修复 Fixed on 2 November"
    assert "Our own engineer sent" in row.measures
    assert [s.kind for s in row.steps] == ["recorded", "notified", "measure", "resolved"]
    closed = _step(client, row, text="late entry")
    assert closed.status_code == 422 and "This intervention is resolved" in closed.get_data(as_text=True)
    assert len(row.steps) == 4
