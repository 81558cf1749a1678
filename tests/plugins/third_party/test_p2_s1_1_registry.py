"""Part 2 §1.1: the vendor's subcontractor registry: who manages it, the credit code check, suspension with a reason
(audited), the list's filters and keyset pages, and the qualifications on a subcontractor's page."""

from datetime import date

from sqlalchemy import func, select

from plugins.third_party import services
from plugins.third_party.models import Qualification, Subcontractor
from saas.contracts.services import list_services
from saas.core.models import AuditEvent
from saas.extensions import db
from tests.plugins.third_party.conftest import BASE, sub_data

HX = {"HX-Request": "true"}


def test_p2_s1_1_vendor_admin_adds_a_subcontractor_with_services_and_regions(tp, world, client):
    tenant = tp["tenant"]
    services_ = list_services(tenant)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = sub_data(2, regions="上海，江苏、浙江\n上海", service_ids=[str(services_[0].id), str(services_[1].id)])
    response = client.post_form(f"{BASE}/new", data)
    assert response.status_code == 302
    sub = db.session.scalar(select(Subcontractor).where(Subcontractor.uscc == data["uscc"]))
    assert sub.regions == ["上海", "江苏", "浙江"]  # split on either comma or 、, each once
    assert sorted(s.id for s in sub.services) == sorted([services_[0].id, services_[1].id])
    page = client.get(f"{BASE}/{sub.id}").get_data(as_text=True)
    assert sub.legal_name in page and "chen@shenlian.example.com" in page


def test_p2_s1_1_an_invalid_credit_code_is_a_clear_form_error(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    bad = sub_data(3, uscc=sub_data(3)["uscc"][:-1] + ("0" if sub_data(3)["uscc"][-1] != "0" else "1"))
    response = client.post_form(f"{BASE}/new", bad)
    assert response.status_code == 422
    assert "This is not a valid unified social credit code." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Subcontractor.id))) == 1  # only the fixture's


def test_p2_s1_1_the_same_company_twice_is_refused_beside_the_code(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{BASE}/new", sub_data(1, legal_name="Another name"))
    assert response.status_code == 422
    assert "is on file already" in response.get_data(as_text=True)


def test_p2_s1_1_a_service_of_another_vendor_is_refused(tp, world, client, make_contract):
    make_contract(world.tenant("beta"), world.clients("beta")[0])  # gives beta its catalogue
    theirs = list_services(world.tenant("beta"))[0]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{BASE}/new", sub_data(4, service_ids=[str(theirs.id)]))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Subcontractor.id))) == 1


def test_p2_s1_1_other_vendor_roles_read_only_clients_not_at_all(tp, world, client):
    sub = tp["sub"]
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get(f"{BASE}/").status_code == 200
    page = client.get(f"{BASE}/{sub.id}").get_data(as_text=True)
    assert sub.legal_name in page and 'data-testid="suspend-form"' not in page
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.post_form(f"{BASE}/{sub.id}/suspend", {"reason": "x"}).status_code == 403
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/{sub.id}").status_code == 403


def test_p2_s1_1_suspension_needs_a_reason_and_is_audited(tp, world, client):
    sub = tp["sub"]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(f"{BASE}/{sub.id}/suspend", {"reason": "  "})
    assert response.status_code == 422
    db.session.refresh(sub)
    assert sub.status == "active"
    response = client.post_form(f"{BASE}/{sub.id}/suspend", {"reason": "现场服务质量投诉 quality complaints"})
    assert response.status_code == 302
    db.session.refresh(sub)
    assert sub.status == "suspended" and sub.suspended_reason == "现场服务质量投诉 quality complaints"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "third_party.subcontractor_suspended"))
    assert event.target_id == sub.id and event.data["reason"] == "现场服务质量投诉 quality complaints"
    assert "现场服务质量投诉" in client.get(f"{BASE}/{sub.id}").get_data(as_text=True)
    assert client.post_form(f"{BASE}/{sub.id}/reactivate").status_code == 302
    db.session.refresh(sub)
    assert sub.status == "active" and sub.suspended_reason == ""


def test_p2_s1_1_list_filters_and_keyset_pages_newest_first(tp, world, client):
    tenant, admin = tp["tenant"], tp["admin"]
    for n in range(2, 28):  # 27 in all: a page of 25 and a second of 2
        services.save_subcontractor(tenant, {**sub_data(n), "service_ids": []}, admin)
    services.suspend(services.list_subcontractors(tenant)[0][0], "x", admin)
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert page.count('data-testid="subcontractor-row"') == 25
    first, next_after = services.list_subcontractors(tenant)
    assert page.index(first[0].legal_name) < page.index(first[1].legal_name)
    more = client.get(f"{BASE}/?after={next_after}", headers=HX)
    body = more.get_data(as_text=True)
    assert more.status_code == 200 and "<html" not in body and body.count('data-testid="subcontractor-row"') == 2
    suspended = client.get(f"{BASE}/?status=suspended").get_data(as_text=True)
    assert suspended.count('data-testid="subcontractor-row"') == 1
    found = client.get(f"{BASE}/?q=有限公司 27", headers=HX).get_data(as_text=True)
    assert found.count('data-testid="subcontractor-row"') == 1 and "<html" not in found
    assert client.get(f"{BASE}/?q=100%25").status_code == 200  # % is searched as itself
    assert client.get(f"{BASE}/?after=abc&service=99999999999999999999").status_code == 200  # bad ids: no 500


def test_p2_s1_1_qualifications_added_and_removed_by_htmx(tp, world, client):
    sub = tp["sub"]
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(
        f"{BASE}/{sub.id}/qualifications",
        {"name": "ITSS 三级", "number": "XZ-1", "issuer": "CEIA", "expires_on": "2026-11-20"},
        headers=HX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="qualifications"' in body
    assert "ITSS 三级" in body and "badge-expiring" in body  # 18 days left on 2 November
    bad = client.post_form(f"{BASE}/{sub.id}/qualifications", {"name": "x", "expires_on": "9999-99-99"}, headers=HX)
    assert bad.status_code == 422
    qualification = db.session.scalar(select(Qualification))
    assert qualification.expires_on == date(2026, 11, 20)
    gone = client.post_form(f"{BASE}/qualifications/{qualification.id}/remove", headers=HX)
    assert gone.status_code == 200 and "ITSS 三级" not in gone.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Qualification.id))) == 0


def test_p2_s1_1_the_vendor_navigation_names_the_registry(tp, world, client):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert f'href="{BASE}/"' in client.get("/t/alpha/").get_data(as_text=True)
