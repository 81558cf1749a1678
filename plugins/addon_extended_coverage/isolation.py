"""The extended coverage plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from plugins.addon_extended_coverage.services import NAME
from saas.addons import services as addons
from saas.billing.services import in_force
from saas.contracts.models import Contract


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """An offer of this type and an add-on agreement proposed on the client's agreement, by the URL arguments that
    name them (the add-ons screens take them)."""
    contract = Contract.get_in(tenant, rows["invoice"].contract_id)
    offer = addons.save_offer(
        tenant,
        {
            "addon_type": NAME,
            "name_zh": f"延伸支持 {client.id}",
            "name_en": f"Coverage {client.id}",
            "monthly_fee": "100",
        },
        vendor_admin,
    )
    start, _stop = in_force(contract)
    agreement = addons.propose(contract, offer, {"starts_on": start}, vendor_admin)
    return {"offer_id": offer.id, "agreement_id": agreement.id}
