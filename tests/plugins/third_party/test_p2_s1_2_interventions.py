"""Part 2 §1.2: a third party's intervention in the agreement is recorded by either party, naming a subcontractor of
the vendor or an outside third party; both parties see it on the agreement; no one else does."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.third_party.liability_models import Intervention, InterventionStep
from saas.extensions import db
from tests.plugins.third_party.liability_flow import HX, approve, contract_url, intervention_data, never_proposed


@pytest.fixture(autouse=True)
def _approved(tp, world):
    """Only a subcontractor the client approved for the agreement may be named in it (Part 2 §4.1)."""
    approve(tp, world)


def test_p2_s1_2_the_vendor_records_an_intervention_and_the_client_admin_sees_it(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    response = client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    assert response.status_code == 302, response.get_data(as_text=True)
    row = db.session.scalar(select(Intervention))
    assert (row.recorded_by_party, row.subcontractor_id, row.status) == ("B", tp["sub"].id, "open")
    assert row.effect_cost_amount == Decimal("350.00") and row.client_id == tp["contract"].client_id
    assert [s.kind for s in row.steps] == ["recorded"]
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"/t/alpha/portal/contracts/{tp['contract'].id}").get_data(as_text=True)
    assert 'data-testid="tp-intervention"' in page and tp["sub"].legal_name in page
    detail = client.get(response.location)
    assert detail.status_code == 200 and "Storage redundancy degraded" in detail.get_data(as_text=True)


def test_p2_s1_2_the_client_admin_records_one_about_an_outside_third_party(tp, world, client):
    client.sign_in(world.person("alpha", "client_admin").email)
    data = intervention_data(tp, subcontractor_id="0", third_party_name="国家电网 State Grid", cause="policy")
    assert client.post_form(f"{contract_url(tp)}/interventions/new", data).status_code == 302
    row = db.session.scalar(select(Intervention))
    assert (row.recorded_by_party, row.subcontractor_id, row.party_name) == ("A", None, "国家电网 State Grid")
    # the vendor sees it on the agreement too
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert "国家电网 State Grid" in client.get(f"/t/alpha/contracts/{tp['contract'].id}").get_data(as_text=True)


def test_p2_s1_2_no_third_party_named_or_a_day_to_come_is_refused_and_nothing_written(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"{contract_url(tp)}/interventions/new"
    for data, message in (
        (intervention_data(tp, subcontractor_id="0"), "Name the third party"),
        (intervention_data(tp, occurred_on="2026-11-03"), "Give the day it happened: today or earlier."),
        (intervention_data(tp, occurred_on="31/02/2026"), "date"),
    ):
        response = client.post_form(url, data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Intervention.id))) == 0
    assert db.session.scalar(select(func.count(InterventionStep.id))) == 0


def test_p2_s1_2_another_client_and_a_client_user_are_kept_out(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    row = db.session.scalar(select(Intervention))
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(f"/t/alpha/p/third_party/interventions/{row.id}").status_code == 404
    assert client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp)).status_code == 404
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.get(f"/t/alpha/p/third_party/interventions/{row.id}").status_code == 403
    assert db.session.scalar(select(func.count(Intervention.id))) == 1


def test_p2_s1_2_the_intervention_page_works_as_a_fragment(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"{contract_url(tp)}/interventions/new", intervention_data(tp))
    row = db.session.scalar(select(Intervention))
    response = client.get(f"/t/alpha/p/third_party/interventions/{row.id}", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'data-testid="intervention-facts"' in body
    new = client.get(f"{contract_url(tp)}/interventions/new", headers=HX).get_data(as_text=True)
    assert "<html" not in new and 'data-testid="intervention-form"' in new


def test_p2_s1_2_only_a_subcontractor_that_works_or_worked_on_the_agreement_is_named(tp, world, client):
    from plugins.third_party import interventions, services
    from plugins.third_party.models import Proposal

    stranger = never_proposed(tp)
    data = intervention_data(tp, occurred_on=date(2026, 11, 1), effect_cost_amount=Decimal("350.00"))
    try:
        interventions.record(tp["contract"], "B", tp["admin"], {**data, "subcontractor_id": stranger.id})
    except interventions.FieldError as exc:
        assert exc.field == "subcontractor_id"
        assert str(exc) == "Choose a subcontractor that works or worked on this agreement."
    else:
        raise AssertionError("an intervention named a subcontractor that never worked on the agreement")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Intervention.id))) == 0
    # one whose approval the vendor withdrew since worked on it: it may still be named
    services.withdraw(db.session.scalar(select(Proposal)), tp["admin"])
    db.session.commit()
    row = interventions.record(tp["contract"], "B", tp["admin"], {**data, "subcontractor_id": tp["sub"].id})
    assert row.subcontractor_id == tp["sub"].id
    db.session.commit()
    for role in ("vendor_admin", "client_admin"):  # the client never learns of the vendor's other subcontractors
        client.sign_in(world.person("alpha", role).email)
        form = client.get(f"{contract_url(tp)}/interventions/new").get_data(as_text=True)
        assert tp["sub"].legal_name in form and stranger.legal_name not in form, role
        client.post_form("/logout")
