"""§3.2.3 the vendor's Online payments page: every trade, what the provider said of it, newest first."""

import pytest

from plugins.payments_epay import services
from plugins.payments_epay_sandbox import gateway as sandbox
from tests.plugins.payments_epay.conftest import NOTIFY, open_at_gateway, paid_at_gateway, press_pay

URL = "/t/alpha/p/payments_epay/trades"


def test_s3_2_3_billing_staff_see_each_trade_with_the_providers_notification(
    db, app, alpha, invoice, payer, provider, world
):
    paid, waiting = press_pay(payer, invoice), press_pay(payer, invoice)
    gateway_trade = paid_at_gateway(db, open_at_gateway(payer, paid))
    assert provider.post(NOTIFY, data=sandbox.notification(gateway_trade)).get_data(as_text=True) == "success"
    staff = app.test_client()
    staff.sign_in(world.person("alpha", "vendor_billing").email)
    page = staff.get(URL).get_data(as_text=True)
    assert page.count('data-testid="trade-row"') == 2
    assert page.index(waiting.out_trade_no) < page.index(paid.out_trade_no)  # newest first
    assert "Waiting for the provider" in page and ">Paid<" in page
    page = staff.get(f"{URL}?status=paid").get_data(as_text=True)
    assert page.count('data-testid="trade-row"') == 1 and paid.out_trade_no in page
    # A trade's page shows the provider's notification as it came, for whoever has to check.
    page = staff.get(f"{URL}/{paid.id}").get_data(as_text=True)
    assert gateway_trade.trade_no in page and "TRADE_SUCCESS" in page and gateway_trade.app.app_id in page
    assert "sign_type" in page and sandbox.notification(gateway_trade)["sign"][:20] not in page  # not the signature
    page = staff.get(f"{URL}/{waiting.id}").get_data(as_text=True)
    assert "None yet." in page and waiting.out_trade_no in page


def test_s3_2_3_the_trades_page_loads_more_in_pages(db, app, alpha, invoice, payer, world):
    trades = [
        services.start(alpha, invoice, "https://example.com/back", "https://example.com/notify") for _ in range(27)
    ]
    db.session.commit()
    staff = app.test_client()
    staff.sign_in(world.person("alpha", "vendor_admin").email)
    first = staff.get(URL).get_data(as_text=True)
    assert first.count('data-testid="trade-row"') == 25 and trades[-1].out_trade_no in first
    more = staff.get(f"{URL}?before={trades[2].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert more.count('data-testid="trade-row"') == 2 and "<html" not in more
    assert trades[0].out_trade_no in more and trades[2].out_trade_no not in more


@pytest.mark.parametrize("role", ["vendor_engineer", "client_admin", "client_user", "third_party"])
def test_s3_2_3_only_billing_staff_see_the_trades(db, app, alpha, invoice, world, role):
    other = app.test_client()
    other.sign_in(world.person("alpha", role).email)
    assert other.get(URL).status_code == 403
    trade = services.start(alpha, invoice, "https://example.com/back", "https://example.com/notify")
    db.session.commit()
    assert other.get(f"{URL}/{trade.id}").status_code == 403


def test_s3_2_3_a_trade_of_another_vendor_is_not_found(db, app, alpha, invoice, world, enable_plugin):
    trade = services.start(alpha, invoice, "https://example.com/back", "https://example.com/notify")
    db.session.commit()
    enable_plugin(world.tenant("beta"), "payments_epay")
    beta = app.test_client()
    beta.sign_in(world.person("beta", "vendor_admin").email)
    assert beta.get(f"/t/beta/p/payments_epay/trades/{trade.id}").status_code == 404
    assert beta.get(f"{URL}/{trade.id}").status_code == 404
