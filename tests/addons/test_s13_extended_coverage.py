"""§13 extended coverage (plugins/addon_extended_coverage): while an add-on agreement signed by both parties runs on
a request's received day, new requests of its categories run 7×24 (or with a shorter response); the request page,
the timeline and the compliance view show where it applied; its monthly fee goes on the regular invoice.

Alpha's first client is under an agreement in force since 1 November 2026 (3,000.00 a month, consultations answered
within 8 h); consultations and training run on office hours 09–12, 13–18 Monday to Friday, faults 7×24."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import g
from sqlalchemy import func, select

from plugins.addon_extended_coverage.models import CoverageApplied
from saas.addons import services as addons
from saas.addons.models import AddonAgreement, AddonStatus
from saas.billing import services as billing
from saas.billing.models import Invoice, InvoiceLine
from saas.core.errors import ServiceError
from saas.core.models import TenantPlugin
from saas.core.plugins import RequestCoverage, hookimpl, plugin_manager
from saas.extensions import db
from saas.requests import services
from saas.requests.coverage import applied_coverage

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME = "addon_extended_coverage"
#: Friday 6 November 2026, 18:00 in Shanghai: office hours are over for the weekend.
FRIDAY_EVENING = datetime(2026, 11, 6, 18, 0, tzinfo=SHANGHAI)


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def covered(sla_alpha, world, enable_plugin, clock):
    """The plugin enabled for alpha, and its offer: consultations 7×24, 800.00 a month."""
    enable_plugin(sla_alpha["tenant"], NAME)
    g.pop("_enabled_plugins", None)
    offer = addons.save_offer(
        sla_alpha["tenant"],
        {
            "addon_type": NAME,
            "name_zh": "7×24 延伸支持",
            "name_en": "7×24 extended coverage",
            "monthly_fee": "800.00",
            "terms": {"categories": "consult, fault", "coverage": "7x24", "response_hours": 0},
        },
        world.person("alpha", "vendor_admin"),
    )
    db.session.commit()
    return {**sla_alpha, "offer": offer}


def propose(covered, world, starts_on, **terms):
    agreement = addons.propose(
        covered["contract"],
        covered["offer"],
        {"starts_on": starts_on, "terms": terms},
        world.person("alpha", "vendor_admin"),
    )
    db.session.commit()
    return agreement


def sign(agreement, world):
    for party, role in (("B", "vendor_admin"), ("A", "client_admin")):
        document = addons.documents(agreement)[0]
        addons.sign(agreement, party, world.person("alpha", role), document.id, document.sha256)
    db.session.commit()
    assert agreement.status == AddonStatus.ACTIVE


def raise_at(covered, world, clock, when, code="CONSULT"):
    clock.set(when.astimezone(UTC))
    req = services.create_request(
        covered["tenant"],
        covered["client"].id,
        {"category_id": covered["cats"][code].id, "subject": "备份策略咨询"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def test_s13_1_a_covered_category_runs_7x24_while_the_addon_runs(db, world, covered, clock):
    sign(propose(covered, world, date(2026, 11, 5)), world)
    req = raise_at(covered, world, clock, FRIDAY_EVENING)
    # 8 h around the clock: Saturday 02:00; 72 h: Monday 18:00 (not Monday 18:00 and Thursday 19 November)
    assert (req.calendar_id, req.response_hours) == (None, 8)
    assert req.response_due_at == sh(2026, 11, 7, 2, 0)
    assert req.resolution_due_at == sh(2026, 11, 9, 18, 0)
    row = db.session.scalar(select(CoverageApplied).where(CoverageApplied.request_id == req.id))
    assert (row.calendar_before, row.calendar_after) == ("Office", "")
    assert (row.response_due_before, row.response_due_after) == (sh(2026, 11, 9, 18, 0), sh(2026, 11, 7, 2, 0))
    assert row.resolution_due_before == sh(2026, 11, 19, 18, 0)
    event = applied_coverage(req)
    assert event["source"] == f"{NAME}:{row.agreement_id}"
    assert event["response_due_at"] == [sh(2026, 11, 9, 18, 0).isoformat(), sh(2026, 11, 7, 2, 0).isoformat()]


def test_s13_1_a_shorter_response_applies_and_never_a_longer_one(db, world, covered, clock):
    sign(propose(covered, world, date(2026, 11, 5), response_hours=3), world)
    req = raise_at(covered, world, clock, FRIDAY_EVENING)
    assert (req.response_hours, req.response_due_at) == (3, sh(2026, 11, 6, 21, 0))
    # A fault already runs 7×24 and its agreement's 2 h are shorter than the add-on's 3 h: nothing changes.
    fault = raise_at(covered, world, clock, datetime(2026, 11, 6, 19, 0, tzinfo=SHANGHAI), "FAULT")
    assert (fault.response_hours, fault.response_due_at) == (2, sh(2026, 11, 6, 21, 0))
    assert applied_coverage(fault) is None
    assert db.session.scalar(select(func.count(CoverageApplied.id))) == 1


def test_s13_1_an_uncovered_category_keeps_business_hours(db, world, covered, clock):
    sign(propose(covered, world, date(2026, 11, 5)), world)
    req = raise_at(covered, world, clock, FRIDAY_EVENING, "TRAINING")
    assert req.calendar_id == covered["office"].id
    assert req.response_due_at == sh(2026, 11, 9, 14, 0)  # 4 working hours from Monday 09:00, lunch skipped
    assert applied_coverage(req) is None


def test_s13_3_business_hours_before_it_is_signed_and_after_it_ended(db, world, covered, clock):
    agreement = propose(covered, world, date(2026, 11, 5))
    waiting = raise_at(covered, world, clock, FRIDAY_EVENING)  # proposed, not signed: not in force (§13.3)
    assert waiting.response_due_at == sh(2026, 11, 9, 18, 0)
    sign(agreement, world)
    addons.end(agreement, date(2026, 11, 20), "不再需要 no longer needed", world.person("alpha", "vendor_admin"))
    db.session.commit()
    last_day = raise_at(covered, world, clock, datetime(2026, 11, 19, 20, 0, tzinfo=SHANGHAI))
    assert last_day.response_due_at == sh(2026, 11, 20, 4, 0)  # its last day: still 7×24
    ended = raise_at(covered, world, clock, datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI))
    # from 20 November it no longer runs: 8 working hours from Monday 23 November 09:00
    assert ended.response_due_at == sh(2026, 11, 23, 18, 0)
    assert db.session.scalar(select(func.count(CoverageApplied.id))) == 1


def test_s13_3_plugin_disabled_for_the_tenant_business_hours_and_no_section(db, world, covered, clock, client):
    sign(propose(covered, world, date(2026, 11, 5)), world)
    covered_req = raise_at(covered, world, clock, FRIDAY_EVENING)
    # Switched off behind the add-ons' back (the operator's switch refuses while agreements run).
    row = db.session.scalar(
        select(TenantPlugin).where(TenantPlugin.tenant_id == covered["tenant"].id, TenantPlugin.plugin == NAME)
    )
    row.enabled = False
    db.session.commit()
    g.pop("_enabled_plugins", None)
    req = raise_at(covered, world, clock, datetime(2026, 11, 6, 19, 0, tzinfo=SHANGHAI))
    assert req.response_due_at == sh(2026, 11, 9, 18, 0)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    for r in (req, covered_req):
        page = client.get(f"/t/alpha/requests/{r.id}").get_data(as_text=True)
        assert 'data-testid="extended-coverage"' not in page


def test_s13_3_the_request_page_and_the_compliance_view_show_where_it_applied(db, world, covered, clock, client):
    agreement = propose(covered, world, date(2026, 11, 5))
    sign(agreement, world)
    req = raise_at(covered, world, clock, FRIDAY_EVENING)
    plain = raise_at(covered, world, clock, FRIDAY_EVENING, "TRAINING")
    clock.set(datetime(2026, 11, 6, 11, 0, tzinfo=UTC))  # 19:00 in Shanghai: answered within the 7×24 hours
    services.reply(req, world.person("alpha", "vendor_admin"), "已收到。", by_client=False)
    db.session.commit()
    for who, url in (
        ("vendor_admin", f"/t/alpha/requests/{req.id}"),
        ("client_user", f"/t/alpha/portal/requests/{req.id}"),
    ):
        client.sign_in(world.person("alpha", who).email)
        page = client.get(url).get_data(as_text=True)
        assert 'data-testid="extended-coverage"' in page
        assert f"Extended coverage (add-on agreement {agreement.number})" in page
        assert "Around the clock (7×24)" in page  # the SLA panel's calendar
        assert "Extended coverage applied" in page  # the timeline's line
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert 'data-testid="extended-coverage"' not in client.get(f"/t/alpha/requests/{plain.id}").get_data(as_text=True)

    tab = client.get(
        f"/t/alpha/contracts/{covered['contract'].id}?tab=obligations",
        headers={"HX-Request": "true", "HX-Target": "contract-tab"},
    )
    html = tab.get_data(as_text=True)
    assert tab.status_code == 200 and "<html" not in html
    row = next(line for line in html.split("<tr>") if "Response under extended coverage" in line)
    assert "7×24 · CONSULT, FAULT" in row
    assert [c.split("<")[0] for c in row.split('<td class="num">')[1:]] == ["1", "1", "0"]
    page = client.get(f"/t/alpha/contracts/{covered['contract'].id}").get_data(as_text=True)
    assert page.count('data-testid="coverage-row"') == 1 and f"#{req.number}" in page


def test_s13_2_the_monthly_fee_is_billed_on_the_regular_invoice(db, world, covered, clock):
    sign(propose(covered, world, date(2026, 11, 5)), world)
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    billing.bill(covered["tenant"], [covered["contract"].id], date(2026, 12, 1))
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.contract_id == covered["contract"].id))
    lines = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "add_on")
    ).all()
    # 5–30 November: 26 of the period's 30 days → 800 × 26 / 30 = 693.33
    assert [(line.source["fee"], line.amount) for line in lines] == [("monthly", Decimal("693.33"))]
    # the agreement's own fee from the day it was signed (2 November: 29 of 30 days), the add-on beside it
    assert invoice.total == Decimal("2900.00") + Decimal("693.33")


class Faster:
    """A stand-in plugin whose coverage answers every new request within 1 h on the category's calendar."""

    name = "coverage_test"

    @hookimpl
    def saas_request_coverage(self, req, contract, category):
        return [RequestCoverage(source="coverage_test:1", label="Test coverage", response_hours=1)]


