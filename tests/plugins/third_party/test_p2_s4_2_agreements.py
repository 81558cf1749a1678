"""Part 2 §4.2, annex 6: the vendor's agreement with a jointly selected subcontractor is attached to the client's
agreement with its signed file and SHA-256, inside the agreement's term, with back-to-back hours no looser than the
vendor's own; both parties see it as annex 6 and are warned before it ends or when it is suspended."""

import hashlib
from datetime import date
from io import BytesIO

from sqlalchemy import func, select

from plugins.third_party import agreements
from plugins.third_party import work as tp_work
from plugins.third_party.agreements import service_label
from plugins.third_party.models import Agreement
from plugins.third_party.tasks import warn_expiring_agreements
from saas.contracts.services import list_services
from saas.core.errors import ServiceError
from saas.core.models import MailMessage
from saas.extensions import db
from tests.plugins.third_party.conftest import BASE, raise_in, sub_data


def form(work, **changes):
    onsite = next(s for s in list_services(work["tenant"]) if s.code == "ONSITE")
    data = {
        "contract_id": str(work["contract"].id),
        "subcontractor_id": str(work["subs"][0].id),
        "service_ids": [str(onsite.id)],
        "regions": "上海",
        "monthly_fee": "1800.00",
        "response_hours": "2",
        "resolution_hours": "12",
        "starts_on": "2026-11-10",
        "ends_on": "2027-06-30",
        "document": (BytesIO(b"%PDF-1.4 signed by both"), "signed.pdf", "application/pdf"),
    }
    data.update(changes)
    return data


def count():
    return db.session.scalar(select(func.count(Agreement.id)))


def test_p2_s4_2_attached_with_its_sha256_and_listed_as_annex_6_for_both_parties(work, world, client):
    client.sign_in(work["admin"].email)
    before = count()
    response = client.post_form(f"{BASE}/agreements/new", form(work), content_type="multipart/form-data")
    assert response.status_code == 302
    made = db.session.scalar(select(Agreement).order_by(Agreement.id.desc()))
    assert count() == before + 1
    assert made.sha256 == hashlib.sha256(b"%PDF-1.4 signed by both").hexdigest()
    assert made.number == f"{work['contract'].number}-F6-03" and made.response_hours == 2
    page = client.get(f"{BASE}/agreements/{made.id}").get_data(as_text=True)
    assert made.sha256 in page
    assert client.get(f"{BASE}/agreements/{made.id}/document").data == b"%PDF-1.4 signed by both"
    vendor_contract = client.get(f"/t/alpha/contracts/{work['contract'].id}").get_data(as_text=True)
    assert 'data-testid="annex-6"' in vendor_contract and made.number in vendor_contract
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"/t/alpha/portal/contracts/{work['contract'].id}").get_data(as_text=True)
    assert made.number in portal and "1,800" not in portal  # the fee to the subcontractor is the vendor's business
    assert client.get(f"{BASE}/portal/agreements/{made.id}/document").data == b"%PDF-1.4 signed by both"
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the other client of the vendor
    assert client.get(f"{BASE}/portal/agreements/{made.id}/document").status_code == 404


def test_p2_s4_2_bad_agreements_are_refused_with_the_reason_and_nothing_written(work, world, client):
    from plugins.third_party import services

    client.sign_in(work["admin"].email)
    remote_only = services.save_subcontractor(work["tenant"], {**sub_data(7), "service_ids": []}, work["admin"])
    db.session.commit()
    cases = [
        ({"subcontractor_id": str(remote_only.id)}, "not approved by the client"),
        ({"ends_on": "2027-11-01"}, "within agreement"),  # the first day after the term
        ({"response_hours": "9"}, "4 hours or sooner"),  # the agreement answers in 4 hours
        ({"regions": "北京"}, "does not work in 北京"),
        ({"resolution_hours": "1"}, "cannot be fewer"),
        ({"document": (BytesIO(b""), "")}, "Attach the signed agreement"),
    ]
    before = count()
    for changes, reason in cases:
        response = client.post_form(f"{BASE}/agreements/new", form(work, **changes), content_type="multipart/form-data")
        assert response.status_code == 422, changes
        assert reason in response.get_data(as_text=True), changes
    assert count() == before


def test_p2_s4_2_suspension_warns_both_parties_and_stops_new_assignments(work, world, clock):
    deal, sub = work["agreements"][0], work["subs"][0]
    assert agreements.set_status(deal, "suspended", "资质复审 qualification under review", work["admin"])
    db.session.commit()
    mails = db.session.scalars(
        select(MailMessage).where(MailMessage.dedupe_key.startswith(f"third-party-agreement:{deal.id}:suspended"))
    ).all()
    assert sorted(m.to for m in mails) == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]
    req = raise_in(work, world)
    try:
        tp_work.assign(req, sub, work["admin"])
    except ServiceError as exc:
        assert "no third-party agreement in force" in str(exc)
    else:
        raise AssertionError("a suspended agreement still took work")


