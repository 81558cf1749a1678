"""§3.2.1 in the demo: each vendor's statement pays the first client's oldest open invoice by its reference and
leaves a transfer without reference and the bank's interest to people."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from plugins.payments_bank.models import BankStatement, LineStatus, StatementLine
from saas.billing.models import Invoice, InvoiceStatus
from saas.core.models import Client, Tenant


def test_s3_2_1_demo_statement_pays_the_oldest_invoice_and_leaves_two_lines_waiting(app, db, clock):
    from saas.demo import seed_demo

    clock.set(datetime(2026, 6, 2, 2, tzinfo=UTC))  # the demo agreements (from 31 January 2026) have been billed
    seed_demo()
    db.session.remove()
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        statement = db.session.scalar(select(BankStatement).where(BankStatement.tenant_id == tenant.id))
        assert (statement.format, statement.lines_new, statement.lines_matched, statement.debits_skipped) == (
            "csv",
            3,
            1,
            1,
        )
        lines = db.session.scalars(
            select(StatementLine).where(StatementLine.tenant_id == tenant.id).order_by(StatementLine.id)
        ).all()
        assert [line.status for line in lines] == [LineStatus.MATCHED, LineStatus.UNMATCHED, LineStatus.UNMATCHED]
        first = db.session.scalar(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id))
        oldest = db.session.scalar(
            select(Invoice).where(Invoice.client_id == first.id).order_by(Invoice.issue_date, Invoice.id)
        )
        assert (lines[0].client_id, oldest.balance) == (first.id, Decimal("0.00"))
        assert oldest.status == InvoiceStatus.PAID
        assert "利息" in lines[2].remark
