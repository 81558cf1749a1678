"""§8.2 and §9 in the browser: the client contests a waived service credit, the vendor takes the dispute to the
mediation committee and records the outcome for the client; the credit is taken off the next invoice, which the
client sees in the portal."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from saas.billing import services as billing
from saas.billing.models import Invoice
from saas.credits.models import CreditStatus
from tests.browser.test_browser import sign_in
from tests.conftest import service_credit

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_s9_2_a_contested_credit_goes_to_mediation_and_ends_on_the_invoice(
    page, browser, live_server, world, db, clock, make_signed_contract, artifacts_dir
):
    alpha = world.tenant("alpha")
    clock.set(datetime(2026, 10, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(
        alpha,
        world.clients("alpha")[0],
        effective=date(2026, 11, 1),
        mediation_venue="北京市海淀区人民调解委员会",
        court_venue="北京市海淀区人民法院",
    )
    credit = service_credit(contract, status=CreditStatus.WAIVED, note="日志不全")
    db.session.commit()
    clock.set(datetime(2026, 12, 2, 10, tzinfo=SHANGHAI))

    sign_in(page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    page.goto(f"{live_server}/t/alpha/portal/credits/{credit.id}")
    page.get_by_test_id("contest-credit").click()
    page.get_by_label("What is disputed, and why").fill("两次远程支持请求都超时了，日志不是响应的前提。")
    page.get_by_role("button", name="Open the dispute").click()
    expect(page.get_by_test_id("dispute-ladder")).to_contain_text("Negotiation (§9.1)")
    page.screenshot(path=str(artifacts_dir / "dispute-opened.png"), full_page=True)

    context = browser.new_context()
    vendor = context.new_page()
    sign_in(vendor, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    vendor.locator("nav.sidebar").get_by_role("link", name="Disputes").click()
    vendor.get_by_role("link", name="ZY-2026-0001").click()
    vendor.get_by_label("How this step ended").fill("协商未达成一致")
    vendor.get_by_test_id("escalate-dispute").click()
    ladder = vendor.get_by_test_id("dispute-ladder")
    expect(ladder).to_contain_text("北京市海淀区人民调解委员会")  # the agreement's committee (§9.2)
    vendor.get_by_label("Outcome").select_option("for_client")
    vendor.get_by_label("What was decided or agreed").fill("调解委员会认定响应超时属实，恢复服务抵扣。")
    vendor.get_by_test_id("resolve-dispute").click()
    expect(vendor.get_by_test_id("dispute-outcome")).to_contain_text("In Party A's (the client's) favour")
    vendor.screenshot(path=str(artifacts_dir / "dispute-resolved.png"), full_page=True)
    context.close()

    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))
    billing.bill(alpha, [contract.id], date(2027, 1, 1))  # November and December: the credit on the last
    db.session.commit()
    december = db.session.scalar(select(Invoice).where(Invoice.period_start == date(2026, 12, 1)))
    page.goto(f"{live_server}/t/alpha/portal/invoices/{december.id}")
    expect(page.locator("main")).to_contain_text("§8.2")
    expect(page.locator("main")).to_contain_text("-CN¥300.00")  # the credit line
    expect(page.locator("main")).to_contain_text("CN¥2,700.00")  # 3,000.00 less the credit
    page.screenshot(path=str(artifacts_dir / "dispute-invoice.png"), full_page=True)