def test_p2_s4_2_expiry_warned_to_both_parties_30_days_ahead_once(work, world, clock):
    deal = work["agreements"][0]  # ends 2027-10-31
    clock.set(clock.now().replace(year=2027, month=9, day=30, hour=3))
    assert warn_expiring_agreements() == 0  # 31 days ahead
    clock.advance(days=1)
    sent = warn_expiring_agreements()
    assert sent == 2 * 2  # both agreements of the fixture, to the vendor admin and the client admin
    assert warn_expiring_agreements() == 0
    db.session.refresh(deal)
    assert deal.expiry_warned_on == date(2027, 10, 1)
    subject = db.session.scalar(
        select(MailMessage.subject).where(
            MailMessage.dedupe_key.startswith(f"third-party-agreement:{deal.id}:expiring")
        )
    )
    assert deal.number in subject and "2027-10-31" in subject


def test_p2_s4_2_a_holder_acts_only_while_the_agreement_it_holds_the_request_under_is_in_force(work, world, clock):
    deal, person = work["agreements"][0], work["person"]
    member = agreements.member_of(work["tenant"], person)
    req = raise_in(work, world)
    tp_work.assign(req, work["subs"][0], work["admin"])
    agreements.set_status(deal, "suspended", "资质复审 qualification under review", work["admin"])
    db.session.commit()
    refusal = "Your company's agreement for this work is suspended or has ended; the vendor's team takes it over."
    try:
        tp_work.acknowledge(req, member, person)
    except ServiceError as exc:
        assert str(exc) == refusal
    else:
        raise AssertionError("acted under a suspended agreement")
    assert agreements.set_status(deal, "active", "", work["admin"])  # reinstated: it acts again
    db.session.commit()
    assert tp_work.require_holder(req, member).agreement_id == deal.id
    clock.set(clock.now().replace(year=2027, month=11, day=1, hour=3))  # the agreement ended on 31 October
    try:
        tp_work.reply(req, member, person, "还在处理 still on it", [])
    except ServiceError as exc:
        assert str(exc) == refusal
    else:
        raise AssertionError("acted after its agreement ended")
    db.session.rollback()
    db.session.refresh(req)
    assert req.status == "new" and tp_work.current(req).responded_at is None


def test_p2_s4_2_the_rendered_agreement_lists_its_third_party_agreements_as_annex_6(work):
    from saas.contracts import signing

    first, second = work["agreements"]
    agreements.set_status(second, "ended", "合作结束 ended", work["admin"])
    db.session.commit()
    chinese = signing.render_document(work["contract"], "zh_Hans_CN", 2)
    english = signing.render_document(work["contract"], "en", 2)
    for text in (chinese, english):
        assert first.number in text and first.sha256 in text and work["subs"][0].uscc in text
        assert second.number not in text  # ended early: no longer part of the agreement
        assert "2000.00" not in text  # the fee stays between the vendor and the subcontractor
    assert "Remote support" in english and "远程技术支持" in chinese and "统一社会信用代码" in chinese
    assert english.index("Annex 6</span>") < english.index(first.number) < english.index("Annex 7</span>")
    # the text each party signs is fixed: the same data gives the same bytes
    assert signing.render_document(work["contract"], "en", 2) == english
    assert work["agreements"][0].number not in signing.render_document(work["other_contract"], "en", 2)


def test_p2_s4_2_an_annex_6_naming_a_service_the_approved_subcontractor_cannot_take_is_refused(work, world, client):
    """Approved for the agreement for its remote support, it cannot be given its on-site support: the refusal names
    the service, and nothing is written."""
    from plugins.third_party import services

    catalogue = {s.code: s for s in list_services(work["tenant"])}
    remote_only = services.save_subcontractor(
        work["tenant"], {**sub_data(8), "service_ids": [catalogue["REMOTE"].id]}, work["admin"]
    )
    services.decide(
        services.propose(remote_only, work["contract"], "远程支持 remote support", work["admin"]),
        True,
        "",
        world.person("alpha", "client_admin"),
    )
    db.session.commit()
    assert services.may_work_on(work["contract"], remote_only)
    client.sign_in(work["admin"].email)
    before = count()
    response = client.post_form(
        f"{BASE}/agreements/new",
        form(work, subcontractor_id=str(remote_only.id), regions="上海 Shanghai"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"cannot take {service_label(catalogue['ONSITE'])}" in page
    assert count() == before
