"""Part 2 §4.3: moving part of the vendor's obligations to a third party needs a written agreement signed by both
parties; once in force, every new request within its scope goes to that subcontractor at once."""

from datetime import date

from sqlalchemy import func, select

from plugins.third_party import services, transfers
from plugins.third_party import work as tp_work
from plugins.third_party.models import Assignment, Transfer
from saas.contracts.models import ContractDocument, ContractSignature
from saas.contracts.services import list_services
from saas.core.errors import ServiceError
from saas.core.models import AuditEvent, MailMessage
from saas.extensions import db
from saas.requests.models import RequestEvent
from saas.testing.race import at_once, once_token
from tests.plugins.third_party.conftest import BASE, raise_in


def onsite_id(work_):
    return {s.code: s.id for s in list_services(work_["tenant"])}["ONSITE"]


def propose(work_, sub=0, **changes):
    data = {"service_ids": [onsite_id(work_)], "category_ids": [], "starts_on": date(2026, 11, 2), **changes}
    made = transfers.create_transfer(work_["contract"], work_["subs"][sub], data, work_["admin"])
    db.session.commit()
    return made


def sign_as(transfer, party, user):
    document = transfers.documents(transfer)[0]
    result = transfers.sign(transfer, party, user, document.id, document.sha256)
    db.session.commit()
    return result


def signed(work_, world, **changes):
    transfer = propose(work_, **changes)
    sign_as(transfer, "B", work_["admin"])
    assert sign_as(transfer, "A", world.person("alpha", "client_admin")) is True
    return transfer


def test_p2_s4_3_the_text_is_frozen_in_both_languages_with_its_sha256(work, world):
    transfer = propose(work)
    docs = transfers.documents(transfer)
    assert [d.language for d in docs] == ["zh_Hans_CN", "en"]
    assert "第三方义务转移协议" in docs[0].html and "Transfer of Obligations" in docs[1].html
    assert work["subs"][0].legal_name in docs[1].html and transfer.agreement.number in docs[1].html
    assert all(len(d.sha256) == 64 for d in docs)
    assert transfers.render_document(transfer, "en") == docs[1].html  # from data only: the same bytes again


def test_p2_s4_3_signed_by_one_party_only_routes_nothing(work, world, clock):
    transfer = propose(work)
    assert sign_as(transfer, "B", work["admin"]) is False
    assert transfers.state(transfer, date(2026, 11, 2)) == "awaiting"
    assert "the client has not signed it yet" in transfers.why_not_in_force(transfer, date(2026, 11, 2))
    assert tp_work.current(raise_in(work, world)) is None


def test_p2_s4_3_signed_by_both_a_new_onsite_request_goes_to_the_subcontractor_at_once(work, world, clock):
    transfer = signed(work, world)
    assert transfers.state(transfer, date(2026, 11, 2)) == "in_force"
    clock.advance(minutes=7)
    req = raise_in(work, world)
    held = tp_work.current(req)
    assert held is not None and held.subcontractor_id == work["subs"][0].id  # not the second approved one
    assert held.assigned_at == req.created_at  # its back-to-back clock runs from the request's creation
    assert (held.response_hours, held.resolution_hours) == (2, 8)
    event = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == req.id, RequestEvent.kind == "assigned")
    ).all()[-1]
    assert event.data["rule"] == transfer.number  # the same in both languages: the transfer that routed it
    remote = raise_in(work, world, code="REMOTE", subject="远程支持 remote help")
    assert tp_work.current(remote) is None  # outside the transferred scope: the vendor's own team


def test_p2_s4_3_a_transfer_narrowed_to_categories_takes_only_those(work, world):
    signed(work, world, category_ids=[work["cats"]["REMOTE"].id], service_ids=[onsite_id(work)])
    # on-site support, but not the category named: nothing routed
    assert tp_work.current(raise_in(work, world)) is None


