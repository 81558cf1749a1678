"""The third-party plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from datetime import date

from sqlalchemy import select
from stdnum.cn import uscc

from plugins.third_party import services
from saas.contracts.models import Contract
from saas.extensions import db


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """A subcontractor named after the client, its qualification, and its proposal for the client's agreement,
    keyed by the URL argument that names each."""
    body = f"91310000MA{client.id:07d}"[:17]
    subcontractor = services.save_subcontractor(
        tenant,
        {
            "legal_name": f"Subcontractor of {client.legal_name}",
            "uscc": body + uscc.calc_check_digit(body),
            "address": "",
            "contact_name": f"Contact of {client.legal_name}",
            "contact_phone": "021-00000000",
            "contact_email": "",
            "service_ids": [],
            "regions": "上海",
        },
        vendor_admin,
    )
    qualification = services.add_qualification(
        subcontractor, {"name": f"Qualification of {client.legal_name}", "expires_on": date(2026, 2, 1)}, vendor_admin
    )
    contract = db.session.scalar(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.client_id == client.id, Contract.status.in_(services.IN_FORCE))
        .order_by(Contract.id.desc())
    )
    proposal = services.propose(subcontractor, contract, f"Scope for {client.legal_name}", vendor_admin)
    from plugins.third_party.liability_isolation import liability_rows

    return {
        "subcontractor_id": subcontractor.id,
        "qualification_id": qualification.id,
        "tp_proposal_id": proposal.id,
        **liability_rows(contract, subcontractor, person, vendor_admin),
    }
