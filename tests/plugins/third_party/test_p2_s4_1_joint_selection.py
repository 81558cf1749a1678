"""Part 2 §4.1: a subcontractor is selected jointly: the vendor proposes an active one for a client's agreement, only
that client's admin approves or rejects it, and only an approved one may work on the agreement."""

import pytest
from sqlalchemy import func, select

from plugins.third_party import services
from plugins.third_party.models import Proposal
from saas.core.errors import ServiceError
from saas.core.models import MailMessage
from saas.extensions import db
from tests.plugins.third_party.conftest import BASE, sub_data

HX = {"HX-Request": "true"}


def propose(client, tp, contract=None, scope="驻场巡检 on-site inspections"):
    contract = contract or tp["contract"]
    return client.post_form(f"{BASE}/{tp['sub'].id}/propose", {"contract_id": str(contract.id), "scope": scope})


def test_p2_s4_1_proposal_mails_the_client_admins_and_approval_lets_it_work(tp, world, client):
    contract, sub = tp["contract"], tp["sub"]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert propose(client, tp).status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.status == "proposed" and proposal.client_id == contract.client_id
    assert not services.may_work_on(contract, sub)
    mails = db.session.scalars(
        select(MailMessage).where(MailMessage.dedupe_key.startswith("third-party-proposed"))
    ).all()
    assert [m.to for m in mails] == ["client_admin@alpha.example.com"]  # not client_admin_2: another client's
    assert contract.number in mails[0].subject and f"/portal/{proposal.id}" in mails[0].body_text
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    listing = client.get(f"{BASE}/portal").get_data(as_text=True)
    assert sub.legal_name in listing
    assert client.post_form(f"{BASE}/portal/{proposal.id}/approve", {"reason": ""}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "approved" and proposal.decided_by_id == world.person("alpha", "client_admin").id
    assert services.may_work_on(contract, sub)
    assert not services.may_work_on(tp["other_contract"], sub)  # approved for one agreement, not the client's other
    decided = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.startswith("third-party-decided")))
    assert [m.to for m in decided] == ["vendor_admin@alpha.example.com"]
    # the agreement's page shows it, to both parties
    portal_page = client.get(f"/t/alpha/portal/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="approved-subcontractor"' in portal_page and sub.legal_name in portal_page
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert sub.legal_name in client.get(f"/t/alpha/contracts/{contract.id}").get_data(as_text=True)


def test_p2_s4_1_only_that_clients_admin_decides(tp, world, client):
    proposal = services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    db.session.commit()
    for role in ("client_user", "vendor_admin"):
        client.sign_in(world.person("alpha", role).email)
        assert client.post_form(f"{BASE}/portal/{proposal.id}/approve").status_code == 403
        client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)  # admin of the other client
    assert client.get(f"{BASE}/portal/{proposal.id}").status_code == 404
    assert client.post_form(f"{BASE}/portal/{proposal.id}/approve").status_code == 404
    db.session.refresh(proposal)
    assert proposal.status == "proposed"
    # and the service says the same to any caller that skips the screens
    try:
        services.decide(proposal, True, "", world.person("alpha", "client_admin_2"))
    except ServiceError:
        pass
    else:
        raise AssertionError("another client's admin approved")
    assert not services.may_work_on(tp["contract"], tp["sub"])


def test_p2_s4_1_a_rejection_needs_a_reason_and_never_lets_it_work(tp, world, client):
    proposal = services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    db.session.commit()
    client.sign_in(world.person("alpha", "client_admin").email)
    response = client.post_form(f"{BASE}/portal/{proposal.id}/reject", {"reason": ""})
    assert response.status_code == 422 and "Say why you reject this subcontractor." in response.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status == "proposed"
    assert client.post_form(f"{BASE}/portal/{proposal.id}/reject", {"reason": "资质不足"}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "rejected" and proposal.decision_reason == "资质不足"
    assert client.post_form(f"{BASE}/portal/{proposal.id}/approve").status_code == 302  # decided already: no change
    db.session.refresh(proposal)
    assert proposal.status == "rejected" and not services.may_work_on(tp["contract"], tp["sub"])


def test_p2_s4_1_a_suspended_subcontractor_cannot_be_proposed_nor_work(tp, world, client):
    sub, admin = tp["sub"], tp["admin"]
    approved = services.propose(sub, tp["contract"], "x", admin)
    services.decide(approved, True, "", world.person("alpha", "client_admin"))
    services.suspend(sub, "合同纠纷", admin)
    db.session.commit()
    assert not services.may_work_on(tp["contract"], sub)  # suspended: approval stands, work does not
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = propose(client, tp, contract=tp["other_contract"])
    assert response.status_code == 422
    assert "A suspended subcontractor cannot be proposed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Proposal.id))) == 1
    services.reactivate(sub, admin)
    db.session.commit()
    assert services.may_work_on(tp["contract"], sub)


def test_p2_s4_1_a_duplicate_proposal_is_refused_with_a_message(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert propose(client, tp).status_code == 302
    again = propose(client, tp)
    assert again.status_code == 422
    assert "already proposed for, or approved on, this agreement" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Proposal.id))) == 1


