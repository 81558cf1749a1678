"""§10.4 the final account at an agreement's end: once terminated, the last cut-short period's fee and every line
still waiting either way (here confirmed service credits) go on one settlement at once; a line that comes later
(a credit upheld after the end) gets a settlement of its own, a credit to the client; nothing is billed twice and the
ordinary run bills nothing more."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from saas.billing import services as billing
from saas.billing.models import Invoice
from saas.billing.settlement import settle, settle_ended
from saas.billing.tasks import settle_ended_agreements
from saas.contracts import changes
from saas.core.errors import ServiceError
from saas.credits import services as credits
from tests.conftest import service_credit


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 11, 1))
    db.session.commit()
    return contract


def test_s10_4_the_settlement_carries_the_cut_short_period_and_what_waits(db, client, world, agreement, clock):
    admin = world.person("alpha", "vendor_admin")
    first = service_credit(agreement, amount="300.00", start=date(2026, 10, 1), end=date(2026, 11, 1))
    credits.confirm(first, admin)
    db.session.commit()
    with pytest.raises(ServiceError, match="still in force"):
        settle(agreement, admin)
    clock.set(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    changes.terminate_for_breach(agreement, date(2026, 11, 20), admin, note="TZ-2026-0001")
    db.session.commit()

    clock.set(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))  # 21 November in Shanghai: the agreement has ended
    client.sign_in(admin.email)
    page = client.get(f"/t/alpha/contracts/{agreement.id}").get_data(as_text=True)
    # in force from the second signature (2 November) to 20 November: 19 of 30 days of 3,000.00
    assert "settlement-waiting" in page and "1,900.00" in page
    done = client.post_form(f"/t/alpha/billing/contracts/{agreement.id}/settle")
    assert done.status_code == 302
    invoice = db.session.scalar(select(Invoice).where(Invoice.kind == "settlement"))
    assert (invoice.period_start, invoice.period_end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        ("fee", Decimal("1900.00")),
        ("credit", Decimal("-300.00")),
    ]
    assert (invoice.total, invoice.balance) == (Decimal("1600.00"), Decimal("1600.00"))
    shown = client.get(f"/t/alpha/billing/{invoice.id}").get_data(as_text=True)
    assert "settlement-note" in shown
    # the same day again, the nightly sweep, and the ordinary run at the period's natural end: nothing more
    assert client.post_form(f"/t/alpha/billing/contracts/{agreement.id}/settle").status_code == 302
    assert settle_ended(world.tenant("alpha"), date(2026, 11, 21)) == 0
    assert billing.bill(world.tenant("alpha"), [agreement.id], date(2026, 12, 2)) == 0
    assert billing.contracts_to_bill(world.tenant("alpha"), date(2026, 12, 2)) == []
    assert len(db.session.scalars(select(Invoice)).all()) == 1

    # a credit for the last period, upheld after the end: the daily job settles it as a credit to the client
    late = service_credit(agreement, amount="150.00", start=date(2026, 11, 1), end=date(2026, 12, 1))
    credits.confirm(late, admin)
    db.session.commit()
    clock.set(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    assert settle_ended_agreements() == 1
    assert settle_ended_agreements() == 0  # re-run the same day: nothing twice
    second = db.session.scalars(select(Invoice).where(Invoice.kind == "settlement").order_by(Invoice.id)).all()[-1]
    assert second.id != invoice.id and second.issue_date == date(2026, 12, 5)
    assert [(line.kind, line.amount) for line in second.lines] == [("credit", Decimal("-150.00"))]
    assert (second.total, second.balance) == (Decimal("-150.00"), Decimal("0.00"))
    assert "150.00" in client.get(f"/t/alpha/billing/{second.id}").get_data(as_text=True)
    # the client sees both on its agreement's page
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/portal/contracts/{agreement.id}").get_data(as_text=True)
    assert invoice.number in portal and second.number in portal and "settlement-waiting" not in portal


def test_s10_4_an_ended_agreement_with_nothing_owed_gets_no_settlement(db, world, agreement, clock):
    admin = world.person("alpha", "vendor_admin")
    changes.terminate_for_breach(agreement, date(2026, 11, 2), admin, note="TZ-2026-0001")
    db.session.commit()
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    # the ordinary run bills the cut-short period (the one day in force of 30) first; then nothing is left either way
    assert billing.bill(world.tenant("alpha"), [agreement.id], date(2026, 12, 2)) == 1
    assert settle(agreement, admin) is None
    invoice = db.session.scalar(select(Invoice))
    assert invoice.kind == "period" and invoice.total == Decimal("100.00")
