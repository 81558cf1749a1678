"""The transfer of obligations' rows for the route-wide isolation test (tests/core/test_s7_isolation.py)."""

from plugins.third_party import transfers
from plugins.third_party.models import Transfer
from saas.contracts import signing
from saas.core.clock import now
from saas.extensions import db


def transfer_rows(contract, agreement, vendor_admin) -> dict:
    """A transfer of the client's agreement to its approved subcontractor, its text frozen for signatures; written
    directly (create_transfer wants the agreements in force on the test's own day). Keyed by its URL argument."""
    transfer = Transfer(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        number=f"{contract.number}-TP01",
        contract_id=contract.id,
        subcontractor_id=agreement.subcontractor_id,
        agreement_id=agreement.id,
        service_ids=list(agreement.service_ids or []),
        category_ids=[],
        starts_on=contract.effective_date,
        created_by_id=vendor_admin.id,
        created_at=now(),
    )
    db.session.add(transfer)
    db.session.flush()
    signing.freeze(contract, transfer.subject, lambda language: transfers.render_document(transfer, language))
    return {"tp_transfer_id": transfer.id}