def test_p2_s4_3_an_ended_transfer_routes_nothing_and_both_parties_are_told(work, world, client):
    transfer = signed(work, world)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    no_reason = client.post_form(f"{BASE}/transfers/{transfer.id}/end", {"reason": ""})
    assert no_reason.status_code == 422
    ended = client.post_form(f"{BASE}/transfers/{transfer.id}/end", {"reason": "合同到期 the subcontractor leaves"})
    assert ended.status_code == 302
    db.session.refresh(transfer)
    assert transfer.status == "ended" and transfer.ended_reason.startswith("合同到期")
    assert tp_work.current(raise_in(work, world)) is None
    told = {
        m.to
        for m in db.session.scalars(
            select(MailMessage).where(MailMessage.dedupe_key.startswith(f"third-party-transfer:{transfer.id}:ended"))
        )
    }
    assert {world.person("alpha", "vendor_admin").email, world.person("alpha", "client_admin").email} <= told


def assert_nothing_written(before_docs):
    assert db.session.scalar(select(func.count(Transfer.id))) == 0
    assert db.session.scalar(select(func.count(ContractDocument.id))) == before_docs


def test_p2_s4_3_refusals_write_nothing(work, world):
    from tests.plugins.third_party.conftest import sub_data

    tp_unapproved = services.save_subcontractor(work["tenant"], {**sub_data(7), "service_ids": []}, work["admin"])
    db.session.commit()
    before = db.session.scalar(select(func.count(ContractDocument.id)))
    cases = [
        (tp_unapproved, {}, "not approved by the client"),
        (work["subs"][0], {"service_ids": [onsite_id(work), 10**6]}, "fee schedule"),
        (work["subs"][0], {"starts_on": date(2026, 10, 31)}, "within agreement"),
        (work["subs"][0], {"starts_on": date(2030, 1, 1)}, "within agreement"),
        (work["subs"][0], {"service_ids": []}, "Choose the services"),
    ]
    for sub, changes, message in cases:
        data = {"service_ids": [onsite_id(work)], "category_ids": [], "starts_on": date(2026, 11, 2), **changes}
        try:
            transfers.create_transfer(work["contract"], sub, data, work["admin"])
        except ServiceError as exc:
            assert message in str(exc), (message, str(exc))
            db.session.rollback()
        else:
            raise AssertionError(f"accepted: {message}")
    assert_nothing_written(before)


def test_p2_s4_3_scope_outside_the_annex_6_agreement_is_refused_on_the_form(work, world, client):
    from plugins.third_party.models import Agreement

    # narrow the first subcontractor's annex 6 agreement to remote support only
    deal = db.session.get(Agreement, work["agreements"][0].id)
    deal.service_ids = [s.id for s in list_services(work["tenant"]) if s.code == "REMOTE"]
    db.session.commit()
    before = db.session.scalar(select(func.count(ContractDocument.id)))
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"{BASE}/transfers/new?contract={work['contract'].id}").get_data(as_text=True)
    response = client.post_form(
        f"{BASE}/transfers/new",
        {
            "contract_id": work["contract"].id,
            "subcontractor_id": work["subs"][0].id,
            "service_ids": onsite_id(work),
            "starts_on": "2026-11-02",
            "_once": once_token(page),
        },
    )
    assert response.status_code == 422
    assert "annex 6" in response.get_data(as_text=True)
    assert_nothing_written(before)


def test_p2_s4_3_two_identical_submissions_at_once_make_one_transfer(work, world, app):
    email = world.person("alpha", "vendor_admin").email
    url = f"{BASE}/transfers/new"
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        browser.sign_in(email)
        form = {
            "contract_id": work["contract"].id,
            "subcontractor_id": work["subs"][0].id,
            "service_ids": onsite_id(work),
            "starts_on": "2026-11-02",
            "csrf_token": browser.csrf_token(url),
        }
        browsers.append((browser, form))
    answers = at_once(*(lambda b=b, f=f: b.post(url, data=f).status_code for b, f in browsers))
    assert sorted(answers) == [302, 422]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Transfer.id))) == 1
    assert db.session.scalar(select(func.count(ContractDocument.id)).where(ContractDocument.subject.like("tp-%"))) == 2


