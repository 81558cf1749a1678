"""Headless Chromium against the live server: sign-in, language switch, HTMX fragments, CSP, tenant isolation.

Every test uses the `world` (vendors "alpha" and "beta") and the `live_server` fixture from saas.testing.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from saas.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

TIMEOUT_MS = 5_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page with modest timeouts."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return page


def sign_in(page: Page, base: str, email: str, lands_on: str) -> None:
    """Sign in through the login form and wait for the landing page."""
    page.goto(f"{base}/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}{lands_on}")


def sidebar_link(page: Page, href: str):
    return page.locator(f'nav.sidebar a[href="{href}"]')


def test_sign_in_and_dashboard_screenshot(page, browser, live_server, world, artifacts_dir):
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")

    expect(page.get_by_test_id("tenant-name")).to_have_text(world.tenant("alpha").name)
    clients_card = page.locator("a.stat", has=page.locator(".stat-label", has_text=re.compile(r"^Clients$")))
    expect(clients_card).to_have_count(1)
    expect(clients_card.locator(".stat-value")).to_have_text("2")
    expect(clients_card).to_have_attribute("href", "/t/alpha/clients")

    shot = artifacts_dir / "dashboard.png"
    shot.unlink(missing_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists()
    assert shot.stat().st_size > 0

    # A client's admin, in a fresh context (no shared cookies), lands on the client portal.
    context = browser.new_context()
    try:
        portal = context.new_page()
        portal.set_default_timeout(TIMEOUT_MS)
        sign_in(portal, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
        expect(portal.locator("main h1")).to_have_text(world.clients("alpha")[0].legal_name)
        expect(portal.get_by_test_id("tenant-name")).to_have_text(world.tenant("alpha").name)
        expect(sidebar_link(portal, "/t/alpha/clients")).to_have_count(0)
    finally:
        context.close()


def _chinese(app, message: str) -> str:
    """The zh_Hans_CN translation of `message` as the app has it (the message itself when not yet translated)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        return gettext(message)


def test_switch_language(page, live_server, world, app):
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    html = page.locator("html")
    clients_link = sidebar_link(page, "/t/alpha/clients")
    expect(html).to_have_attribute("lang", "en")
    expect(clients_link).to_have_text("Clients")

    with page.expect_navigation():
        page.get_by_test_id("lang-zh_Hans_CN").click()
    page.wait_for_url(f"{live_server}/t/alpha/")
    expect(html).to_have_attribute("lang", "zh-Hans-CN")
    expect(page.get_by_test_id("lang-zh_Hans_CN")).to_have_class(re.compile(r"\bactive\b"))
    translated = _chinese(app, "Clients")
    if translated != "Clients":  # the catalog may not be translated (or compiled) yet
        expect(clients_link).to_have_text(translated)
        expect(clients_link).not_to_have_text("Clients")

    # The choice sticks across pages.
    page.goto(f"{live_server}/t/alpha/clients")
    expect(html).to_have_attribute("lang", "zh-Hans-CN")

    with page.expect_navigation():
        page.get_by_test_id("lang-en").click()
    page.wait_for_url(f"{live_server}/t/alpha/clients")
    expect(html).to_have_attribute("lang", "en")
    expect(clients_link).to_have_text("Clients")
    expect(page.get_by_test_id("lang-en")).to_have_class(re.compile(r"\bactive\b"))