def test_p2_s4_1_two_identical_submissions_at_once_make_one_proposal(tp, world, monkeypatch):
    """The second passes the look-up before the first is written: the open-proposal index stops it."""
    first = services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    db.session.commit()
    monkeypatch.setattr(services, "_open_proposal", lambda contract_id, subcontractor_id: None)
    try:
        services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    except ServiceError as exc:
        assert "already proposed" in str(exc)
    else:
        raise AssertionError("a second open proposal was made")
    db.session.commit()  # the nested transaction rolled back alone: the session is usable
    assert db.session.scalars(select(Proposal.id)).all() == [first.id]


def test_p2_s4_1_withdrawn_can_be_proposed_again_and_not_decided(tp, world, client):
    proposal = services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(f"{BASE}/proposals/{proposal.id}/withdraw").status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "withdrawn"
    assert propose(client, tp).status_code == 302  # no longer open: a new proposal is allowed
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    client.post_form(f"{BASE}/portal/{proposal.id}/approve")
    db.session.refresh(proposal)
    assert proposal.status == "withdrawn"


def test_p2_s4_1_only_agreements_in_force_and_bad_ids_are_form_errors(tp, world, client, make_contract):
    draft = make_contract(tp["tenant"], world.clients("alpha")[0])
    client.sign_in(world.person("alpha", "vendor_admin").email)
    for contract_id in (str(draft.id), "abc", "99999999999999999999", "0"):
        response = client.post_form(f"{BASE}/{tp['sub'].id}/propose", {"contract_id": contract_id, "scope": "x"})
        assert response.status_code == 422, contract_id
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_p2_s4_1_portal_list_pages_and_navigation(tp, world, client):
    services.propose(tp["sub"], tp["contract"], "x", tp["admin"])
    db.session.commit()
    client.sign_in(world.person("alpha", "client_admin").email)
    page = client.get(f"{BASE}/portal?status=proposed").get_data(as_text=True)
    assert page.count('data-testid="proposal-row"') == 1
    assert f'href="{BASE}/portal"' in page  # "Subcontractors proposed" in the client admin's navigation
    assert client.get(f"{BASE}/portal?status=approved").get_data(as_text=True).count('data-testid="proposal-row"') == 0
    fragment = client.get(f"{BASE}/portal?after=999999", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    assert client.get(f"{BASE}/portal").status_code == 403


def test_p2_s4_1_no_assignment_once_the_approval_is_withdrawn_or_the_subcontractor_suspended(work, world, client):
    from plugins.third_party import work as tp_work
    from plugins.third_party.models import Assignment
    from plugins.third_party.services import FieldError
    from tests.plugins.third_party.conftest import raise_in

    first, second = work["subs"]
    approval = db.session.scalar(
        select(Proposal).where(Proposal.subcontractor_id == first.id, Proposal.status == "approved")
    )
    assert services.withdraw(approval, work["admin"])
    services.suspend(second, "资质复审 qualification under review", work["admin"])
    db.session.commit()
    req = raise_in(work, world)
    refusals = {
        first: f"{first.legal_name} is not approved by the client for this agreement (Part 2 §4.1).",
        second: f"{second.legal_name} is suspended: it takes no work until it is reinstated.",
    }
    for sub, refusal in refusals.items():  # both still have an annex 6 agreement in force that covers the request
        try:
            tp_work.assign(req, sub, work["admin"])
        except FieldError as exc:
            assert exc.field == "subcontractor_id"
            assert str(exc) == refusal
        else:
            raise AssertionError(f"{sub.legal_name} took the request")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.request_id == req.id)) == 0
    # the vendor's screen refuses it too, and offers neither
    client.sign_in(work["admin"].email)
    response = client.post_form(f"{BASE}/requests/{req.id}/assign", {"subcontractor_id": str(first.id)}, headers=HX)
    assert response.status_code == 422
    assert "No subcontractor is approved for this agreement." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.request_id == req.id)) == 0
    services.reactivate(second, work["admin"])  # the client's approval stands: it may work again
    db.session.commit()
    assert tp_work.assign(req, second, work["admin"]).subcontractor_id == second.id


def test_p2_s4_1_a_subcontractor_that_can_take_none_of_the_agreements_services_is_not_proposed(tp, world, client):
    """Proposed for an agreement whose fee schedule has none of its services, no annex 6 agreement could follow: the
    proposal is refused, naming it, and nothing is written (mails neither)."""
    from saas.contracts.services import list_services

    catalogue = {s.code: s.id for s in list_services(tp["tenant"])}
    on_contract = {line.service_id for line in tp["contract"].lines}
    elsewhere = [i for i in catalogue.values() if i not in on_contract]
    assert elsewhere  # a service of the catalogue that the agreement does not buy
    sub = services.save_subcontractor(tp["tenant"], {**sub_data(4), "service_ids": elsewhere}, tp["admin"])
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    proposals = db.session.scalar(select(func.count(Proposal.id)))
    mails = db.session.scalar(select(func.count(MailMessage.id)))
    response = propose(client, {**tp, "sub": sub})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot take any service of agreement" in page and tp["contract"].number in page
    assert db.session.scalar(select(func.count(Proposal.id))) == proposals
    assert db.session.scalar(select(func.count(MailMessage.id))) == mails
    assert sub.legal_name in page
    with pytest.raises(ServiceError, match="cannot take any service"):
        services.propose(sub, tp["contract"], "x", tp["admin"])