def test_hook_saas_request_coverage_the_strictest_applies_for_the_tenants_that_enabled_it(
    app, db, world, covered, clock, enable_plugin
):
    pm = plugin_manager()
    faster = Faster()
    pm.register(faster, name=Faster.name)
    try:
        sign(propose(covered, world, date(2026, 11, 5)), world)
        # Not enabled for alpha: only the add-on's 7×24.
        req = raise_at(covered, world, clock, FRIDAY_EVENING)
        assert applied_coverage(req)["source"].startswith(NAME)
        enable_plugin(covered["tenant"], Faster.name)
        g.pop("_enabled_plugins", None)
        # Friday 17:00: 1 h on office hours is due at 18:00, before 7×24's 8 h (Saturday 01:00): the stricter wins.
        early = raise_at(covered, world, clock, datetime(2026, 11, 6, 17, 0, tzinfo=SHANGHAI))
        assert applied_coverage(early)["source"] == "coverage_test:1"
        assert (early.calendar_id, early.response_due_at) == (covered["office"].id, sh(2026, 11, 6, 18, 0))
        assert db.session.scalar(select(CoverageApplied.id).where(CoverageApplied.request_id == early.id)) is None
        # Friday 18:00: 1 h on office hours is Monday 10:00, 7×24's 8 h Saturday 02:00: the add-on wins.
        late = raise_at(covered, world, clock, datetime(2026, 11, 6, 18, 30, tzinfo=SHANGHAI))
        assert applied_coverage(late)["source"].startswith(NAME)
        assert late.response_due_at == sh(2026, 11, 7, 2, 30)
    finally:
        pm.unregister(faster)