def test_p2_s4_3_a_double_click_on_send_makes_one_transfer(work, world, client, app):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"{BASE}/transfers/new").get_data(as_text=True)
    form = {
        "contract_id": work["contract"].id,
        "subcontractor_id": work["subs"][0].id,
        "service_ids": onsite_id(work),
        "starts_on": "2026-11-02",
        "_once": once_token(page),
        "csrf_token": client.csrf_token(),
    }
    second = app.test_client()
    second.sign_in(world.person("alpha", "vendor_admin").email)
    answers = at_once(
        lambda: client.post(f"{BASE}/transfers/new", data=form),
        lambda: second.post(f"{BASE}/transfers/new", data={**form, "csrf_token": second.csrf_token()}),
    )
    assert sorted(a.status_code for a in answers) == [302, 303]
    assert db.session.scalar(select(func.count(Transfer.id))) == 1


def test_p2_s4_3_both_parties_sign_on_their_screens_and_read_the_text(work, world, client):
    transfer = propose(work)
    docs = transfers.documents(transfer)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"{BASE}/transfers/{transfer.id}").get_data(as_text=True)
    assert "the client has not signed it yet" not in page and "neither party has signed it yet" in page
    assert docs[0].sha256 in page
    sign = {"document_id": docs[1].id, "sha256": docs[1].sha256, "confirm": "y"}
    assert client.post_form(f"{BASE}/transfers/{transfer.id}/sign", sign).status_code == 302
    contract_page = client.get(f"/t/alpha/contracts/{work['contract'].id}").get_data(as_text=True)
    assert transfer.number in contract_page and "Awaiting signatures" in contract_page
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"{BASE}/portal/transfers/{transfer.id}")
    assert portal.status_code == 200 and "the client has not signed it yet" in portal.get_data(as_text=True)
    doc = client.get(f"/t/alpha/portal/contracts/{work['contract'].id}/documents/{docs[0].id}")
    assert doc.status_code == 200 and doc.headers["X-Document-SHA256"] == docs[0].sha256
    assert client.post_form(f"{BASE}/portal/transfers/{transfer.id}/sign", sign).status_code == 403  # not an admin
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin").email)
    assert client.post_form(f"{BASE}/portal/transfers/{transfer.id}/sign", sign).status_code == 302
    db.session.refresh(transfer)
    assert transfer.status == "signed" and set(transfers.signatures(transfer)) == {"A", "B"}
    contract_page = client.get(f"/t/alpha/portal/contracts/{work['contract'].id}").get_data(as_text=True)
    assert transfer.number in contract_page and "In force" in contract_page
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "third_party.transfer_signed"))
        == 1
    )
    # the client sees who handles a request within its scope
    req = raise_in(work, world)
    assert work["subs"][0].legal_name in client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)


def test_p2_s4_3_another_clients_admin_cannot_see_or_sign_it(work, world, client):
    transfer = propose(work)
    doc = transfers.documents(transfer)[0]
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the admin of alpha's second client
    assert client.get(f"{BASE}/portal/transfers/{transfer.id}").status_code == 404
    sign = {"document_id": doc.id, "sha256": doc.sha256, "confirm": "y"}
    assert client.post_form(f"{BASE}/portal/transfers/{transfer.id}/sign", sign).status_code == 404
    assert (
        db.session.scalar(select(func.count(ContractSignature.id)).where(ContractSignature.subject.like("tp-%"))) == 0
    )
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "third_party").email)  # the subcontractor's own person neither
    assert client.get(f"{BASE}/transfers/{transfer.id}").status_code in (403, 404)


def test_p2_s4_3_htmx_fragments_work_alone(work, world, client):
    transfer = signed(work, world)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    fragment = client.get(f"{BASE}/transfers/{transfer.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="tp-transfer"' in body and "<html" not in body
    bad = client.post_form(f"{BASE}/transfers/{transfer.id}/end", {"reason": ""}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    ended = client.post_form(f"{BASE}/transfers/{transfer.id}/end", {"reason": "x"}, headers={"HX-Request": "true"})
    text = ended.get_data(as_text=True)
    assert ended.status_code == 200 and "<html" not in text and "Ended" in text


def test_p2_s4_3_the_transfer_stops_routing_once_its_subcontractor_is_suspended(work, world):
    signed(work, world)
    services.suspend(work["subs"][0], "资质过期", work["admin"])
    db.session.commit()
    req = raise_in(work, world)  # the request is still raised; the vendor's own team has it
    assert tp_work.current(req) is None
    assert db.session.scalar(select(func.count(Assignment.id))) == 0
