"""Fixtures of online payment: alpha takes payments through the sandbox gateway; its first client owes an invoice."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from plugins.payments_epay import keys
from plugins.payments_epay.models import EpayTrade
from plugins.payments_epay_sandbox import gateway as sandbox
from plugins.payments_epay_sandbox.models import SandboxTrade
from saas.billing import services as billing
from saas.billing.models import Invoice
from saas.core.tenants import save_plugin_settings

NAME = "payments_epay"
#: The stand-in gateway these tests pay against: a plugin of its own, enabled per tenant like any other.
SANDBOX_PLUGIN = "payments_epay_sandbox"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTIFY = f"/pay/notify/alpha/{NAME}"


@pytest.fixture
def alpha(db, world, enable_plugin):
    """Vendor alpha with online payment through the sandbox gateway."""
    tenant = world.tenant("alpha")
    enable_plugin(tenant, NAME)
    enable_plugin(tenant, SANDBOX_PLUGIN)
    save_plugin_settings(tenant, NAME, {"provider": "sandbox"})
    db.session.commit()
    return tenant


@pytest.fixture
def invoice(db, alpha, world, make_signed_contract, clock) -> Invoice:
    """alpha's first client owes 3,000.00 CNY for January 2028; the clock is at 2 February 2028, 09:00 Shanghai."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(alpha, world.clients("alpha")[0], effective=date(2028, 1, 1))
    clock.set(datetime(2028, 2, 2, 9, tzinfo=SHANGHAI))
    billing.bill(alpha, [contract.id], date(2028, 2, 2))
    db.session.commit()
    return db.session.scalar(select(Invoice).where(Invoice.contract_id == contract.id))


@pytest.fixture
def payer(app, client, world):
    """The client admin of alpha's first client, signed in to the portal."""
    browser = app.test_client()
    browser.sign_in(world.person("alpha", "client_admin").email)
    return browser


@pytest.fixture
def provider(app, client):
    """A test client without a session: the payment provider posting its notifications."""
    return app.test_client()


def press_pay(browser, invoice) -> EpayTrade:
    """Press Pay on the invoice in the portal; the trade it started."""
    from saas.extensions import db

    response = browser.post_form(f"/t/alpha/portal/invoices/{invoice.id}/pay", {"method": NAME})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert f"/t/alpha/p/{NAME}/trades/" in response.location, browser.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    trade = db.session.scalars(select(EpayTrade).order_by(EpayTrade.id.desc())).first()
    assert response.location.endswith(f"/t/alpha/p/{NAME}/trades/{trade.id}/go")
    return trade


def cashier_url(browser, trade) -> str:
    """The provider's cashier address the go page forwards the payer to (its Refresh header)."""
    response = browser.get(f"/t/alpha/p/{NAME}/trades/{trade.id}/go")
    assert response.status_code == 200, response.status_code
    return response.headers["Refresh"].split("url=", 1)[1]


def open_at_gateway(browser, trade) -> SandboxTrade:
    """Follow the payer to the sandbox gateway: it opens its side of the trade and sends the payer to its cashier."""
    from saas.extensions import db

    response = browser.get(cashier_url(browser, trade))
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    gateway_trade = db.session.scalar(select(SandboxTrade).where(SandboxTrade.out_trade_no == trade.out_trade_no))
    assert response.location.endswith(f"/sandbox/alipay/cashier/{gateway_trade.token}")
    return gateway_trade


def paid_at_gateway(db, gateway_trade) -> SandboxTrade:
    """The payer paid at the sandbox, and its notification has not arrived (yet)."""
    assert sandbox.pay(gateway_trade)
    db.session.commit()
    return gateway_trade


def resigned(gateway_trade, params: dict, **changes) -> dict:
    """A notification changed and signed again with the gateway's key: a genuine signature over other facts."""
    params = {k: v for k, v in {**params, **changes}.items() if k not in ("sign", "sign_type")}
    params["sign_type"] = "RSA2"
    params["sign"] = keys.sign(gateway_trade.app.gateway_private_key, keys.signing_string(params))
    return params
