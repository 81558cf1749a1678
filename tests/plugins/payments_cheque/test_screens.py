"""§3.2.2 cheques as people see them: how to pay by cheque on the invoice and its PDF, the client's own cheques,
the navigation and the dashboard figure."""

import re

import pytest

from saas.core.tenants import save_plugin_settings
from tests.plugins.payments_cheque.flow import BASE, cheque_data, record, step

SETTINGS = {
    "payee": "北京阿尔法信息技术有限公司",
    "deposit_bank": "招商银行北京分行",
    "bounce_fee": "50.00",
    "instructions": "请于到期日前将支票送达我司财务部。",
}


def instructions_block(html: str) -> str:
    match = re.search(r'data-testid="instructions-payments_cheque">(.*?)</div>', html, re.S)
    assert match, "no cheque instructions"
    return match.group(1)


def test_hook_saas_payment_methods_offers_cheques_offline(app, db, world, invoices):
    from saas.billing.methods import online_methods, payment_methods

    with app.test_request_context():
        methods = payment_methods(world.tenant("alpha"))
        assert [(m.name, str(m.label), m.online) for m in methods] == [("payments_cheque", "Cheque", False)]
        assert online_methods(world.tenant("alpha")) == []  # no Pay button: a cheque is handed over
        assert payment_methods(world.tenant("beta")) == []


def test_s3_2_2_cheque_instructions_on_the_invoice_page_portal_and_pdf(app, db, client, world, invoices):
    january, _ = invoices
    save_plugin_settings(world.tenant("alpha"), "payments_cheque", SETTINGS)
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    block = instructions_block(client.get(f"/t/alpha/billing/{january.id}").get_data(as_text=True))
    for expected in (
        "北京阿尔法信息技术有限公司",
        "8,000.00",
        "INV-2028-000001",
        world.tenant("alpha").legal_name,
        "请于到期日前将支票送达我司财务部。",
    ):
        assert expected in block
    assert "招商银行北京分行" not in block  # where the vendor deposits is its own business
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"/t/alpha/portal/invoices/{january.id}").get_data(as_text=True)
    assert "北京阿尔法信息技术有限公司" in instructions_block(portal)
    assert 'data-testid="pay-payments_cheque"' not in portal  # no Pay button: cheques are not paid online
    from flask import has_request_context

    from saas.billing import document

    assert not has_request_context()  # as in the job that mails the invoice with its PDFs
    html = document.render_html(january, "zh_Hans_CN")
    english = document.render_html(january, "en")
    assert document.render_pdf(january, "zh_Hans_CN").startswith(b"%PDF")
    for expected in ("北京阿尔法信息技术有限公司", "INV-2028-000001", "请于到期日前将支票送达我司财务部。"):
        assert expected in html
    assert "Payable to" in english and "By cheque" in english


def test_s3_2_2_without_settings_cheques_are_payable_to_the_vendors_legal_name(app, db, client, world, invoices):
    january, _ = invoices
    client.sign_in(world.person("alpha", "client_admin").email)
    block = instructions_block(client.get(f"/t/alpha/portal/invoices/{january.id}").get_data(as_text=True))
    assert f"<strong>{world.tenant('alpha').legal_name}</strong>" in block


def test_s3_2_2_a_paid_invoice_shows_no_cheque_instructions(db, world, invoices, staff):
    january, _ = invoices
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], january))
    step(staff, cheque, "deposit", on="2028-03-04")
    step(staff, cheque, "clear", on="2028-03-05")
    assert 'data-testid="instructions-payments_cheque"' not in staff.get(f"/t/alpha/billing/{january.id}").get_data(
        as_text=True
    )


def test_s3_2_2_the_client_sees_its_own_cheques_and_no_other_clients(db, client, world, invoices, staff):
    january, _ = invoices
    own, sibling = world.clients("alpha")
    mine = record(staff, db, cheque_data(own, january, number="11110001"))
    step(staff, mine, "deposit", on="2028-03-04")
    step(staff, mine, "bounce", on="2028-03-06", reason="出票人账户余额不足")
    record(staff, db, cheque_data(sibling, None, number="22220002", drawer_name="Sibling drawer"))
    staff.post_form("/logout")
    for role in ("client_admin", "client_user"):
        client.sign_in(world.person("alpha", role).email)
        page = client.get(f"{BASE}/portal").get_data(as_text=True)
        assert "11110001" in page and "出票人账户余额不足" in page and "Bounced" in page
        assert "22220002" not in page and "Sibling drawer" not in page
        assert f'href="/t/alpha/portal/invoices/{january.id}"' in page
        for url in (f"{BASE}/", f"{BASE}/{mine.id}"):  # the register and the cheque page are the vendor's
            assert client.get(url).status_code == 403
        client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_admin_2").email)
    page = client.get(f"{BASE}/portal").get_data(as_text=True)
    assert "22220002" in page and "11110001" not in page
    client.post_form("/logout")
    client.sign_in(world.person("beta", "client_admin").email)
    assert client.get("/t/beta/p/payments_cheque/portal").status_code == 404  # beta takes no cheques
    assert client.get(f"{BASE}/portal").status_code == 404  # and alpha is not theirs


@pytest.mark.parametrize("role", ["vendor_admin", "vendor_billing", "vendor_engineer", "third_party"])
def test_s3_2_2_the_cheque_portal_is_for_the_clients_people(db, client, world, invoices, role):
    client.sign_in(world.person("alpha", role).email)
    assert client.get(f"{BASE}/portal").status_code == 403


def nav_links(html: str) -> list[str]:
    match = re.search(r'<nav class="sidebar".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', match.group(0)) if match else []


def test_hook_saas_nav_items_and_saas_dashboard_cards_of_cheques(db, client, world, invoices, staff):
    record(staff, db, cheque_data(world.clients("alpha")[0], None))
    staff.post_form("/logout")
    seen = {}
    for role, home in [
        ("vendor_admin", "/t/alpha/"),
        ("vendor_billing", "/t/alpha/"),
        ("vendor_engineer", "/t/alpha/"),
        ("client_admin", "/t/alpha/portal/"),
    ]:
        client.sign_in(world.person("alpha", role).email)
        page = client.get(home).get_data(as_text=True)
        seen[role] = (nav_links(page), page)
        client.post_form("/logout")
    settings = "/t/alpha/plugins/payments_cheque/settings"
    assert f"{BASE}/" in seen["vendor_admin"][0] and settings in seen["vendor_admin"][0]
    assert f"{BASE}/" in seen["vendor_billing"][0]
    assert settings not in seen["vendor_billing"][0]
    assert not [link for link in seen["vendor_engineer"][0] if "payments_cheque" in link]
    assert seen["client_admin"][0].count(f"{BASE}/portal") == 1 and f"{BASE}/" not in seen["client_admin"][0]
    card = re.search(
        r'<span class="stat-value">(\d+)</span><span class="stat-label">Cheques not cleared yet</span>',
        seen["vendor_billing"][1],
    )
    assert card and card.group(1) == "1"
    assert "Cheques not cleared yet" not in seen["vendor_engineer"][1]
