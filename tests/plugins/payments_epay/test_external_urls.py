"""§3.2.3 the addresses handed to the provider are built on BASE_URL: a forged Host header cannot divert notices."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from plugins.payments_epay.models import EpayTrade
from tests.plugins.payments_epay.conftest import NAME, NOTIFY

#: The address an attacker (or a careless proxy) puts in the Host header of the payer's requests.
FORGED = "127.0.0.1:44767"


@pytest.fixture
def payer(app, client, world):
    """The client admin of alpha's first client, whose browser names another host in every request."""
    browser = app.test_client()
    browser.environ_base["HTTP_HOST"] = FORGED
    browser.sign_in(world.person("alpha", "client_admin").email)
    return browser


def test_s3_2_3_a_forged_host_does_not_choose_where_the_provider_sends_its_notices(app, db, alpha, invoice, payer):
    response = payer.post_form(f"/t/alpha/portal/invoices/{invoice.id}/pay", {"method": NAME})
    assert response.status_code == 302 and f"/t/alpha/p/{NAME}/trades/" in response.location
    trade = db.session.scalars(select(EpayTrade).order_by(EpayTrade.id.desc())).first()
    assert trade is not None
    base = app.config["BASE_URL"]
    assert trade.notify_url == f"{base}{NOTIFY}"
    assert trade.return_url == f"{base}/t/alpha/portal/invoices/{invoice.id}?returned=1"
    # The signed request the payer carries to the gateway names the same addresses, and the gateway is ours.
    go = payer.get(f"/t/alpha/p/{NAME}/trades/{trade.id}/go")
    url = go.headers["Refresh"].split("url=", 1)[1]
    assert url.startswith(f"{base}/sandbox/alipay/gateway.do?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert (params["notify_url"], params["return_url"]) == (trade.notify_url, trade.return_url)
    assert FORGED not in go.get_data(as_text=True)
