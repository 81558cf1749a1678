"""§1.2 renewal: both parties are reminded when talks are due; renewal drafts the successor from current terms."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.contracts import services
from saas.contracts.models import Contract, ContractStatus
from saas.contracts.tasks import refresh_contract_statuses
from saas.core.errors import ServiceError
from saas.core.models import MailMessage


@pytest.fixture
def in_force(db, world, make_contract):
    lines = [("REMOTE", "1", "3000.00"), ("FAULT", "2", "2500.00")]
    contract = make_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2026, 3, 31),
        renewal_notice_months=1,
        lines=lines,
    )
    services.submit_for_signatures(contract)
    services.transition(contract, ContractStatus.ACTIVE, kind="signed")
    db.session.commit()
    return contract


def test_s1_2_both_parties_admins_are_reminded_once(db, clock, world, in_force):
    clock.set(datetime(2027, 2, 27, 16, 0, tzinfo=UTC))  # 2027-02-28 in Shanghai: one month before 2027-03-31
    assert refresh_contract_statuses()["expiring"] == 1
    assert refresh_contract_statuses()["expiring"] == 0
    mails = db.session.scalars(select(MailMessage).order_by(MailMessage.to)).all()
    assert sorted(m.to for m in mails) == ["client_admin@alpha.example.com", "vendor_admin@alpha.example.com"]
    body = mails[0].body_text
    assert in_force.number in body and "2027-03-30" in body and "续签" in body and "renewal talks" in body
    assert "/t/alpha/portal/contracts/" in mails[0].body_text  # the client's admin gets the portal link


def test_s1_2_renewal_drafts_the_successor_from_current_terms(db, world, in_force):
    successor = services.renew(in_force)
    db.session.commit()
    assert successor.status == ContractStatus.DRAFT and successor.renewal_of_id == in_force.id
    assert successor.effective_date == date(2027, 3, 31) and successor.client_id == in_force.client_id
    assert [(line.description, line.quantity, line.monthly_fee) for line in successor.lines] == [
        (line.description, line.quantity, line.monthly_fee) for line in in_force.lines
    ]
    assert services.monthly_total(successor) == Decimal("8000.00")
    with pytest.raises(ServiceError, match="already has a successor"):
        services.renew(in_force)
    with pytest.raises(ServiceError, match="in force"):
        services.renew(successor)


def test_s1_2_renewal_from_the_screen_and_the_portal_notice(client, db, clock, world, in_force):
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    refresh_contract_statuses()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get(f"/t/alpha/contracts/{in_force.id}").get_data(as_text=True)
    assert 'data-testid="renewal-notice"' in page and "Draft the renewal" in page
    response = client.post_form(f"/t/alpha/contracts/{in_force.id}/renew")
    successor = db.session.scalar(select(Contract).where(Contract.renewal_of_id == in_force.id))
    assert response.headers["Location"] == f"/t/alpha/contracts/{successor.id}/edit"
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    portal = client.get(f"/t/alpha/portal/contracts/{in_force.id}").get_data(as_text=True)
    assert "Renewal talks are due" in portal and successor.number in portal and "Draft the renewal" not in portal
