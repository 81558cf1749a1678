"""Demo rows of the bank-transfer plugin: the default account, the ICBC profile and one imported statement."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.payments_bank import imports
from plugins.payments_bank.models import BankAccount
from plugins.payments_bank.reference import printed
from saas.billing.models import Invoice
from saas.billing.payments import OPEN_INVOICES
from saas.core.clock import local_today
from saas.core.models import Client

#: The columns of an ICBC corporate account-detail export (企业网银 账户明细), as the "icbc" preset reads them.
ICBC_HEADERS = [
    "凭证号",
    "本方账号",
    "对方账号",
    "交易时间",
    "借/贷",
    "借方发生额",
    "贷方发生额",
    "对方行号",
    "摘要",
    "用途",
    "对方单位名称",
    "余额",
    "币种",
]


def seed(tenant, session) -> None:
    """The default CNY account, then a statement of it: a transfer quoting the first client's oldest open invoice
    (matched and paid at once), a transfer without reference (left for a person), interest and a bank fee."""
    account = BankAccount(
        tenant_id=tenant.id,
        bank_name="中国工商银行",
        branch="北京中关村支行",
        account_name=tenant.legal_name,
        account_number=f"0200{tenant.id:04d}19200012345",
        currency="CNY",
        is_default=True,
    )
    session.add(account)
    session.flush()
    profile = imports.add_preset(tenant, "icbc")
    clients = session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()
    if not clients:
        return
    data = icbc_csv(account, statement_rows(tenant, session, account, clients))
    filename = f"工行账户明细-{local_today(tenant):%Y%m}.csv"
    imports.import_statement(tenant, account, filename, data, f"profile:{profile.id}", profile)


def _open_invoices(session, client_id):
    return session.scalars(
        select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.currency == "CNY", Invoice.status.in_(OPEN_INVOICES))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()


def statement_rows(tenant, session, account, clients) -> list[dict]:
    """The demo statement's transactions, most recent last."""
    today = local_today(tenant)
    rows = []
    oldest = next(iter(_open_invoices(session, clients[0].id)), None)
    if oldest is not None:
        rows.append(
            {
                "day": today - timedelta(days=3),
                "credit": oldest.balance,
                "name": clients[0].legal_name,
                "account": "31001500000050012345",
                "summary": "网银转账",
                "purpose": f"{printed(oldest.number)} 运维服务费",
            }
        )
    other = clients[-1]
    balances = {i.balance for i in _open_invoices(session, other.id)}
    amount = Decimal("12345.67")
    while amount in balances:  # fits no single invoice: the demo leaves it to a person
        amount += Decimal("0.01")
    rows.append(
        {
            "day": today - timedelta(days=2),
            "credit": amount,
            "name": other.legal_name,
            "account": "1202020309900012345",
            "summary": "汇入汇款",
            "purpose": "服务费",
        }
    )
    rows.append(
        {
            "day": today - timedelta(days=1),
            "debit": Decimal("15.00"),
            "name": "",
            "account": "",
            "summary": "手续费",
            "purpose": "汇款手续费",
        }
    )
    rows.append(
        {
            "day": today - timedelta(days=1),
            "credit": Decimal("86.35"),
            "account": "",
            "summary": "利息",
            "name": account.bank_name + account.branch,
            "purpose": "结息 活期存款利息",
        }
    )
    return rows


def icbc_csv(account, rows: list[dict]) -> bytes:
    """The rows as ICBC exports them: GB18030 text, CRLF line ends, amounts with thousands separators."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ICBC_HEADERS)
    balance = Decimal("500000.00")
    for n, row in enumerate(rows, 1):
        credit, debit = row.get("credit", Decimal(0)), row.get("debit", Decimal(0))
        balance += credit - debit
        writer.writerow(
            [
                f"{n:08d}",
                account.account_number,
                row["account"],
                f"{row['day']:%Y-%m-%d} 10:{n:02d}:00",
                "贷" if credit else "借",
                f"{debit:,.2f}" if debit else "",
                f"{credit:,.2f}" if credit else "",
                "",
                row["summary"],
                row["purpose"],
                row["name"],
                f"{balance:,.2f}",
                "人民币",
            ]
        )
    return out.getvalue().encode("gb18030")
