"""The cheque plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from datetime import date

from plugins.payments_cheque.services import record


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """A cheque of this client's, received, keyed by the URL argument that names it."""
    cheque = record(
        tenant,
        {
            "client_id": client.id,
            "invoice_id": 0,
            "number": f"{client.id:08d}",
            "drawee_bank": "中国建设银行",
            "drawer_name": client.legal_name,
            "drawer_account": "",
            "cheque_date": date(2026, 1, 10),
            "amount": 100,
            "currency": "CNY",
            "received_on": date(2026, 1, 10),
            "note": "",
        },
        vendor_admin,
    )
    return {"cheque_id": cheque.id}
