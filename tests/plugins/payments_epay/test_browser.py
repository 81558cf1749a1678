"""§3.2.3 in Chromium: a client admin presses Pay on an invoice, pays at the sandbox cashier, and sees it paid."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser
TIMEOUT_MS = 10_000


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def elsewhere(app, live_server, monkeypatch):
    """The sandbox gateway on another origin (localhost, not 127.0.0.1), as Alipay is: our CSP must let the payer go."""
    url = live_server.replace("127.0.0.1", "localhost")
    monkeypatch.setitem(app.config, "PAYMENTS_EPAY_SANDBOX_URL", url)
    return url


def test_s3_2_3_a_client_pays_an_invoice_online_in_the_browser(
    page, browser, live_server, elsewhere, alpha, invoice, artifacts_dir
):
    sign_in(page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    page.goto(f"{live_server}/t/alpha/portal/invoices/{invoice.id}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")
    expect(page.get_by_test_id("instructions-payments_epay")).to_contain_text("press Pay")
    page.get_by_test_id("pay-payments_epay").click()

    page.wait_for_url(f"{elsewhere}/sandbox/alipay/cashier/*")
    expect(page.get_by_test_id("sandbox-merchant")).to_have_text(alpha.legal_name)
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text("3,000.00")
    expect(page.get_by_test_id("sandbox-cashier")).to_contain_text("Sandbox")
    page.screenshot(path=str(artifacts_dir / "epay-sandbox-cashier.png"), full_page=True)
    page.get_by_test_id("sandbox-pay").click()

    expect(page.get_by_test_id("sandbox-status")).to_contain_text("Paid")
    page.wait_for_url(f"{live_server}/t/alpha/portal/invoices/{invoice.id}?returned=1&*")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    expect(page.get_by_test_id("invoice-balance")).to_contain_text("0.00")
    expect(page.get_by_test_id("invoice-payments")).to_contain_text("Online payment")
    page.screenshot(path=str(artifacts_dir / "epay-invoice-paid.png"), full_page=True)

    # Billing staff see the trade, paid, with what the provider said, on their Online payments page.
    staff = browser.new_context().new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    sign_in(staff, live_server, "vendor_billing@alpha.example.com", "/t/alpha/")
    staff.get_by_role("link", name="Online payments").click()
    row = staff.get_by_test_id("trade-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text(invoice.number)
    staff.screenshot(path=str(artifacts_dir / "epay-trades.png"), full_page=True)
    row.locator("code").click()
    expect(staff.get_by_test_id("trade-status")).to_have_text("Paid")
    expect(staff.get_by_test_id("trade-notification")).to_contain_text("TRADE_SUCCESS")
    staff.screenshot(path=str(artifacts_dir / "epay-trade.png"), full_page=True)


def test_s3_2_3_a_client_who_cancels_at_the_cashier_still_owes_the_invoice(
    page, live_server, elsewhere, alpha, invoice, artifacts_dir
):
    sign_in(page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    page.goto(f"{live_server}/t/alpha/portal/invoices/{invoice.id}")
    page.get_by_test_id("pay-payments_epay").click()
    page.get_by_test_id("sandbox-cancel").click()
    page.wait_for_url(f"{live_server}/t/alpha/portal/invoices/{invoice.id}?returned=1")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")
    expect(page.get_by_test_id("payment-returned")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "epay-invoice-cancelled.png"), full_page=True)
