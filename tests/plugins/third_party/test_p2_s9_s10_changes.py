"""Part 2 §9 and §10: a change of the agreement may be raised because of a third party, with the reason recorded
(§9.1); a subcontractor that still fails after such a change has its breach marked as failing after it (§9.3); and
the agreement may be ended because of a third party through the ordinary termination agreement (§10)."""

from datetime import date

from sqlalchemy import func, select

from plugins.third_party import work as tp_work
from plugins.third_party.liability import claimable_subcontractors
from plugins.third_party.models import Breach, ChangeLink
from saas.contracts import changes, signing
from saas.contracts.models import TERM_FIELDS
from saas.extensions import db
from tests.plugins.third_party.conftest import BASE, raise_in


def sign(change, contract, world):
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(contract, change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)


def amendment(contract):
    terms = {name: getattr(contract, name) for name in TERM_FIELDS}
    terms["onsite_arrival_hours"] = 12
    lines = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": ln.monthly_fee,
        }
        for ln in contract.lines
    ]
    return changes.propose_amendment(contract, terms, lines, date(2026, 12, 1), "驻场到达时限收紧")


def tie(client, work, change, reason="分包商驻场人员不足 too few on-site staff"):
    return client.post_form(
        f"{BASE}/contracts/{work['contract'].id}/changes/tie",
        {"change_id": str(change.id), "subcontractor_id": str(work["subs"][0].id), "reason": reason},
    )


def late_breach(work, world, clock, subject):
    """A request given to the first subcontractor and left unanswered past its 2 hours: its breach."""
    req = raise_in(work, world, subject=subject)
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()
    clock.advance(hours=3)
    tp_work.sweep_tenant(work["tenant"].id)
    return db.session.scalar(select(Breach).where(Breach.request_id == req.id))


def test_p2_s9_1_an_amendment_raised_because_of_a_third_party_keeps_the_reason(work, world, client):
    contract, sub = work["contract"], work["subs"][0]
    change = amendment(contract)
    db.session.commit()
    client.sign_in(work["admin"].email)
    assert tie(client, work, change, reason="").status_code == 302  # refused: say why
    assert db.session.scalar(select(func.count(ChangeLink.id))) == 0
    assert tie(client, work, change).status_code == 302
    link = db.session.scalar(select(ChangeLink))
    assert (link.clause, link.subcontractor_id, link.change_id) == ("9.1", sub.id, change.id)
    assert "too few on-site staff" in link.reason
    page = client.get(f"/t/alpha/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="tp-change-row"' in page and change.number in page
    assert tie(client, work, change).status_code == 302  # a second time: refused, still one
    assert db.session.scalar(select(func.count(ChangeLink.id))) == 1


def test_p2_s9_2_the_change_counts_only_once_both_parties_signed_it(work, world, client, clock):
    contract = work["contract"]
    change = amendment(contract)
    db.session.commit()
    client.sign_in(work["admin"].email)
    tie(client, work, change)
    document = signing.documents_for(contract, change.subject)[0]
    changes.sign_change(change, "B", work["admin"], document.id, document.sha256)  # the vendor alone
    db.session.commit()
    clock.advance(days=1)
    assert "after_change" not in late_breach(work, world, clock, "vendor signed only").evidence


def test_p2_s9_3_the_third_party_failing_after_the_change_is_marked_so(work, world, client, clock):
    contract = work["contract"]
    change = amendment(contract)
    db.session.commit()
    client.sign_in(work["admin"].email)
    tie(client, work, change)
    assert "after_change" not in late_breach(work, world, clock, "before the change").evidence
    sign(change, contract, world)
    db.session.commit()
    clock.advance(days=1)
    breach = late_breach(work, world, clock, "again after it")
    assert breach.evidence["after_change"] == change.number
    assert "Part 2 §9.3" in client.get(f"{BASE}/breaches/{breach.id}").get_data(as_text=True)


def test_p2_s10_the_agreement_ended_because_of_a_third_party_through_the_termination_agreement(work, world, client):
    contract, sub = work["contract"], work["subs"][0]
    client.sign_in(work["admin"].email)
    response = client.post_form(
        f"{BASE}/contracts/{contract.id}/changes/terminate",
        {"subcontractor_id": str(sub.id), "last_day": "2026-12-31", "reason": "分包商资质被吊销 licence revoked"},
    )
    assert response.status_code == 302 and "/changes/" in response.headers["Location"]
    (change,) = changes.list_changes(contract)
    assert change.kind == "termination" and "licence revoked" in change.reason and sub.legal_name in change.reason
    assert db.session.scalar(select(ChangeLink.clause)) == "10"
    sign(change, contract, world)
    db.session.commit()
    db.session.refresh(contract)
    assert contract.terminated_on == date(2026, 12, 31) or contract.status == "terminated"
    # a subcontractor never approved for the agreement is no reason: refused, nothing written
    from plugins.third_party import services
    from tests.plugins.third_party.conftest import sub_data

    stranger = services.save_subcontractor(work["tenant"], {**sub_data(8), "service_ids": []}, work["admin"])
    db.session.commit()
    assert stranger.id not in {s.id for s in claimable_subcontractors(contract)}
