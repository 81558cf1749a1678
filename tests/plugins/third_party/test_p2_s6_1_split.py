"""Part 2 §6.1: every minute of a request's clock is attributed to one party (the vendor, a named subcontractor or
the client), the subcontractor's own back-to-back clock runs from its assignment, and a target it misses is a
third-party breach attributed to it, recorded once."""

from datetime import UTC, datetime

from sqlalchemy import select

from plugins.third_party import agreements
from plugins.third_party import work as tp_work
from plugins.third_party.models import Breach
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestStatus
from tests.plugins.third_party.conftest import raise_in


def test_p2_s6_1_each_minute_has_one_party_vendor_third_party_client_third_party(work, world, clock):
    """vendor 30 min → subcontractor 45 min → waiting on the client 60 min → subcontractor 20 min → resolved."""
    admin, person, sub = work["admin"], work["person"], work["subs"][0]
    req = raise_in(work, world)  # 02:00 UTC, a 24x7 clock
    clock.advance(minutes=30)
    tp_work.assign(req, sub, admin)
    db.session.commit()
    clock.advance(minutes=45)
    member = agreements.member_of(work["tenant"], person)
    tp_work.reply(req, member, person, "请提供机柜编号 which rack?", [])
    requests.change_status(req, RequestStatus.WAITING_ON_CLIENT, person, by_client=False)
    db.session.commit()
    clock.advance(minutes=60)
    requests.reply(req, world.person("alpha", "client_user"), "B-12", by_client=True)
    db.session.commit()
    clock.advance(minutes=20)
    tp_work.resolve(req, member, person, "更换光模块 replaced the optic")
    db.session.commit()
    clock.advance(hours=5)  # nothing after the resolution counts
    segments, totals = tp_work.split(req)
    assert [(s.party, s.subcontractor_id, s.minutes) for s in segments] == [
        ("vendor", None, 30),
        ("third_party", sub.id, 45),
        ("client", None, 60),
        ("third_party", sub.id, 20),
    ]
    assert totals == {"vendor": 30, "client": 60, sub.id: 65}


def test_p2_s6_1_back_to_back_clock_breach_is_the_subcontractors_and_recorded_once(work, world, clock):
    admin, sub = work["admin"], work["subs"][0]
    req = raise_in(work, world)
    tp_work.assign(req, sub, admin)  # 2 h to answer, 8 h to resolve, from 02:00
    db.session.commit()
    clock.advance(hours=1, minutes=59)
    assert tp_work.sweep_tenant(work["tenant"].id) == 0
    clock.advance(minutes=2)  # 04:01: the answer is late
    assert tp_work.sweep_tenant(work["tenant"].id) == 1
    assert tp_work.sweep_tenant(work["tenant"].id) == 0  # once, however often the sweep runs
    breach = db.session.scalar(select(Breach))
    assert (breach.kind, breach.clause, breach.subcontractor_id) == ("response", "6.1.2", sub.id)
    assert breach.due_at == datetime(2026, 11, 2, 4, 0, tzinfo=UTC) and breach.met_at is None
    assert breach.evidence["agreement"] == work["agreements"][0].number
    # the vendor's own clock toward the client (4 h to respond) is untouched: no breach of the agreement yet
    assert not req.response_breached


def test_p2_s6_1_waiting_on_the_client_stops_the_back_to_back_clock(work, world, clock):
    admin, person, sub = work["admin"], work["person"], work["subs"][0]
    member = agreements.member_of(work["tenant"], person)
    req = raise_in(work, world)
    tp_work.assign(req, sub, admin)
    tp_work.acknowledge(req, member, person)  # answered at once
    requests.change_status(req, RequestStatus.WAITING_ON_CLIENT, person, by_client=False)
    db.session.commit()
    clock.advance(hours=3)  # waiting on the client for three hours
    requests.reply(req, world.person("alpha", "client_user"), "好了 ready", by_client=True)
    db.session.commit()
    held = tp_work.current(req)
    clock_ = tp_work.clock_of(held, req)
    assert clock_.resolution_due_at == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)  # 02:00 + 8 h + 3 h waited
    clock.advance(hours=7, minutes=30)  # 12:30: in time
    tp_work.resolve(req, member, person, "done")
    db.session.commit()
    assert tp_work.sweep_tenant(work["tenant"].id) == 0
    assert held.response_settled and held.resolution_settled


