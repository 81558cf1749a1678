"""§3.1–§3.2 in the browser: billing staff see the month's invoice, record the transfer; the client sees it paid."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from saas.billing import services
from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser


def test_s3_2_1_a_transfer_recorded_in_the_browser_pays_the_invoice(
    page, browser, live_server, world, db, clock, make_signed_contract, artifacts_dir
):
    contract = make_signed_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2026, 2, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "2", "2500.00")],
    )
    services.bill(world.tenant("alpha"), [contract.id], date(2026, 3, 1))
    db.session.commit()
    clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))

    sign_in(page, live_server, "vendor_billing@alpha.example.com", "/t/alpha/")
    page.goto(f"{live_server}/t/alpha/billing/")
    page.get_by_role("link", name="INV-2026-000001").click()
    expect(page.get_by_test_id("invoice-total")).to_contain_text("8,000.00")
    page.get_by_label("Amount received").fill("8000.00")
    page.get_by_label("Reference (bank transaction, receipt)").fill("工行流水 0105-001")
    page.get_by_label("Received on").fill("2026-03-05")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    page.screenshot(path=str(artifacts_dir / "invoice-paid.png"), full_page=True)

    client_page = browser.new_context(locale="zh-CN").new_page()
    sign_in(client_page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    client_page.goto(f"{live_server}/t/alpha/portal/invoices/")
    expect(client_page.get_by_test_id("invoice-row")).to_contain_text("已付清")
    client_page.screenshot(path=str(artifacts_dir / "portal-invoices-zh.png"), full_page=True)
