"""§3.2.2 a bounced cheque costs the tenant's bounce fee, charged once on the client's next invoice (§3.1.1)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from saas.billing import services
from saas.billing.models import Invoice, InvoiceLine
from saas.core.tenants import save_plugin_settings
from tests.plugins.payments_cheque.flow import BASE, SHANGHAI, cheque_data, record, step


def bounce_one(db, world, staff, invoice, **overrides):
    """A cheque for `invoice`, deposited and refused by the bank on 8 March 2028."""
    cheque = record(staff, db, cheque_data(world.clients("alpha")[0], invoice, **overrides))
    step(staff, cheque, "deposit", on="2028-03-04")
    assert step(staff, cheque, "bounce", on="2028-03-08", reason="出票人账户余额不足").status_code == 302
    db.session.expire_all()
    return cheque


def run_month(db, world, clock, day: date):
    """Move the clock to `day` (01:00 in Shanghai) and bill alpha's contracts as that day's run would."""
    clock.set(datetime(day.year, day.month, day.day, 1, tzinfo=SHANGHAI))
    contract_ids = db.session.scalars(select(Invoice.contract_id).distinct()).all()
    made = services.bill(world.tenant("alpha"), contract_ids, day)
    db.session.commit()
    return made


def lines_of(db, invoice):
    return db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.position)
    ).all()


def test_s3_2_2_bounce_fee_is_billed_once_on_the_next_invoice(db, world, invoices, staff, clock):
    january, _february = invoices
    save_plugin_settings(world.tenant("alpha"), "payments_cheque", {"payee": "Alpha", "bounce_fee": "50.00"})
    db.session.commit()
    cheque = bounce_one(db, world, staff, january)
    assert (cheque.bounce_fee, cheque.fee_contract_id, cheque.fee_invoice_id) == (
        Decimal("50.00"),
        january.contract_id,
        None,
    )
    page = staff.get(f"{BASE}/{cheque.id}").get_data(as_text=True)
    assert "waits for the next invoice of agreement" in page

    assert run_month(db, world, clock, date(2028, 4, 2)) == 1  # March
    march = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert (march.period_start, march.total) == (date(2028, 3, 1), Decimal("8050.00"))
    fee = lines_of(db, march)[-1]
    assert (fee.kind, fee.amount) == ("fee", Decimal("50.00"))
    assert fee.source == {"cheque_id": cheque.id, "key": f"payments_cheque.bounce_fee:{cheque.id}"}
    assert "中国工商银行北京海淀支行 10203040" in fee.description
    db.session.expire_all()
    assert cheque.fee_invoice_id == march.id
    assert run_month(db, world, clock, date(2028, 4, 2)) == 0  # the same day again bills nothing more

    assert run_month(db, world, clock, date(2028, 5, 2)) == 1  # April: no fee again
    april = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert (april.period_start, april.total) == (date(2028, 4, 1), Decimal("8000.00"))
    assert [ln.kind for ln in lines_of(db, april)] == ["fee", "fee"] and all(
        "key" not in ln.source for ln in lines_of(db, april)
    )
    fee_lines = db.session.scalars(select(InvoiceLine.invoice_id).where(InvoiceLine.amount == Decimal("50.00"))).all()
    assert fee_lines == [march.id]
    page = staff.get(f"{BASE}/{cheque.id}").get_data(as_text=True)
    assert f'href="/t/alpha/billing/{march.id}">{march.number}</a>' in page


def test_s3_2_2_a_bounce_fee_of_zero_bills_nothing(db, world, invoices, staff, clock):
    january, _ = invoices
    save_plugin_settings(world.tenant("alpha"), "payments_cheque", {"payee": "Alpha", "bounce_fee": "0.00"})
    db.session.commit()
    cheque = bounce_one(db, world, staff, january)
    assert (cheque.bounce_fee, cheque.fee_contract_id) == (Decimal("0.00"), None)
    assert run_month(db, world, clock, date(2028, 4, 2)) == 1
    march = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert march.total == Decimal("8000.00") and len(lines_of(db, march)) == 2
    assert cheque.fee_invoice_id is None
    assert '<dd data-testid="bounce-fee">\n        None' in staff.get(f"{BASE}/{cheque.id}").get_data(as_text=True)


def test_s3_2_2_the_fee_is_the_one_set_when_the_cheque_bounced(db, world, invoices, staff, clock):
    """A fee changed later does not change what an earlier bounce costs; a cheque for no invoice bills its fee on the
    client's agreement in force."""
    save_plugin_settings(world.tenant("alpha"), "payments_cheque", {"payee": "Alpha", "bounce_fee": "25.50"})
    db.session.commit()
    cheque = bounce_one(db, world, staff, None)
    save_plugin_settings(world.tenant("alpha"), "payments_cheque", {"payee": "Alpha", "bounce_fee": "80.00"})
    db.session.commit()
    assert cheque.fee_contract_id == invoices[0].contract_id
    run_month(db, world, clock, date(2028, 4, 2))
    march = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert march.total == Decimal("8025.50")
