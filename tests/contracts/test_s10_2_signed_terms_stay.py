"""§10.2: what both parties signed changes only by a signed amendment, and only while the contract is in force."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from saas.contracts import changes, services, signing
from saas.contracts.models import ContractLine, ContractStatus, TamperError
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.errors import ServiceError


@pytest.fixture
def in_force(world, make_contract, signed_by_both):
    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    signed_by_both(contract)
    return contract


def test_s10_2_signed_fee_lines_cannot_be_removed_or_added(db, in_force):
    in_force.lines.clear()
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        ContractLine(
            tenant_id=in_force.tenant_id,
            client_id=in_force.client_id,
            contract_id=in_force.id,
            description="smuggled",
            quantity=Decimal(1),
            monthly_fee=Decimal(1),
        )
    )
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()


def test_s10_2_a_signed_contract_cannot_be_walked_back_to_draft_to_edit_it(db, in_force):
    in_force.status = ContractStatus.DRAFT
    with pytest.raises(TamperError):
        db.session.flush()
    db.session.rollback()
    in_force.ends_on = date(2030, 1, 1)
    with pytest.raises(TamperError):
        db.session.commit()
    db.session.rollback()


def test_s10_2_a_change_agreement_is_not_applied_once_the_contract_is_no_longer_in_force(db, clock, world, in_force):
    change = changes.propose_termination(in_force, date(2026, 6, 30), "")
    db.session.commit()
    clock.set(datetime(2027, 2, 1, tzinfo=UTC))
    refresh_contract_statuses()
    document = signing.documents_for(in_force, change.subject)[0]
    with pytest.raises(ServiceError, match="in force"):
        changes.sign_change(change, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)


def test_s10_2_retyping_the_same_rate_is_not_a_change(db, in_force):
    terms = {name: getattr(in_force, name) for name in services.TERM_FIELDS} | {"penalty_rate": Decimal("0.1")}
    lines = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": ln.monthly_fee,
        }
        for ln in in_force.lines
    ]
    with pytest.raises(ServiceError, match="changes nothing"):
        changes.propose_amendment(in_force, terms, lines, date(2026, 6, 1), "")
