"""Part 2 §8.2 in the browser: a subcontractor's engineer signs in, finds the request given to the company in its
queue with the back-to-back targets, acknowledges it, records the arrival on site and resolves it; the vendor then
sees who answered for each minute. In both languages."""

import pytest
from playwright.sync_api import expect

from plugins.third_party import work as tp_work
from tests.browser.test_browser import sign_in
from tests.plugins.third_party.conftest import BASE, raise_in

pytestmark = pytest.mark.browser


def test_p2_s8_the_subcontractors_day(page, browser, live_server, work, world, db, clock, artifacts_dir):
    req = raise_in(work, world, subject="机房 UPS 告警 UPS alarm")
    tp_work.assign(req, work["subs"][0], work["admin"])
    db.session.commit()

    sign_in(page, live_server, work["person"].email, "/t/alpha/third-party")
    page.locator("nav.sidebar").get_by_role("link", name="My company's requests").click()
    row = page.get_by_test_id("tp-queue-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("UPS alarm")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("tp-targets")).to_contain_text("2 working hours")
    page.get_by_test_id("tp-acknowledge").click()
    expect(page.get_by_test_id("request-status")).to_contain_text("Acknowledged")
    clock.advance(minutes=50)
    page.get_by_test_id("tp-arrive").click()
    expect(page.get_by_test_id("tp-visit")).to_have_count(1)
    clock.advance(minutes=40)
    page.get_by_label("How it was resolved").fill("更换 UPS 电池 Replaced the UPS batteries")
    page.get_by_test_id("tp-resolve").click()
    expect(page.get_by_test_id("request-status")).to_contain_text("Resolved")
    page.screenshot(path=str(artifacts_dir / "third-party-resolved.png"), full_page=True)
    page.get_by_test_id("lang-zh_Hans_CN").click()
    expect(page.get_by_test_id("request-status")).to_contain_text("已解决")
    page.goto(f"{live_server}{BASE}/work/record")
    expect(page.get_by_test_id("tp-record")).to_contain_text("按时响应")
    page.screenshot(path=str(artifacts_dir / "third-party-record-zh.png"), full_page=True)

    context = browser.new_context()
    vendor = context.new_page()
    sign_in(vendor, live_server, work["admin"].email, "/t/alpha/")
    vendor.goto(f"{live_server}/t/alpha/requests/{req.id}")
    expect(vendor.get_by_test_id("tp-section")).to_contain_text(work["subs"][0].legal_name)
    expect(vendor.get_by_test_id("tp-segment")).to_have_count(1)  # the subcontractor's 90 minutes, from the assignment
    expect(vendor.get_by_test_id("tp-segment")).to_contain_text("90")
    vendor.screenshot(path=str(artifacts_dir / "third-party-vendor-split.png"), full_page=True)
    context.close()