def test_htmx_fragment_navigation(page, live_server, world):
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    first, second = world.clients("alpha")
    first_name, second_name, second_id = first.legal_name, second.legal_name, second.id

    page.goto(f"{live_server}/t/alpha/clients")
    rows = page.locator("#client-rows tr")
    expect(rows).to_have_count(2)
    page.evaluate("window.__marker = 1")

    page.get_by_test_id("client-search").press_sequentially("alpha-c2", delay=20)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(second_name)
    expect(page.locator("#client-results")).not_to_contain_text(first_name)
    page.wait_for_url(re.compile(r"/t/alpha/clients\?q=alpha-c2$"))  # hx-push-url
    assert page.evaluate("window.__marker") == 1, "the search reloaded the whole page"
    expect(page.locator("h1")).to_have_count(1)  # the fragment is the results only, not a page inside the page

    # A client's page: the contact form swaps the contacts block.
    page.goto(f"{live_server}/t/alpha/clients/{second_id}")
    expect(page.locator("main h1")).to_have_text(second_name)
    contacts = page.locator("#contacts")
    expect(contacts.locator("tbody tr")).to_have_count(1)  # "No contacts yet."
    page.evaluate("window.__marker = 2")

    form = page.get_by_test_id("contact-form")
    form.locator("input[name=name]").fill("Wang Xiaoming")
    form.locator("input[name=title]").fill("IT manager")
    form.locator("input[name=email]").fill("wang@client2.example.com")
    form.locator("input[name=phone]").fill("+86 21 5555 0100")
    form.locator("input[name=is_billing]").check()
    with page.expect_response(lambda r: r.url.endswith(f"/t/alpha/clients/{second_id}/contacts")) as info:
        form.locator("button[type=submit]").click()
    assert info.value.status == 200
    assert info.value.request.headers.get("hx-request") == "true"

    new_row = contacts.locator("tbody tr", has_text="Wang Xiaoming")
    expect(new_row).to_have_count(1)
    expect(new_row).to_contain_text("wang@client2.example.com")
    expect(new_row).to_contain_text("IT manager")
    expect(contacts.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("contact-form").locator("input[name=name]")).to_have_value("")  # a fresh form
    expect(page.locator("#contacts")).to_have_count(1)  # swapped inside, not nested
    assert page.evaluate("window.__marker") == 2, "adding a contact reloaded the whole page"
    page.wait_for_url(f"{live_server}/t/alpha/clients/{second_id}")

    # And it is really stored.
    page.reload()
    expect(page.locator("#contacts tbody tr", has_text="Wang Xiaoming")).to_have_count(1)


def test_csp_holds_on_every_page(page, browser, live_server, world):
    problems: list[str] = []

    def watch(p: Page) -> None:
        p.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        p.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        p.on("response", lambda r: problems.append(f"{r.status} {r.url}") if 400 <= r.status < 500 else None)

    watch(page)
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    client_id = world.clients("alpha")[0].id
    for path in (
        "/t/alpha/",
        "/t/alpha/clients",
        f"/t/alpha/clients/{client_id}",
        "/t/alpha/people",
        "/t/alpha/audit",
        "/t/alpha/plugins",
    ):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), path
        expect(page.locator("main h1").first).to_be_visible()
        if path == "/t/alpha/clients":  # an HTMX swap too: htmx must not inject inline styles or scripts
            page.get_by_test_id("client-search").press_sequentially("c1", delay=20)
            expect(page.locator("#client-rows tr")).to_have_count(1)
    page.wait_for_timeout(200)  # late console messages

    context = browser.new_context()
    try:
        portal = context.new_page()
        portal.set_default_timeout(TIMEOUT_MS)
        watch(portal)
        sign_in(portal, live_server, "client_admin@alpha.example.com", "/t/alpha/portal/")
        response = portal.goto(f"{live_server}/t/alpha/portal/people")
        assert response is not None and response.status == 200
        portal.wait_for_timeout(200)
    finally:
        context.close()

    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, csp
    assert not problems, problems


def test_s7_1_other_vendor_url_shows_not_found_in_browser(page, live_server, world):
    sign_in(page, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    beta = world.vendors["beta"]
    beta_names = [beta["tenant"].name, beta["tenant"].legal_name] + [c.legal_name for c in beta["clients"]]
    beta_names += [p.email for p in beta["people"].values()]  # (their names are role names, as alpha's are)
    beta_client_id = beta["clients"][0].id

    for path in (
        "/t/beta/",
        "/t/beta/clients",
        f"/t/alpha/clients/{beta_client_id}",
        f"/t/beta/clients/{beta_client_id}",
    ):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 404, path
        expect(page.locator("main h1")).to_have_text("404")
        body = page.content()
        for name in (*beta_names, "Marker-beta"):
            assert name not in body, f"{name!r} is visible on {path}"
