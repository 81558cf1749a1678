"""Part 2 §8.2, isolation by construction: every route of the product, asked by the second subcontractor's person
with the ids of the first subcontractor's work (its request, file, agreement, breach, person, qualification,
proposal, intervention, claim and its file, dispute, transfer), answers 403 or 404 and shows none of it; the
plugin's pages without an id show none of it either; and nothing of the first's changes. Every route of the plugin
is tried: a new one whose ids have no row here fails the test."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from plugins.third_party import deadlines, interventions, liability, services, transfers
from plugins.third_party import work as tp_work
from plugins.third_party.liability_models import ThirdPartyClaimFile
from plugins.third_party.models import Assignment, Breach, Member, Proposal
from saas.core.clock import local_today
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestEvent
from tests.plugins.third_party.conftest import raise_in
from tests.plugins.third_party.liability_flow import bill_november, pay

MARKER = "Marker-first-company-secret"


def _liability_rows(work, clock):
    """The first subcontractor's qualification, intervention, claim with its file, dispute and transfer."""
    contract, admin, sub = work["contract"], work["admin"], work["subs"][0]
    invoice = bill_november(work, clock)
    pay(work, str(invoice.total), invoice=invoice)
    today = local_today(work["tenant"])
    qualification = services.add_qualification(
        sub, {"name": MARKER, "number": "Q-1", "issuer": "CQC", "expires_on": today + timedelta(days=300)}, admin
    )
    intervention = interventions.record(
        contract,
        "B",
        admin,
        {
            "subcontractor_id": sub.id,
            "occurred_on": today - timedelta(days=3),
            "description": MARKER,
            "cause": "service_quality",
            "effect_time": MARKER,
            "effect_cost": MARKER,
            "effect_cost_amount": Decimal("100.00"),
            "effect_service": MARKER,
        },
    )
    claim = liability.submit(
        contract,
        "B",
        admin,
        {
            "subcontractor_id": sub.id,
            "kind": "penalty",
            "direct_amount": Decimal("100.00"),
            "direct_description": MARKER,
            "indirect_amount": None,
            "intervention_id": intervention.id,
        },
        [("direct", "claim.txt", "text/plain", MARKER.encode())],
    )
    dispute = deadlines.open_about(
        contract,
        "B",
        admin,
        {
            "subcontractor_id": str(sub.id),
            "third_party_name": "",
            "intervention_id": intervention.id,
            "arose_on": "",
            "summary": MARKER,
        },
    )
    onsite = next(s for s in sub.services if s.code == "ONSITE")
    transfer = transfers.create_transfer(
        contract, sub, {"service_ids": [onsite.id], "category_ids": [], "starts_on": today}, admin
    )
    db.session.flush()
    claim_file = db.session.scalar(select(ThirdPartyClaimFile).where(ThirdPartyClaimFile.claim_id == claim.id))
    proposal = db.session.scalar(select(Proposal).where(Proposal.subcontractor_id == sub.id))
    return {
        "qualification_id": qualification.id,
        "tp_proposal_id": proposal.id,
        "tp_intervention_id": intervention.id,
        "tp_claim_id": claim.id,
        "tp_claim_file_id": claim_file.id,
        "tp_dispute_id": dispute.id,
        "tp_transfer_id": transfer.id,
    }


def test_p2_s8_no_route_shows_one_subcontractors_work_to_another(app, work, world, client, clock):
    more = _liability_rows(work, clock)
    req = raise_in(work, world, subject=MARKER)
    tp_work.assign(req, work["subs"][0], work["admin"])
    event = requests.reply(req, work["admin"], f"{MARKER} note", by_client=False, internal=True)
    file = requests.attach(req, event, "secret.log", "text/plain", MARKER.encode(), False)
    breach = tp_work.record_breach(
        work["subs"][0],
        req,
        "below_standard",
        MARKER,
        req.received_at.date(),
        [("e.txt", "text/plain", b"x")],
        work["admin"],
    )
    db.session.commit()
    member = db.session.scalar(select(Member).where(Member.email == work["person"].email))
    ids = {
        "tenant": "alpha",
        "request_id": req.id,
        "attachment_id": file.id,
        "event_id": event.id,
        "subcontractor_id": work["subs"][0].id,
        "tp_agreement_id": work["agreements"][0].id,
        "tp_breach_id": breach.id,
        "tp_breach_file_id": tp_work.breach_files(breach)[0].id,
        "tp_member_id": member.id,
        "contract_id": work["contract"].id,
        **more,
    }
    before = (
        db.session.scalar(select(func.count(RequestEvent.id))),
        db.session.scalar(select(func.count(Assignment.id))),
        db.session.scalar(select(func.count(Breach.id))),
    )
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client.sign_in(work["person_2"].email)
        checked, tried = 0, set()
        for rule in app.url_map.iter_rules():
            if rule.arguments == {"tenant"} and rule.endpoint.startswith("plugin_third_party."):
                # a page of the plugin without an id: the second company's own at most, none of the first's work
                url = rule.build({"tenant": "alpha"}, append_unknown=False)[1]
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = client.open(url, method=method)
                    assert response.status_code < 500, f"{method} {url} answered {response.status_code}"
                    assert MARKER not in response.get_data(as_text=True), f"{method} {url} shows the first's work"
                tried.add(rule.endpoint)
                continue
            if "tenant" not in rule.arguments or not set(rule.arguments) & (set(ids) - {"tenant"}):
                continue
            if not set(rule.arguments) <= set(ids):
                continue
            url = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
                assert MARKER not in response.get_data(as_text=True), f"{method} {url} shows the first's work"
                checked += 1
            tried.add(rule.endpoint)
        assert checked > 60
        untried = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("plugin_third_party.")}
        assert untried - tried == set(), "routes of the plugin whose ids have no row here"
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    after = (
        db.session.scalar(select(func.count(RequestEvent.id))),
        db.session.scalar(select(func.count(Assignment.id))),
        db.session.scalar(select(func.count(Breach.id))),
    )
    assert after == before
