"""§8.2 applied to the vendor: a month of breached fault responses (§8.1.2) on one service line gives the exact
service credit under each rule, proposed once at the period's end, confirmed once and billed once on the next
invoice as a negative line, or waived for a reason; the client sees its own credits with their evidence."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.billing.models import Invoice, InvoiceLine
from saas.billing.services import bill
from saas.calendars import services as calendar_service
from saas.core import dbscope
from saas.credits import services as credits
from saas.credits.models import CreditRule, CreditStatus, ServiceCredit
from saas.credits.rules import credit_amount, unperformed_fee
from saas.extensions import db
from saas.requests import services as requests
from saas.requests import sla
from saas.requests.models import RequestStatus
from tests.conftest import SHANGHAI

FAULT_FEE = Decimal("5000.00")


@pytest.fixture
def november(db, world, make_signed_contract, clock):
    """Alpha's first client under an agreement in force from 1 November 2026: remote support 3,000.00 and fault
    handling 5,000.00 a month, faults answered within 2 hours around the clock, penalty rate 10%."""
    tenant, client = world.tenant("alpha"), world.clients("alpha")[0]
    clock.set(datetime(2026, 10, 20, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(
        tenant,
        client,
        effective=date(2026, 11, 1),
        lines=[("REMOTE", "1", "3000.00"), ("FAULT", "1", str(FAULT_FEE))],
        fault_response_hours=2,
        service_response_hours=4,
    )
    always = calendar_service.save_calendar(tenant, {"name": "7x24", "timezone": "Asia/Shanghai", "always": True})
    requests.add_standard_categories(tenant, always=always, office=always)
    db.session.commit()
    cats = {c.code: c for c in requests.categories(tenant)}
    return {"tenant": tenant, "client": client, "contract": contract, "cats": cats}


def fault_month(november, world, clock, *, breached: int, answered: int, code: str = "FAULT"):
    """`answered + breached` fault requests on November mornings; the first `breached` go unanswered past their
    2-hour response deadline (recorded by the sweep), the rest are answered within the hour. All resolved."""
    engineer, user = world.person("alpha", "vendor_engineer"), world.person("alpha", "client_user")
    for i in range(breached + answered):
        clock.set(datetime(2026, 11, 2 + i, 9, 0, tzinfo=SHANGHAI))
        req = requests.create_request(
            november["tenant"],
            november["client"].id,
            {"category_id": november["cats"][code].id, "subject": f"故障 {i}", "priority": "high"},
            user,
        )
        db.session.commit()
        clock.advance(hours=3 if i < breached else 1)
        sla.sweep()
        requests.reply(req, engineer, "处理中", by_client=False)
        requests.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
        db.session.commit()


def at_month_end(clock, november, day=date(2026, 12, 1)) -> int:
    """The nightly job of 1 December, 00:20 in Shanghai: November has ended."""
    clock.set(datetime(day.year, day.month, day.day, 0, 20, tzinfo=SHANGHAI))
    with dbscope.tenant(november["tenant"].id):
        proposed = credits.propose_credits(november["tenant"], day)
    db.session.commit()
    return proposed


def only_credit(november) -> ServiceCredit:
    rows = db.session.scalars(select(ServiceCredit).where(ServiceCredit.contract_id == november["contract"].id)).all()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("rule", "basis", "amount"),
    [
        (CreditRule.WHOLE_FEE, "5000.00", "500.00"),  # the whole line's fee × 10%
        (CreditRule.SHARE_OF_REQUESTS, "1250.00", "125.00"),  # 5,000.00 × 3/12 × 10%
        (CreditRule.PER_BREACH, "1500.00", "150.00"),  # 3 × 10% × 5,000.00 × 10%
    ],
)
def test_s8_2_three_missed_fault_responses_give_the_exact_credit_under_each_rule(
    db, world, clock, november, rule, basis, amount
):
    credits.save_policy(november["contract"], rule, Decimal("0.1"), world.person("alpha", "vendor_admin"))
    db.session.commit()
    fault_month(november, world, clock, breached=3, answered=9)

    assert at_month_end(clock, november) == 1
    credit = only_credit(november)
    assert credit.line.service.code == "FAULT"  # the breaches concern the fault-handling line of the fee schedule
    assert (credit.period_start, credit.period_end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert (credit.breaches, credit.requests, credit.breached_requests) == (3, 12, 3)
    assert credit.basis == Decimal(basis) and credit.amount == Decimal(amount)
    assert credit.status == CreditStatus.PROPOSED and credit.clause == "8.2"
    assert {e["clause"] for e in credit.evidence} == {"8.1.2"} and len(credit.evidence) == 3


def test_s8_2_per_breach_credit_is_capped_at_the_line_fee(db, world, clock, november):
    credits.save_policy(
        november["contract"], CreditRule.PER_BREACH, Decimal("0.25"), world.person("alpha", "vendor_admin")
    )
    db.session.commit()
    fault_month(november, world, clock, breached=5, answered=0)  # 5 × 25% = 125% of the fee: capped at 100%
    at_month_end(clock, november)
    credit = only_credit(november)
    assert credit.basis == FAULT_FEE and credit.amount == Decimal("500.00")


def test_s8_2_rules_worked_example_rounds_once_half_up():
    """1 breached of 3 requests on a 1,000.00 line at 10%: 333.333… × 10% = 33.3333… → 33.33, rounded once."""
    exact = unperformed_fee(
        CreditRule.SHARE_OF_REQUESTS,
        Decimal("1000.00"),
        breaches=1,
        requests=3,
        breached_requests=1,
        per_breach_share=Decimal("0.1"),
    )
    assert credit_amount(exact, Decimal("0.1000"), "CNY") == Decimal("33.33")
    assert credit_amount(Decimal("0.125"), Decimal(1), "CNY") == Decimal("0.13")  # half-up, not half-even


def test_s8_2_a_credit_is_proposed_once_whatever_reruns_and_only_once_the_period_ended(db, world, clock, november):
    fault_month(november, world, clock, breached=2, answered=1)
    assert at_month_end(clock, november, day=date(2026, 11, 30)) == 0  # November is not over on the 30th
    assert at_month_end(clock, november) == 1
    assert at_month_end(clock, november) == 0
    assert at_month_end(clock, november, day=date(2026, 12, 2)) == 0
    assert only_credit(november).amount == Decimal("500.00")


def test_s8_2_breaches_of_a_service_not_in_the_fee_schedule_give_no_credit(db, world, clock, november):
    fault_month(november, world, clock, breached=1, answered=0, code="CONSULT")  # consulting: no line for it
    assert at_month_end(clock, november) == 0


def test_s8_2_a_confirmed_credit_is_billed_once_on_the_next_invoice_as_a_negative_line(db, world, clock, november):
    fault_month(november, world, clock, breached=3, answered=0)
    at_month_end(clock, november)
    credit = only_credit(november)
    tenant = november["tenant"]
    with dbscope.tenant(tenant.id):
        bill(tenant, [november["contract"].id], date(2026, 12, 1))  # November's invoice: the credit is undecided
    db.session.commit()
    november_invoice = db.session.scalar(select(Invoice).where(Invoice.period_start == date(2026, 11, 1)))
    assert november_invoice.total == Decimal("8000.00")

    assert credits.confirm(credit, world.person("alpha", "vendor_billing"), "按 8.2 条") is True
    assert credits.confirm(credit, world.person("alpha", "vendor_billing")) is False  # a second click: nothing
    db.session.commit()
    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))
    with dbscope.tenant(tenant.id):
        assert bill(tenant, [november["contract"].id], date(2027, 1, 1)) == 1
        assert bill(tenant, [november["contract"].id], date(2027, 1, 1)) == 0  # the run again: nothing twice
    db.session.commit()
    december = db.session.scalar(select(Invoice).where(Invoice.period_start == date(2026, 12, 1)))
    lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == december.id)).all()
    credit_lines = [line for line in lines if line.kind == "credit"]
    assert [line.amount for line in credit_lines] == [Decimal("-500.00")]
    assert "§8.2" in credit_lines[0].description and "2026-11-01" in credit_lines[0].description
    assert december.total == Decimal("7500.00")
    db.session.refresh(credit)
    assert credit.status == CreditStatus.BILLED and credit.billed_invoice_id == december.id
    assert credits.billing_lines(tenant, [november["contract"].id]) == []


def test_s8_2_a_waiver_needs_a_reason_and_a_waived_credit_is_never_billed(db, world, clock, november):
    fault_month(november, world, clock, breached=1, answered=0)
    at_month_end(clock, november)
    credit = only_credit(november)
    billing = world.person("alpha", "vendor_billing")
    with pytest.raises(credits.CreditError, match="Say why"):
        credits.waive(credit, billing, "  ")
    assert credits.waive(credit, billing, "客户同意免除 The client agreed") is True
    db.session.commit()
    with pytest.raises(credits.CreditError, match="waived"):
        credits.confirm(credit, billing)
    assert credits.billing_lines(november["tenant"], [november["contract"].id]) == []


def test_s8_2_no_credit_when_the_agreement_sets_no_penalty_rate(db, world, clock, november, make_signed_contract):
    second = world.clients("alpha")[1]
    clock.set(datetime(2026, 10, 20, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(
        november["tenant"],
        second,
        effective=date(2026, 11, 1),
        lines=[("FAULT", "1", "5000.00")],
        fault_response_hours=2,
        penalty_rate=Decimal(0),
    )
    db.session.commit()
    nil = {**november, "client": second, "contract": contract}
    fault_month(nil, world, clock, breached=2, answered=0)
    assert at_month_end(clock, nil) == 0


def test_s8_2_billing_staff_confirm_on_the_page_and_the_client_sees_its_credit(db, client, world, clock, november):
    fault_month(november, world, clock, breached=3, answered=1)
    at_month_end(clock, november)
    credit = only_credit(november)

    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get("/t/alpha/credits/").get_data(as_text=True)
    assert "Service credits" in page and "500.00" in page
    detail = client.get(f"/t/alpha/credits/{credit.id}").get_data(as_text=True)
    assert "Fee of the unperformed part" in detail and "§8.1.2" in detail
    refused = client.post_form(f"/t/alpha/credits/{credit.id}/waive", {"reason": ""})
    assert refused.status_code == 422 and "Say why the credit is waived." in refused.get_data(as_text=True)
    fragment = client.post_form(f"/t/alpha/credits/{credit.id}/confirm", {"note": ""}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="credit-decision"' in body and "Credit confirmed" in body
    db.session.expire_all()
    assert db.session.get(ServiceCredit, credit.id).status == CreditStatus.CONFIRMED

    client.sign_in(world.person("alpha", "client_user").email)
    mine = client.get("/t/alpha/portal/credits/").get_data(as_text=True)
    assert "500.00" in mine
    shown = client.get(f"/t/alpha/portal/credits/{credit.id}").get_data(as_text=True)
    assert "The breaches it rests on" in shown and "confirm-credit" not in shown
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the vendor's other client
    assert client.get(f"/t/alpha/portal/credits/{credit.id}").status_code == 404
    assert "500.00" not in client.get("/t/alpha/portal/credits/").get_data(as_text=True)


def test_s8_2_the_contract_page_shows_what_the_breaches_cost_this_year(db, client, world, clock, november):
    fault_month(november, world, clock, breached=3, answered=0)
    at_month_end(clock, november)
    credits.confirm(only_credit(november), world.person("alpha", "vendor_billing"))
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(f"/t/alpha/contracts/{november['contract'].id}").get_data(as_text=True)
    assert "Service credits (§8.2)" in page and 'data-testid="credit-totals"' in page
    assert "§8.1.2" in page and "500.00" in page


def test_s8_2_the_credit_rule_form_refuses_a_share_out_of_range_in_both_languages(db, client, world, november):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"/t/alpha/credits/rule/{november['contract'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "penalty rate (10%)" in page and "1E+1" not in page
    refused = client.post_form(url, {"rule": "per_breach", "per_breach_percent": "150"})
    assert refused.status_code == 422 and "Between 0.01% and 100%." in refused.get_data(as_text=True)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    refused = client.post_form(url, {"rule": "per_breach", "per_breach_percent": "0"})
    assert refused.status_code == 422 and "0.01% 至 100%" in refused.get_data(as_text=True)
    saved = client.post_form(url, {"rule": "per_breach", "per_breach_percent": "12.5"})
    assert saved.status_code == 302
    assert credits.policy_of(november["contract"]).per_breach_share == Decimal("0.1250")
    assert client.post_form(url, {"rule": "everything", "per_breach_percent": "10"}).status_code == 422


def test_s8_2_the_nightly_job_is_declared_before_the_billing_run():
    from saas.cron import periodic_jobs

    jobs = {job.func.__name__: job for job in periodic_jobs()}
    assert jobs["propose_service_credits"].cron == "20 16 * * *"  # 00:20 in Shanghai
    assert jobs["run_billing"].cron == "30 16 * * *"  # 00:30: a credit confirmed by then is on that night's invoice


def test_s8_2_made_up_page_cursors_show_the_first_page_never_a_500(db, client, world, clock, november):
    fault_month(november, world, clock, breached=1, answered=0)
    at_month_end(clock, november)
    client.sign_in(world.person("alpha", "vendor_billing").email)
    for after in ("0-" + "9" * 40, "7-1", "x-1", "1-", "-", "0-99999999999"):
        for url in (f"/t/alpha/credits/?after={after}", f"/t/alpha/billing/penalties/?after={after}"):
            assert client.get(url).status_code == 200, url


def test_p3_parse_ranked_cursor_reads_only_what_a_page_gave_out():
    from saas.core.parsing import parse_ranked_cursor

    assert parse_ranked_cursor("1-42") == (1, 42)
    assert [parse_ranked_cursor(v) for v in ("2-42", "0-" + "9" * 12, "0-0", "0", None, "０-1")] == [None] * 6
