"""§4.2 in the browser: the client raises a request, the engineer answers and waits on the client, the clock pauses."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from saas.requests import services
from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser


def test_s4_2_request_round_trip_in_the_browser(
    page, browser, live_server, world, make_signed_contract, db, artifacts_dir
):
    tenant = world.tenant("alpha")
    make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 1, 1))
    services.categories(tenant)
    db.session.commit()

    sign_in(page, live_server, "client_user@alpha.example.com", "/t/alpha/portal/")
    page.goto(f"{live_server}/t/alpha/portal/requests/new")
    page.get_by_label("Category").select_option(label="Fault")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Subject").fill("ERP 无法登录")
    page.get_by_label("What happened").fill("所有用户报错 500")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("request-status")).to_have_text("New")
    expect(page.get_by_test_id("sla-response")).to_contain_text("2 working hours")

    staff = browser.new_context(locale="en-US").new_page()
    sign_in(staff, live_server, "vendor_engineer@alpha.example.com", "/t/alpha/")
    staff.goto(f"{live_server}/t/alpha/requests/")
    expect(staff.get_by_test_id("request-row")).to_have_count(1)
    staff.screenshot(path=str(artifacts_dir / "requests-queue.png"), full_page=True)
    staff.get_by_role("link", name="ERP 无法登录").click()
    staff.get_by_label("Message").fill("正在排查，请提供错误截图。")
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_test_id("request-status")).to_have_text("Acknowledged")
    staff.get_by_role("button", name="Wait on client").click()
    expect(staff.get_by_test_id("request-status")).to_have_text("Waiting on client")
    expect(staff.get_by_test_id("sla-panel")).to_contain_text("paused")
    staff.screenshot(path=str(artifacts_dir / "request-detail.png"), full_page=True)

    page.reload()
    expect(page.get_by_test_id("timeline")).to_contain_text("正在排查，请提供错误截图。")
    page.get_by_label("Message").fill("截图见附件")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("request-status")).to_have_text("In progress")

    staff.reload()
    staff.get_by_role("button", name="Mark resolved").click()
    expect(staff.get_by_test_id("request-status")).to_have_text("Resolved")
    page.reload()
    page.get_by_role("button", name="Confirm resolution").click()
    expect(page.get_by_test_id("request-status")).to_have_text("Closed")
    page.screenshot(path=str(artifacts_dir / "request-portal-closed.png"), full_page=True)


POLLED = [
    ("vendor_engineer@alpha.example.com", "/t/alpha/requests/{id}"),
    ("client_user@alpha.example.com", "/t/alpha/portal/requests/{id}"),
]


@pytest.mark.parametrize(("email", "url"), POLLED)
def test_s4_2_sla_panel_poll_refreshes_in_the_browser(
    page, live_server, world, make_signed_contract, db, clock, email, url
):
    """The SLA panel's 30-second poll (HTMX) brings the panel alone, swaps it in, and the time left moves on."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))  # a Monday, 10:00 in Shanghai
    tenant = world.tenant("alpha")
    make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    fault = next(c for c in services.categories(tenant) if c.code == "FAULT")
    req = services.create_request(
        tenant,
        world.clients("alpha")[0].id,
        {"category_id": fault.id, "subject": "ERP"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()  # the page's timers run when the test says, so the poll comes without waiting 30 s

    sign_in(page, live_server, email, "/t/alpha/" if "vendor" in email else "/t/alpha/portal/")
    page.goto(f"{live_server}{url.format(id=req.id)}")
    left = page.get_by_test_id("sla-response").locator(".clock")
    before = left.inner_text()
    clock.advance(minutes=45)
    with page.expect_response(lambda r: r.url.endswith(f"/{req.id}/clock")) as poll:
        page.clock.run_for(31_000)
    assert poll.value.status == 200
    expect(left).not_to_have_text(before)
    expect(page.locator("#sla")).to_have_count(1)  # swapped in place: one panel, no page inside the page
    expect(page.locator("header.topbar")).to_have_count(1)
    with page.expect_response(lambda r: r.url.endswith(f"/{req.id}/clock")) as again:  # the new panel polls on
        page.clock.run_for(31_000)
    assert again.value.status == 200
    assert not errors, errors
