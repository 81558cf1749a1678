"""§5.1–§5.3 and Annex 2: the support team, its certificates, and who takes a new request."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select

from saas.core.errors import ServiceError
from saas.core.models import MailMessage
from saas.extensions import db
from saas.requests import services
from saas.requests.models import RequestEvent, ServiceRequest
from saas.team import services as team
from saas.team.models import TeamCertificate, TeamMember
from saas.team.tasks import warn_expiring_certificates


@pytest.fixture
def setup(db, world, make_signed_contract, clock):
    """Alpha's two clients under contracts in force, the standard categories, and an empty team."""
    tenant = world.tenant("alpha")
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    contracts = [make_signed_contract(tenant, c, effective=date(2026, 11, 1)) for c in world.clients("alpha")]
    services.add_standard_categories(tenant)
    db.session.commit()
    return {"tenant": tenant, "contracts": contracts, "cats": {c.code: c for c in services.categories(tenant)}}


def add(setup, name, role="system_engineer", availability="available", user=None, active=True):
    return team.save_member(
        setup["tenant"],
        {
            "name": name,
            "team_role": role,
            "availability": availability,
            "user_id": user.id if user else None,
            "active": active,
        },
    )


def raise_request(setup, world, code="FAULT", client_index=0):
    client = world.clients("alpha")[client_index]
    req = services.create_request(
        setup["tenant"],
        client.id,
        {"category_id": setup["cats"][code].id, "subject": "数据库无法连接"},
        world.person("alpha", "vendor_engineer"),
        channel="phone",
    )
    db.session.commit()
    return req


def test_s5_1_rule_picks_the_least_loaded_available_member_of_the_role(setup, world, db):
    first, second = add(setup, "赵工"), add(setup, "钱工")
    add(setup, "孙工", role="dba")  # the wrong role, and idle
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    picks = [raise_request(setup, world).assignee_id for _ in range(4)]
    # Tied at first: the lower id; then whoever holds fewer open requests.
    assert picks == [first.id, second.id, first.id, second.id]
    assert team.open_load(setup["tenant"].id) == {first.id: 2, second.id: 2}


def test_s5_1_closed_requests_do_not_count_as_load(setup, world, db):
    first, second = add(setup, "赵工"), add(setup, "钱工")
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    done = raise_request(setup, world)
    assert done.assignee_id == first.id
    services.close_by_vendor(done, world.person("alpha", "vendor_admin"), "duplicate")
    db.session.commit()
    assert raise_request(setup, world).assignee_id == first.id  # first holds nothing open again
    assert second.id not in team.open_load(setup["tenant"].id)


def test_annex_2_named_contract_engineers_are_preferred_within_the_role(setup, world, db):
    first, second, named = add(setup, "赵工"), add(setup, "钱工"), add(setup, "李工")
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    team.set_contract_engineers(setup["contracts"][0], [named.id])
    db.session.commit()
    # The named engineer takes the contract's requests even when busier than the others.
    assert [raise_request(setup, world).assignee_id for _ in range(2)] == [named.id, named.id]
    # The other client's contract names nobody: the role's least loaded member.
    assert raise_request(setup, world, client_index=1).assignee_id == first.id
    assert raise_request(setup, world, client_index=1).assignee_id == second.id


def test_s5_1_away_busy_and_departed_members_are_skipped(setup, world, db):
    add(setup, "休假", availability="away")
    add(setup, "忙碌", availability="busy")
    add(setup, "离职", active=False)
    ready = add(setup, "在岗")
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    assert raise_request(setup, world).assignee_id == ready.id
    team.set_availability(ready, "away")
    db.session.commit()
    assert raise_request(setup, world).assignee_id is None  # nobody available: it waits for a person


def test_s5_1_without_a_rule_only_available_named_engineers_are_picked(setup, world, db):
    named, idle = add(setup, "李工", role="dba"), add(setup, "赵工")
    db.session.commit()
    assert raise_request(setup, world, code="GENERAL").assignee_id is None  # no rule, nobody named
    team.set_contract_engineers(setup["contracts"][0], [named.id])
    db.session.commit()
    assert raise_request(setup, world, code="GENERAL").assignee_id == named.id  # named, whatever the role
    team.set_availability(named, "away")
    db.session.commit()
    assert raise_request(setup, world, code="GENERAL").assignee_id is None
    assert team.open_load(setup["tenant"].id).get(idle.id) is None


def test_s5_1_auto_assignment_is_an_internal_assigned_event_on_the_timeline(setup, world, db):
    member = add(setup, "赵工")
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    req = raise_request(setup, world)
    events = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.id)
    ).all()
    assigned = [e for e in events if e.kind == "assigned"]
    assert len(assigned) == 1 and {e.kind for e in events} == {"assigned", "created"}
    assert assigned[0].internal and assigned[0].actor_id is None and assigned[0].body == "赵工"
    assert assigned[0].data == {"member_id": member.id, "rule": "role"}
    assert all(e.kind != "assigned" for e in services.timeline(req, include_internal=False))


