"""Requests on the contract's pages: the compliance view's counts (§4.1, §2.1.2, §8.1) and §10.4 at the end."""

import re
from datetime import UTC, date, datetime

import pytest

from saas.contracts import changes, signing
from saas.contracts.tasks import refresh_contract_statuses
from saas.requests import services, sla
from saas.requests.models import RequestStatus
from saas.team.models import TeamMember


@pytest.fixture
def alpha(db, world, make_signed_contract, clock):
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    tenant = world.tenant("alpha")
    contract = make_signed_contract(
        tenant, world.clients("alpha")[0], effective=date(2026, 11, 1), fault_response_hours=2
    )
    services.categories(tenant)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": {c.code: c for c in services.categories(tenant)}}


def raise_(alpha, world, code):
    return services.create_request(
        alpha["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": alpha["cats"][code].id, "subject": code},
        world.person("alpha", "client_user"),
    )


def obligation_rows(client, contract_id) -> dict[str, tuple[str, str, str]]:
    tab = client.get(
        f"/t/alpha/contracts/{contract_id}?tab=obligations", headers={"HX-Request": "true", "HX-Target": "contract-tab"}
    ).get_data(as_text=True)
    rows = re.findall(
        r'<tr><td class="nowrap">([^<]+)</td><td>([^<]+)</td><td>[^<]*</td><td class="num">([^<]+)'
        r'</td><td class="num">([^<]+)</td><td class="num">([^<]+)</td></tr>',
        tab,
    )
    return {f"{clause} {label}": (applied, met, breached) for clause, label, applied, met, breached in rows}


def test_hook_saas_contract_obligations_counts_requests_applied_met_breached(client, world, alpha, clock, db):
    """§2.2.2 faults: one answered in time, one late, one still running; §2.1.2 one visit on time."""
    engineer = world.person("alpha", "vendor_engineer")
    in_time, late, running = raise_(alpha, world, "FAULT"), raise_(alpha, world, "FAULT"), raise_(alpha, world, "FAULT")
    onsite = raise_(alpha, world, "ONSITE")
    clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    services.reply(in_time, engineer, "在查", by_client=False)
    services.reply(onsite, engineer, "明天上门", by_client=False)
    member = TeamMember(tenant_id=alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    services.record_visit(onsite, engineer, member, datetime(2026, 11, 2, 2, 50, tzinfo=UTC), None)
    clock.set(datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 2 h 30 after: `late` and `running` are overdue
    services.reply(late, engineer, "抱歉来晚了", by_client=False)
    db.session.commit()
    sla.sweep()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    rows = obligation_rows(client, alpha["contract"].id)
    assert rows["§2.2.2 Fault response"] == ("3", "1", "2")
    assert rows["§2.1.2 On-site arrival"] == ("1", "1", "0")
    assert rows["§4.1 Service response"] == ("1", "1", "0")  # the on-site request's own response
    assert rows["§2.3.2 Consulting response"] == ("0", "0", "0")
    assert rows["§4.3, §8.1.3 Resolution within the category's target"] == ("4", "0", "0")
    assert running.response_breached


def terminate(contract, world, last_day):
    change = changes.propose_termination(contract, last_day, "双方协商一致", world.person("alpha", "vendor_admin"))
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = signing.documents_for(contract, change.subject)[0]
        changes.sign_change(change, party, world.person("alpha", role), document.id, document.sha256)


def test_hook_saas_contract_sections_s10_4_open_requests_listed_to_close_or_hand_over(
    client, world, alpha, clock, db, make_signed_contract
):
    """After termination the ended agreement's open requests are listed; one is handed over, one closed."""
    first, second = raise_(alpha, world, "GENERAL"), raise_(alpha, world, "FAULT")
    done = raise_(alpha, world, "CONSULT")
    services.change_status(done, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    services.change_status(done, RequestStatus.CLOSED, world.person("alpha", "client_user"), by_client=True)
    terminate(alpha["contract"], world, date(2026, 11, 30))
    successor = make_signed_contract(
        alpha["tenant"], world.clients("alpha")[0], effective=date(2026, 12, 1), title="续签协议"
    )
    db.session.commit()
    contract_id = alpha["contract"].id
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert "ended-open-requests" not in client.get(f"/t/alpha/contracts/{contract_id}").get_data(as_text=True)
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    refresh_contract_statuses()
    page = client.get(f"/t/alpha/contracts/{contract_id}").get_data(as_text=True)
    section = page[page.index('data-testid="ended-open-requests"') :]
    assert first.reference in section and second.reference in section and done.reference not in section
    assert f"Hand over to {successor.number}" in section
    client.post_form(f"/t/alpha/requests/{first.id}/handover", {"contract_id": successor.id})
    client.post_form(f"/t/alpha/requests/{second.id}/close", {"reason": "The agreement has ended (§10.4)."})
    db.session.expire_all()
    assert first.contract_id == successor.id and first.is_open
    assert second.status == RequestStatus.CLOSED
    assert "ended-open-requests" not in client.get(f"/t/alpha/contracts/{contract_id}").get_data(as_text=True)
    kinds = [e.kind for e in services.timeline(first, include_internal=True)]
    assert kinds[-1] == "handed_over"
    # the client sees the list too, without the buttons
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    other = raise_(alpha, world, "GENERAL")  # under the successor now in force
    assert other.contract_id == successor.id


def test_s10_4_hand_over_only_to_an_agreement_in_force_of_the_same_client(
    client, world, alpha, db, make_signed_contract
):
    req = raise_(alpha, world, "GENERAL")
    db.session.commit()
    other_client = make_signed_contract(alpha["tenant"], world.clients("alpha")[1], effective=date(2026, 11, 1))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(f"/t/alpha/requests/{req.id}/handover", {"contract_id": other_client.id})
    db.session.expire_all()
    assert req.contract_id == alpha["contract"].id
    beta_contract = make_signed_contract(world.tenant("beta"), world.clients("beta")[0], effective=date(2026, 11, 1))
    assert (
        client.post_form(f"/t/alpha/requests/{req.id}/handover", {"contract_id": beta_contract.id}).status_code == 404
    )


def test_s2_1_2_a_visit_to_a_request_with_no_arrival_deadline_meets_no_arrival_obligation(world, alpha, clock, db):
    engineer = world.person("alpha", "vendor_engineer")
    consult = raise_(alpha, world, "CONSULT")  # a consultation has no on-site arrival deadline
    onsite = raise_(alpha, world, "ONSITE")
    member = TeamMember(tenant_id=alpha["tenant"].id, name="李工", team_role="system_engineer")
    db.session.add(member)
    clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    services.record_visit(consult, engineer, member, datetime(2026, 11, 2, 2, 50, tzinfo=UTC), None)
    services.record_visit(onsite, engineer, member, datetime(2026, 11, 2, 2, 55, tzinfo=UTC), None)
    db.session.commit()
    # one arrival deadline, met; the consultation's visit counts for nothing
    assert services.measure_obligations(alpha["contract"])["onsite_arrival"] == {"applied": 1, "met": 1, "breached": 0}
