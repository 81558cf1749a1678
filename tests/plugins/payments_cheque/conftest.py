"""Fixtures of the cheque plugin's tests: alpha takes cheques, and its first client owes two monthly invoices."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from saas.billing import services
from saas.billing.models import Invoice
from tests.plugins.payments_cheque.flow import SHANGHAI


@pytest.fixture
def invoices(db, world, enable_plugin, make_signed_contract, clock):
    """alpha has enabled cheques; its first client owes 8,000.00 for January and for February 2028, both issued on
    2 March (due 1 April); the clock then stands on 10 March 2028."""
    enable_plugin(world.tenant("alpha"), "payments_cheque")
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))  # signed before it takes effect: whole months
    contract = make_signed_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
    )
    clock.set(datetime(2028, 3, 2, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 3, 2))
    db.session.commit()
    clock.set(datetime(2028, 3, 10, 10, tzinfo=SHANGHAI))
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).all()


@pytest.fixture
def staff(client, world):
    """The test client, signed in as alpha's billing staff."""
    client.sign_in(world.person("alpha", "vendor_billing").email)
    return client
