"""The e-payment plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from urllib.parse import parse_qs, urlsplit

from plugins.payments_epay.services import cashier_url, start
from saas.core.tenants import save_plugin_settings


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """An online payment of the core's invoice, started at the sandbox gateway; its signed pay request for it."""
    save_plugin_settings(tenant, "payments_epay", {"provider": "sandbox"})
    trade = start(tenant, rows["invoice"], "https://example.com/back", "https://example.com/notify")
    pay_request = {k: v[0] for k, v in parse_qs(urlsplit(cashier_url(tenant, trade)).query).items()}
    return {"trade_id": trade.id, "epay_pay_request": pay_request}
