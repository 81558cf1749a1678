"""§3.2.2 in the browser: billing staff record a cheque (the invoice list follows the client), deposit and clear it,
then the bank returns it; the client sees it in the portal."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from saas.billing import services
from saas.core.tenants import save_plugin_settings
from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_s3_2_2_a_cheque_recorded_cleared_and_returned_in_the_browser(
    page, browser, live_server, world, db, clock, enable_plugin, make_signed_contract, artifacts_dir
):
    alpha = world.tenant("alpha")
    enable_plugin(alpha, "payments_cheque")
    save_plugin_settings(
        alpha,
        "payments_cheque",
        {
            "payee": "Alpha 信息技术有限公司",
            "deposit_bank": "招商银行北京分行",
            "bounce_fee": "50.00",
            "instructions": "",
        },
    )
    clock.set(datetime(2026, 1, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(
        alpha,
        world.clients("alpha")[0],
        effective=date(2026, 2, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "2", "2500.00")],
    )
    clock.set(datetime(2026, 3, 1, 1, tzinfo=SHANGHAI))
    services.bill(alpha, [contract.id], date(2026, 3, 1))
    db.session.commit()
    clock.set(datetime(2026, 3, 10, 10, tzinfo=SHANGHAI))
    page.on("dialog", lambda dialog: dialog.accept())  # "Mark this cheque bounced?"

    sign_in(page, live_server, "vendor_billing@alpha.example.com", "/t/alpha/")
    page.locator("nav.sidebar").get_by_role("link", name="Cheques").click()
    page.get_by_role("link", name="Record a cheque").click()
    invoice = page.get_by_label("Invoice it pays")
    expect(invoice.locator("option")).to_have_count(1)  # no client chosen yet
    page.get_by_label("Client").select_option(label=world.clients("alpha")[0].legal_name)
    expect(invoice.locator("option")).to_have_count(2, timeout=15000)  # swapped in by HTMX: the client's open invoice
    invoice.select_option(index=1)
    page.get_by_label("Cheque number").fill("1020 3040")
    page.get_by_label("Bank it is drawn on").fill("中国工商银行北京海淀支行")
    page.get_by_label("Drawer (who signed it)").fill(world.clients("alpha")[0].legal_name)
    page.get_by_label("Date on the cheque").fill("2026-03-03")
    page.get_by_label("Received on").fill("2026-03-03")
    page.get_by_label("Amount").fill("8000.00")
    page.screenshot(path=str(artifacts_dir / "cheque-record.png"), full_page=True)
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("cheque-status")).to_have_text("Received")
    page.get_by_label("Deposited on").fill("2026-03-04")
    page.get_by_role("button", name="Mark deposited").click()
    expect(page.get_by_test_id("cheque-status")).to_have_text("Deposited")
    page.get_by_label("Cleared on").fill("2026-03-06")
    page.get_by_role("button", name="Mark cleared").click()
    expect(page.get_by_test_id("cheque-status")).to_have_text("Cleared")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    page.screenshot(path=str(artifacts_dir / "cheque-cleared.png"), full_page=True)
    page.get_by_label("Returned on").fill("2026-03-09")
    page.get_by_label("Reason the bank gave").fill("付款行退票：签章与预留印鉴不符")
    page.get_by_role("button", name="Mark bounced").click()
    expect(page.get_by_test_id("cheque-status")).to_have_text("Bounced")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")  # it owes again
    expect(page.get_by_test_id("bounce-fee")).to_contain_text("waits for the next invoice")
    page.screenshot(path=str(artifacts_dir / "cheque-bounced.png"), full_page=True)
    page.get_by_role("link", name="All cheques").click()
    expect(page.get_by_test_id("cheque-row")).to_contain_text("10203040")
    page.screenshot(path=str(artifacts_dir / "cheque-register.png"), full_page=True)

    client_page = browser.new_context(locale="zh-CN").new_page()
    sign_in(client_page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    client_page.goto(f"{live_server}/t/alpha/p/payments_cheque/portal")
    expect(client_page.get_by_test_id("cheque-row")).to_contain_text("付款行退票")
    client_page.screenshot(path=str(artifacts_dir / "cheque-portal-zh.png"), full_page=True)
    client_page.goto(f"{live_server}/t/alpha/portal/invoices/")
    client_page.get_by_role("link", name="INV-2026-000001").click()
    expect(client_page.get_by_test_id("instructions-payments_cheque")).to_contain_text("Alpha 信息技术有限公司")
    client_page.screenshot(path=str(artifacts_dir / "cheque-instructions-zh.png"), full_page=True)
