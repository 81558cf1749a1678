"""§10.1 in the browser: the vendor sends a contract for signatures, both parties sign, the client downloads the PDF."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser


def test_s10_1_both_parties_sign_in_the_browser(page, browser, live_server, world, make_contract, artifacts_dir):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    page.goto(f"{live_server}/t/alpha/contracts/{contract.id}")
    page.get_by_role("button", name="Send for signatures").click()
    expect(page.get_by_text("Sent for signatures.")).to_be_visible()
    page.locator("[data-tab=signatures]").click()
    expect(page.get_by_test_id("signatures")).to_contain_text("Not signed yet")
    page.locator("form:has([data-testid=sign-zh_Hans_CN]) input[name=confirm]").check()
    page.get_by_test_id("sign-zh_Hans_CN").click()
    expect(page.get_by_text("Signed for Party B (the vendor).")).to_be_visible()

    client_page = browser.new_context(locale="en-US").new_page()
    sign_in(client_page, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
    client_page.goto(f"{live_server}/t/alpha/portal/contracts/{contract.id}?tab=signatures")
    client_page.locator("form:has([data-testid=sign-en]) input[name=confirm]").check()
    client_page.get_by_test_id("sign-en").click()
    expect(client_page.get_by_text("Signed for Party A (the client).")).to_be_visible()
    expect(client_page.locator("h1 .badge")).to_have_text("In force")
    client_page.screenshot(path=str(artifacts_dir / "contract-signed.png"), full_page=True)

    with client_page.expect_download() as download_info:
        client_page.get_by_role("link", name="PDF").first.click()
    pdf = download_info.value
    assert pdf.suggested_filename == f"{contract.number}-v1-zh_Hans_CN.pdf"
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"
