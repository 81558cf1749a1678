"""The rows of interventions, claims and third-party disputes for the route-wide isolation test
(tests/core/test_s7_isolation.py), each naming its client so that a leak shows."""

import hashlib
from decimal import Decimal

from plugins.third_party import deadlines, interventions
from plugins.third_party.liability_models import ClaimStatus, ThirdPartyClaim, ThirdPartyClaimFile
from saas.core.clock import local_today, now
from saas.extensions import db


def liability_rows(contract, subcontractor, person, vendor_admin) -> dict:
    """An intervention with its notice, a claim with a file of evidence, and a dispute, on the client's agreement."""
    name = contract.client.legal_name
    today = local_today(contract.tenant)
    intervention = interventions.record(
        contract,
        "B",
        vendor_admin,
        {
            "subcontractor_id": subcontractor.id,
            "occurred_on": today,
            "description": f"Intervention on {name}",
            "cause": "technical",
        },
    )
    interventions.notify(
        intervention,
        "B",
        vendor_admin,
        {"subject": f"Notice for {name}", "body_en": name},
        [("e.txt", "text/plain", b"x")],
    )
    # Written as the row it is: nothing is paid yet at this point of the test's set-up, so the cap would refuse it.
    claim = ThirdPartyClaim(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id,
        claimant_party="B",
        kind="damages",
        direct_amount=Decimal("1.00"),
        direct_description=f"Loss of {name}",
        indirect_amount=Decimal("0.00"),
        total=Decimal("1.00"),
        currency=contract.currency,
        status=ClaimStatus.SUBMITTED,
        submitted_at=now(),
    )
    db.session.add(claim)
    db.session.flush()
    evidence = ThirdPartyClaimFile(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        claim_id=claim.id,
        loss="direct",
        filename="loss.txt",
        content_type="text/plain",
        size=len(name.encode()),
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        data=name.encode(),
        created_at=now(),
    )
    db.session.add(evidence)
    dispute = deadlines.open_about(
        contract, "A", person, {"subcontractor_id": subcontractor.id, "summary": f"Dispute of {name}"}
    )
    db.session.flush()
    return {
        "tp_intervention_id": intervention.id,
        "tp_claim_id": claim.id,
        "tp_claim_file_id": evidence.id,
        "tp_dispute_id": dispute.id,
    }
