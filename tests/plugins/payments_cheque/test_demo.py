"""§3.2.2 in the demo: the first client's second-newest open invoice is paid by cheque, returned by the bank, then
paid again; the bounce fee waits for the next invoice; the newest is left to pay online."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from plugins.payments_cheque.models import Cheque, ChequeStatus
from saas.billing import services
from saas.billing.models import Invoice, InvoiceLine, InvoiceStatus, PaymentAllocation
from saas.core.models import Client, Tenant
from saas.core.tenants import plugin_settings
from saas.credits.models import CreditStatus, ServiceCredit
from saas.demo import seed_demo
from tests.plugins.payments_cheque.flow import SHANGHAI


def test_hook_saas_demo_data_plays_a_bounced_cheque_and_its_replacement(app, db, clock):
    clock.set(datetime(2026, 6, 10, 9, tzinfo=SHANGHAI))  # the demo agreements (from 31 January) billed 4 months
    seed_demo()
    for slug in ("huayun", "deltaops"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        assert plugin_settings(tenant, "payments_cheque") == {
            "payee": tenant.legal_name,
            "deposit_bank": f"招商银行{tenant.address[:2]}分行营业部",
            "bounce_fee": "50.00",
            "instructions": "请在支票背面注明发票号，并将支票寄送或送达我司财务部（工作日 9:00–17:30）。",
        }
        first_client = db.session.scalar(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id))
        invoices = db.session.scalars(
            select(Invoice).where(Invoice.client_id == first_client.id).order_by(Invoice.period_start)
        ).all()
        assert len(invoices) == 4
        *_older, paid, newest = invoices
        assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
        assert newest.balance == newest.total and newest.status == InvoiceStatus.ISSUED
        bounced, replacement = db.session.scalars(
            select(Cheque).where(Cheque.tenant_id == tenant.id).order_by(Cheque.id)
        ).all()
        assert (bounced.status, replacement.status) == (ChequeStatus.BOUNCED, ChequeStatus.CLEARED)
        assert bounced.cleared_on < bounced.bounced_on < replacement.received_on <= replacement.cleared_on
        assert bounced.invoice_id == replacement.invoice_id == paid.id
        assert (bounced.bounce_fee, bounced.fee_contract_id, bounced.fee_invoice_id) == (
            Decimal("50.00"),
            paid.contract_id,
            None,
        )  # waits for the next invoice
        amounts = db.session.scalars(
            select(PaymentAllocation.amount)
            .where(PaymentAllocation.invoice_id == paid.id)
            .order_by(PaymentAllocation.id)
        ).all()
        assert amounts == [paid.total, -paid.total, paid.total]
        # the next month's run puts the fee on the next invoice (with the service credits the demo confirmed, §8.2)
        confirmed = sum(
            db.session.scalars(
                select(ServiceCredit.amount).where(
                    ServiceCredit.contract_id == paid.contract_id, ServiceCredit.status == CreditStatus.CONFIRMED
                )
            ),
            Decimal(0),
        )
        clock.set(datetime(2026, 7, 1, 1, tzinfo=SHANGHAI))
        services.bill(tenant, [paid.contract_id], datetime(2026, 7, 1).date())
        db.session.commit()
        june = db.session.scalars(
            select(Invoice).where(Invoice.client_id == first_client.id).order_by(Invoice.period_start.desc())
        ).first()
        # the add-ons the demo signs (§13.2) bill from their first day: compare the invoices without their lines
        assert (
            june.total - add_on_total(db, june)
            == newest.total - add_on_total(db, newest) + Decimal("50.00") - confirmed
        )
        db.session.expire_all()
        assert bounced.fee_invoice_id == june.id
        clock.set(datetime(2026, 6, 10, 9, tzinfo=SHANGHAI))


def add_on_total(db, invoice) -> Decimal:
    """The invoice's add-on lines (§13.2), summed."""
    return db.session.scalar(
        select(func.coalesce(func.sum(InvoiceLine.amount), 0)).where(
            InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "add_on"
        )
    )
