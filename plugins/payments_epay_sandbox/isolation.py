"""The sandbox gateway's rows for the route-wide isolation test (tests/core/test_s7_isolation.py).

Runs after the e-payment plugin's (plugins in name order), whose pay request it opens, as a payer's browser would.
"""

from plugins.payments_epay_sandbox.gateway import check_request, open_trade


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """The gateway's side of the e-payment plugin's trade: its app and its trade."""
    open_trade(check_request(rows["epay_pay_request"]), rows["epay_pay_request"])
    return {}
