"""§3.1.2 a chunk written in one statement per table (saas.core.bulk): every line stays with its invoice."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from saas.billing import services
from saas.billing.models import Invoice, InvoiceLine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_s3_1_2_a_chunk_catching_up_three_periods_of_three_contracts_keeps_each_line_with_its_invoice(
    db, world, make_signed_contract, clock
):
    """Effective 31 January, first billed on 1 May: three periods each, nine invoices from one bill() call."""
    clock.set(datetime(2028, 1, 20, 10, tzinfo=SHANGHAI))
    tenant = world.tenant("alpha")
    first, second = world.clients("alpha")
    schedules = [
        [("REMOTE", "1", "3000.00"), ("ONSITE", "2", "5000.00"), ("MONITOR", "1.5", "2000.00")],
        [("TRAINING", "1", "1500.00")],
        [("FAULT", "1", "2500.00"), ("CONSULT", "3", "800.00")],
    ]
    contracts = [
        make_signed_contract(tenant, client, effective=date(2028, 1, 31), lines=lines)
        for client, lines in zip((first, second, first), schedules, strict=True)
    ]
    today = date(2028, 5, 1)
    clock.set(datetime(2028, 5, 1, 0, 30, tzinfo=SHANGHAI))
    assert services.bill(tenant, [c.id for c in reversed(contracts)], today) == 9
    db.session.commit()
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.number)).all()
    # numbered in contract order, then period order
    assert [(i.contract_id, i.period_start) for i in invoices] == [
        (c.id, start) for c in contracts for start in (date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31))
    ]
    assert [i.number for i in invoices] == [f"INV-2028-{n:06d}" for n in range(1, 10)]
    by_contract = {c.id: c for c in contracts}
    for invoice in invoices:
        contract = by_contract[invoice.contract_id]
        assert invoice.client_id == contract.client_id
        assert [
            (ln.position, ln.description, ln.quantity, ln.unit_price, ln.client_id, ln.source["service_id"])
            for ln in invoice.lines
        ] == [
            (n, ln.description, ln.quantity, ln.monthly_fee, contract.client_id, ln.service_id)
            for n, ln in enumerate(contract.lines)
        ]
        assert sum(ln.amount for ln in invoice.lines) == invoice.total == invoice.balance
        assert invoice.total == sum(ln.quantity * ln.monthly_fee for ln in contract.lines)
    assert invoices[0].total == Decimal("16000.00")
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 3 * 6
    assert services.bill(tenant, [c.id for c in contracts], today) == 0
