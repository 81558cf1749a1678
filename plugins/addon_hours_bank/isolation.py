"""The hours bank's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from sqlalchemy import select

from plugins.addon_hours_bank.services import NAME, log_time
from saas.addons.services import propose, save_offer
from saas.contracts.models import Contract
from saas.core.clock import local_date
from saas.extensions import db
from saas.requests.models import ServiceRequest


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """An hours-bank offer, an agreement of it proposed under this client's main agreement, and time logged on the
    client's request, keyed by the URL arguments that name them (the add-ons domain's offer_id and agreement_id)."""
    contract = db.session.get(Contract, rows["invoice"].contract_id)
    offer = save_offer(
        tenant,
        {
            "addon_type": NAME,
            "name_zh": f"工时包 {client.id}",
            "name_en": f"Hours bank {client.id}",
            "monthly_fee": "2000.00",
            "unit_price": "300.00",
            "terms": {"hours_per_month": "20", "one_off_hours": "0", "rollover": "next_month"},
        },
        vendor_admin,
    )
    agreement = propose(contract, offer, {}, vendor_admin)  # from today, to the main agreement's end
    req = db.session.scalar(
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == tenant.id, ServiceRequest.client_id == client.id)
        .order_by(ServiceRequest.id)
        .limit(1)
    )
    day = local_date(tenant, req.received_at)
    entry, _made = log_time(req, {"hours": "1.5", "worked_on": day, "kind": "on_site", "note": "x"}, None)
    return {"offer_id": offer.id, "agreement_id": agreement.id, "entry_id": entry.id}