def test_p2_s6_1_taken_back_in_time_is_no_breach_late_resolution_is(work, world, clock):
    admin, person, sub = work["admin"], work["person"], work["subs"][0]
    member = agreements.member_of(work["tenant"], person)
    first = raise_in(work, world)
    tp_work.assign(first, sub, admin)
    db.session.commit()
    clock.advance(hours=1)
    assert tp_work.release(first, admin)
    db.session.commit()
    clock.advance(hours=10)
    assert tp_work.sweep_tenant(work["tenant"].id) == 0  # the vendor took it back before any target fell due
    second = raise_in(work, world, subject="second")
    tp_work.assign(second, sub, admin)
    tp_work.acknowledge(second, member, person)
    db.session.commit()
    clock.advance(hours=9)
    tp_work.resolve(second, member, person, "late fix")
    db.session.commit()
    assert tp_work.sweep_tenant(work["tenant"].id) == 1
    breach = db.session.scalar(select(Breach).where(Breach.request_id == second.id))
    assert (breach.kind, breach.clause) == ("resolution", "6.1.3")
    assert breach.evidence["late_minutes"] == 60


def test_p2_s6_1_the_compliance_view_counts_the_subcontractors_targets_and_the_cap(work, world, client, clock):
    """The agreement's obligations gain the Part 2 rows: back-to-back answers judged, met and breached, and the cap."""
    admin, person, sub = work["admin"], work["person"], work["subs"][0]
    member = agreements.member_of(work["tenant"], person)
    in_time = raise_in(work, world, subject="in time")
    tp_work.assign(in_time, sub, admin)
    tp_work.acknowledge(in_time, member, person)
    late = raise_in(work, world, subject="late")
    tp_work.assign(late, sub, admin)
    db.session.commit()
    clock.advance(hours=3)
    tp_work.sweep_tenant(work["tenant"].id)
    client.sign_in(admin.email)
    html = client.get(
        f"/t/alpha/contracts/{work['contract'].id}?tab=obligations",
        headers={"HX-Request": "true", "HX-Target": "contract-tab"},
    ).get_data(as_text=True)
    row = html[html.index("Part 2 §6.1.2") :].split("</tr>")[0]
    cells = [c.split(">")[-1].strip() for c in row.split("</td>")]
    assert cells[-4:-1] == ["2", "1", "1"], cells  # applied, met, breached
    assert "Part 2 §3.1" in html and "left" in html