def test_s5_1_load_is_counted_in_one_query(setup, world, db, app):
    members = [add(setup, f"工程师{i}") for i in range(6)]
    team.save_rule(setup["tenant"], {"category_id": setup["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    req = raise_request(setup, world)  # taken by members[0]
    db.session.refresh(req)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert team.choose_assignee(req)[0].id == members[1].id  # members[0] holds one open request
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sum("GROUP BY" in s for s in statements) == 1
    assert len(statements) <= 4, statements  # named engineers, rule, candidates, load: not one per member


def test_s5_1_linked_account_must_be_the_tenants_own_staff_once(setup, world, db):
    tenant = setup["tenant"]
    with pytest.raises(ServiceError):
        add(setup, "外人", user=world.person("beta", "vendor_engineer"))  # another vendor's engineer
    with pytest.raises(ServiceError):
        add(setup, "客户", user=world.person("alpha", "client_admin"))  # a client's person
    add(setup, "自己人", user=world.person("alpha", "vendor_engineer"))
    db.session.commit()
    with pytest.raises(ServiceError):
        add(setup, "重复", user=world.person("alpha", "vendor_engineer"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(TeamMember.id)).where(TeamMember.tenant_id == tenant.id)) == 1


def test_s5_2_certificate_expiry_warned_once_per_threshold_as_the_clock_moves(setup, world, db, clock):
    engineer = world.person("alpha", "vendor_engineer")
    member = add(setup, "赵工", user=engineer)
    cert = team.add_certificate(
        member, {"name": "Oracle OCP", "issuer": "Oracle", "number": "OCP-1", "expires_on": date(2026, 12, 31)}
    )
    team.add_certificate(member, {"name": "RHCE", "expires_on": None})  # never expires: never warned
    db.session.commit()

    def mails():
        return db.session.scalars(
            select(MailMessage).where(MailMessage.dedupe_key.startswith("team-certificate:")).order_by(MailMessage.id)
        ).all()

    clock.set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # 31 days before, in Shanghai
    assert warn_expiring_certificates() == 0 and mails() == []
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 30 days before
    assert warn_expiring_certificates() == 2
    sent = mails()
    assert sorted(m.to for m in sent) == ["vendor_admin@alpha.example.com", "vendor_engineer@alpha.example.com"]
    assert all("Oracle OCP" in m.subject and "2026-12-31" in m.body_text and "§5.2" in m.body_text for m in sent)
    assert warn_expiring_certificates() == 0  # a re-run the same day
    clock.set(datetime(2026, 12, 15, 1, 0, tzinfo=UTC))
    assert warn_expiring_certificates() == 0  # still the same threshold
    clock.set(datetime(2026, 12, 31, 1, 0, tzinfo=UTC))  # the day it expires
    assert warn_expiring_certificates() == 2
    assert warn_expiring_certificates() == 0
    clock.set(datetime(2027, 1, 10, 1, 0, tzinfo=UTC))
    assert warn_expiring_certificates() == 0
    assert [m.dedupe_key.split(":")[3] for m in mails()] == ["30d", "30d", "expired", "expired"]
    assert all(m.tenant_id == setup["tenant"].id for m in mails())
    assert team.expiring_certificates(setup["tenant"]) == [cert]


def test_s5_2_found_already_expired_warns_only_of_the_expiry(setup, world, db, clock):
    member = add(setup, "赵工")
    team.add_certificate(member, {"name": "CCNP", "expires_on": date(2026, 11, 20)})
    db.session.commit()
    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    assert warn_expiring_certificates() == 1  # only the vendor admin: the member has no account
    keys = db.session.scalars(select(MailMessage.dedupe_key)).all()
    assert [k.split(":")[3] for k in keys] == ["expired"]


def test_s5_2_dashboard_card_counts_expiring_certificates_for_admins(setup, world, db, client, clock):
    member = add(setup, "赵工")
    team.add_certificate(member, {"name": "OCP", "expires_on": date(2026, 11, 20)})
    team.add_certificate(member, {"name": "RHCE", "expires_on": date(2028, 1, 1)})
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get("/t/alpha/").get_data(as_text=True)
    assert "Certificates expiring within 30 days" in page
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert "Certificates expiring within 30 days" not in client.get("/t/alpha/").get_data(as_text=True)


def test_s5_2_admin_adds_a_member_with_a_certificate(setup, world, db, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    engineer = world.person("alpha", "vendor_engineer")
    response = client.post_form(
        "/t/alpha/team/new",
        {
            "name": "周工",
            "team_role": "dba",
            "skills": "Oracle RAC",
            "phone": "13800000000",
            "availability": "available",
            "user_id": engineer.id,
            "active": "y",
        },
    )
    assert response.status_code == 302
    member = db.session.scalar(select(TeamMember).where(TeamMember.name == "周工"))
    assert member.user_id == engineer.id and member.team_role == "dba"
    response = client.post_form(
        f"/t/alpha/team/{member.id}/certificates",
        {
            "name": "Oracle OCP",
            "issuer": "Oracle",
            "number": "OCP-9",
            "issued_on": "2024-01-01",
            "expires_on": "2026-12-01",
        },
    )
    assert response.status_code == 302
    page = client.get("/t/alpha/team/").get_data(as_text=True)
    assert "周工" in page and "Oracle OCP" in page and "badge-expiring" in page  # within 30 days: highlighted
    assert client.get(f"/t/alpha/team/{member.id}").status_code == 200
    # A certificate cannot expire before it was issued: a form error, nothing saved.
    response = client.post_form(
        f"/t/alpha/team/{member.id}/certificates",
        {"name": "CCNP", "issued_on": "2025-01-01", "expires_on": "2024-01-01"},
    )
    assert response.status_code == 422 and "cannot expire before" in response.get_data(as_text=True)
    cert = db.session.scalar(select(TeamCertificate).where(TeamCertificate.member_id == member.id))
    response = client.post_form(f"/t/alpha/team/{member.id}/certificates/{cert.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(TeamCertificate.id))) == 0


def test_s5_3_availability_changes_by_htmx(setup, world, db, client):
    engineer = world.person("alpha", "vendor_engineer")
    mine, other = add(setup, "我", user=engineer), add(setup, "别人")
    db.session.commit()
    client.sign_in(engineer.email)
    response = client.post_form(
        f"/t/alpha/team/{mine.id}/availability", {"availability": "away"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and f'id="member-{mine.id}"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TeamMember, mine.id).availability == "away"  # one's own: allowed
    assert client.post_form(f"/t/alpha/team/{other.id}/availability", {"availability": "away"}).status_code == 403


def test_s5_1_engineer_cannot_edit_and_clients_cannot_see(setup, world, db, client):
    member = add(setup, "赵工")
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/team/").status_code == 200
    assert client.get(f"/t/alpha/team/{member.id}").status_code == 200  # may look
    assert client.get("/t/alpha/team/new").status_code == 403
    assert client.post_form(f"/t/alpha/team/{member.id}", {"name": "改名", "team_role": "dba"}).status_code == 403
    assert client.post_form(f"/t/alpha/team/{member.id}/certificates", {"name": "X"}).status_code == 403
    assert (
        client.post_form(
            "/t/alpha/team/rules", {"category_id": setup["cats"]["FAULT"].id, "team_role": "dba"}
        ).status_code
        == 403
    )
    contract_url = f"/t/alpha/team/contracts/{setup['contracts'][0].id}"
    assert client.get(contract_url).status_code == 200
    assert client.post_form(contract_url, {"member_ids": member.id}).status_code == 403
    for role in ("client_admin", "client_user", "third_party"):
        client.sign_in(world.person("alpha", role).email)
        assert client.get("/t/alpha/team/").status_code in (403, 404), role
        assert client.get(f"/t/alpha/team/{member.id}").status_code in (403, 404), role
    db.session.expire_all()
    assert db.session.get(TeamMember, member.id).name == "赵工"


def test_s5_1_another_tenants_user_is_refused_with_a_form_error(setup, world, db, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    outsider = world.person("beta", "vendor_engineer")
    response = client.post_form(
        "/t/alpha/team/new",
        {"name": "外人", "team_role": "dba", "availability": "available", "user_id": outsider.id, "active": "y"},
    )
    assert response.status_code == 422
    assert "Link one of your own staff, or nobody." in response.get_data(as_text=True)
    assert "beta.example.com" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TeamMember.id))) == 0


def test_s5_1_screens_rules_and_contract_engineers(setup, world, db, client):
    member = add(setup, "赵工")
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    fault = setup["cats"]["FAULT"]
    assert (
        client.post_form("/t/alpha/team/rules", {"category_id": fault.id, "team_role": "system_engineer"}).status_code
        == 302
    )
    page = client.get("/t/alpha/team/rules").get_data(as_text=True)
    assert "System engineer" in page and setup["contracts"][0].number in page
    contract = setup["contracts"][0]
    assert client.post_form(f"/t/alpha/team/contracts/{contract.id}", {"member_ids": member.id}).status_code == 302
    assert [m.id for m in team.contract_engineers(contract)] == [member.id]
    # Another tenant's member cannot be named.
    beta_member = team.save_member(world.tenant("beta"), {"name": "乙方", "team_role": "dba"})
    db.session.commit()
    response = client.post_form(f"/t/alpha/team/contracts/{contract.id}", {"member_ids": beta_member.id})
    assert response.status_code == 422
    assert [m.id for m in team.contract_engineers(contract)] == [member.id]
    rule = team.rules(setup["tenant"])[0]
    assert client.post_form(f"/t/alpha/team/rules/{rule.id}/delete").status_code == 302
    assert team.rules(setup["tenant"]) == []
    # No rule any more: the contract's named engineer, whatever the role.
    assert raise_request(setup, world).assignee_id == member.id
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1
