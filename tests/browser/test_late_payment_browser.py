"""§8.1.4 and §8.2 in the browser: billing staff waive and confirm penalties in place (HTMX rows), the vendor admin
sets the reminder days, and both parties see the late payments on the agreement's page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from saas.billing import services
from saas.billing.tasks import mark_overdue_invoices
from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_s8_2_billing_staff_waive_and_confirm_penalties_in_the_browser(
    page, browser, live_server, world, db, clock, make_signed_contract, artifacts_dir
):
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
    )
    clock.set(datetime(2028, 3, 1, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 3, 1))  # January and February, due 31 March
    db.session.commit()
    clock.set(datetime(2028, 4, 3, 0, 10, tzinfo=SHANGHAI))
    assert mark_overdue_invoices() == 2

    sign_in(page, live_server, "vendor_billing@alpha.example.com", "/t/alpha/")
    page.locator('nav.sidebar a[href="/t/alpha/billing/penalties/"]').click()
    rows = page.get_by_test_id("penalty-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("800.00")
    page.screenshot(path=str(artifacts_dir / "penalties-proposed.png"), full_page=True)

    first, second = rows.nth(0), rows.nth(1)
    first.get_by_test_id("waive-penalty").click()  # no reason: refused in place
    expect(first.locator(".error")).to_have_text("Say why the penalty is waived.")
    first.get_by_placeholder("Reason for waiving").fill("首次逾期，免除")
    first.get_by_test_id("waive-penalty").click()
    expect(first.get_by_test_id("penalty-status")).to_have_text("Waived")
    second.get_by_placeholder("Note (optional)").fill("已电话通知")
    second.get_by_test_id("confirm-penalty").click()
    expect(second.get_by_test_id("penalty-status")).to_have_text("Confirmed")
    expect(second).to_contain_text("已电话通知")
    page.screenshot(path=str(artifacts_dir / "penalties-decided.png"), full_page=True)

    page.goto(f"{live_server}/t/alpha/contracts/{contract.id}")
    expect(page.get_by_test_id("payment-breach-row")).to_have_count(2)
    page.get_by_test_id("payment-breaches").screenshot(path=str(artifacts_dir / "contract-late-payments.png"))

    client_page = browser.new_context(locale="zh-CN").new_page()
    sign_in(client_page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    client_page.goto(f"{live_server}/t/alpha/portal/contracts/{contract.id}")
    expect(client_page.get_by_test_id("payment-breach-row")).to_have_count(2)
    client_page.screenshot(path=str(artifacts_dir / "portal-contract-late-payments-zh.png"), full_page=True)


def test_s8_1_4_the_vendor_admin_sets_the_reminder_days_in_the_browser(page, live_server, world, db, artifacts_dir):
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    page.locator('nav.sidebar a[href="/t/alpha/billing/settings/"]').click()
    days = page.get_by_label("Payment reminder days")
    expect(days).to_have_value("-3,1,7,30")
    days.fill("-3, 1, 七")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error")).to_have_text("“七” is not a whole number of days.")
    expect(days).to_have_value("-3, 1, 七")
    page.screenshot(path=str(artifacts_dir / "billing-settings-error.png"), full_page=True)
    days.fill("14, -3, 1")
    page.get_by_label("Review invoices before they go out").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(days).to_have_value("-3,1,14")
    expect(page.get_by_label("Review invoices before they go out")).to_be_checked()