def test_s13_1_the_timeline_names_the_coverage_in_the_reader_s_language(db, world, covered, clock, client):
    agreement = propose(covered, world, date(2026, 11, 5))
    sign(agreement, world)
    req = raise_at(covered, world, clock, FRIDAY_EVENING)
    url = f"/t/alpha/requests/{req.id}"
    client.sign_in(world.person("alpha", "vendor_admin").email)

    def timeline():
        return client.get(url).get_data(as_text=True).split('data-testid="timeline"', 1)[1]

    assert f"Extended coverage (add-on agreement {agreement.number})" in timeline()
    client.post_form("/language", {"lang": "zh_Hans_CN", "next": url})
    zh = timeline()
    assert f"延伸支持（附加服务协议 {agreement.number}）" in zh and "Extended coverage (add-on" not in zh


def test_s13_1_unknown_or_no_category_codes_are_refused_and_nothing_is_written(db, world, covered, clock):
    before = db.session.scalar(select(func.count(AddonAgreement.id)))
    for text, why in (("consult, NOPE, zz", "NOPE, ZZ is not a category code"), (" , ", "name at least one")):
        with pytest.raises(ServiceError, match=why):
            propose(covered, world, date(2026, 11, 5), categories=text)
        db.session.rollback()
    assert db.session.scalar(select(func.count(AddonAgreement.id))) == before
    with pytest.raises(ServiceError, match="NOPE is not a category code"):
        addons.save_offer(
            covered["tenant"],
            {"addon_type": NAME, "name_zh": "x", "name_en": "x", "monthly_fee": "1", "terms": {"categories": "nope"}},
            world.person("alpha", "vendor_admin"),
        )
    db.session.rollback()
    either_comma = propose(covered, world, date(2026, 11, 5), categories="Consult，fault")
    assert either_comma.terms["categories"] == "Consult，fault"