def test_p2_s6_1_4_a_breach_by_hand_needs_its_evidence_and_a_request_the_subcontractor_held(work, world, client):
    from io import BytesIO

    admin, sub = work["admin"], work["subs"][0]
    never_given = raise_in(work, world, subject="never given")
    held = raise_in(work, world, subject="held")
    tp_work.assign(held, sub, admin)
    db.session.commit()
    client.sign_in(admin.email)
    data = {
        "kind": "infringement",
        "description": "未经授权复制客户数据库 copied the client's database",
        "happened_on": "2026-11-02",
    }
    refused = client.post_form(f"/t/alpha/p/third_party/{sub.id}/breaches/new?request={never_given.id}", data)
    assert refused.status_code == 422 and "never given to this subcontractor" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Breach)) is None
    response = client.post_form(
        f"/t/alpha/p/third_party/{sub.id}/breaches/new?request={held.id}",
        {**data, "evidence": (BytesIO(b"access log"), "access.log")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    breach = db.session.scalar(select(Breach))
    assert (breach.kind, breach.clause, breach.subcontractor_id) == ("infringement", "6.1.4", sub.id)
    assert breach.evidence["files"][0]["name"] == "access.log"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "access.log" in page


def test_p2_s6_1_the_clock_stops_when_anyone_resolves_or_closes_and_unjudged_targets_count_for_neither(
    work, world, clock
):
    """Given at 02:00 (2 h to answer, 8 h to resolve): the vendor's engineer resolves one request at 03:00 and closes
    another, answered at once by the subcontractor, at 03:00 too; past both due times the sweep records nothing, and
    the targets not yet due when the request was resolved or closed count neither as met nor as missed."""
    admin, person, sub = work["admin"], work["person"], work["subs"][0]
    engineer = world.person("alpha", "vendor_engineer")
    member = agreements.member_of(work["tenant"], person)
    resolved_by_vendor = raise_in(work, world, subject="resolved by the vendor")
    tp_work.assign(resolved_by_vendor, sub, admin)
    closed_by_vendor = raise_in(work, world, subject="closed by the vendor")
    tp_work.assign(closed_by_vendor, sub, admin)
    tp_work.acknowledge(closed_by_vendor, member, person)  # answered at 02:00: in time
    db.session.commit()
    clock.advance(hours=1)
    requests.change_status(resolved_by_vendor, RequestStatus.RESOLVED, engineer, by_client=False, note="远程重启")
    requests.close_by_vendor(closed_by_vendor, engineer, "重复报修 a duplicate")
    db.session.commit()
    clock.advance(hours=10)  # 13:00: both targets of both would have fallen due
    assert tp_work.sweep_tenant(work["tenant"].id) == 0
    assert tp_work.sweep_tenant(work["tenant"].id) == 0
    assert db.session.scalar(select(Breach)) is None
    for req in (resolved_by_vendor, closed_by_vendor):
        held = tp_work.current(req)
        assert held.response_settled and held.resolution_settled  # judged once, never again
    counts = tp_work.obligation_counts(work["contract"])
    assert counts["response"] == {"applied": 1, "met": 1, "breached": 0}  # only the answer given in time
    assert counts["resolution"] == {"applied": 0, "met": 0, "breached": 0}  # nobody judged the subcontractor's
    record = tp_work.performance(sub)
    assert (record["held"], record["response_met"], record["resolution_met"], record["breaches"]) == (2, 100, None, 0)


def _late_in_beta(world, enable_plugin, make_signed_contract):
    """beta with the plugin on: its subcontractor holds an on-site request under its annex 6 agreement (2 hours to
    answer, around the clock), given now."""
    from datetime import date

    from plugins.third_party import services
    from saas.contracts.services import list_services
    from tests.plugins.third_party.conftest import sub_data

    tenant = world.tenant("beta")
    enable_plugin(tenant, "third_party")
    contract = make_signed_contract(
        tenant, world.clients("beta")[0], effective=date(2026, 11, 1), lines=(("ONSITE", "1", "5000.00"),)
    )
    admin = world.person("beta", "vendor_admin")
    onsite = next(s for s in list_services(tenant) if s.code == "ONSITE")
    sub = services.save_subcontractor(tenant, {**sub_data(3), "service_ids": [onsite.id]}, admin)
    services.decide(
        services.propose(sub, contract, "驻场 on site", admin), True, "", world.person("beta", "client_admin")
    )
    agreements.create_agreement(
        contract,
        sub,
        {
            "service_ids": [onsite.id],
            "regions": "上海",
            "monthly_fee": "2000.00",
            "response_hours": 2,
            "resolution_hours": 8,
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2027, 10, 31),
        },
        ("agreement.pdf", "application/pdf", b"%PDF-1.4 beta"),
        admin,
    )
    category = next(c for c in requests.categories(tenant) if c.code == "ONSITE")
    req = requests.create_request(
        tenant,
        world.clients("beta")[0].id,
        {"category_id": category.id, "subject": "beta 机房断电"},
        world.person("beta", "client_user"),
    )
    tp_work.assign(req, sub, admin)
    db.session.commit()
    return tenant, sub


def test_p2_s6_1_2_the_sweep_goes_on_with_the_other_vendors_when_one_vendors_sweep_fails(
    work, world, clock, enable_plugin, make_signed_contract, monkeypatch
):
    """One vendor's sweep raising (bad data) is logged; the next vendor's late answer is still recorded as its
    subcontractor's breach, and the failed vendor's is recorded by the next sweep once it succeeds."""
    from plugins.third_party.tasks import sweep_back_to_back

    tp_work.assign(raise_in(work, world), work["subs"][0], work["admin"])  # alpha's own late answer
    db.session.commit()
    beta, beta_sub = _late_in_beta(world, enable_plugin, make_signed_contract)
    assert work["tenant"].id < beta.id  # alpha is swept first
    real, calls = tp_work.sweep_tenant, []

    def failing_first(tenant_id, at=None):
        calls.append(tenant_id)
        if len(calls) == 1:
            raise RuntimeError("a calendar without working time")
        return real(tenant_id, at)

    monkeypatch.setattr(tp_work, "sweep_tenant", failing_first)
    clock.advance(hours=2, minutes=1)  # both answers are late
    assert sweep_back_to_back() == 1
    assert calls[:1] == [work["tenant"].id] and beta.id in calls
    breaches = db.session.scalars(select(Breach)).all()
    assert [(b.tenant_id, b.subcontractor_id, b.clause) for b in breaches] == [(beta.id, beta_sub.id, "6.1.2")]
    assert sweep_back_to_back() == 1  # alpha's, now that its sweep runs; beta's is not recorded twice
