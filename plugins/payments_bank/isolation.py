"""The bank plugin's rows for the route-wide isolation test (tests/core/test_s7_isolation.py): one of each kind."""

from sqlalchemy import select

from plugins.payments_bank.imports import add_preset, import_statement
from plugins.payments_bank.models import StatementLine
from plugins.payments_bank.services import save_account
from saas.extensions import db


def isolation_rows(tenant, client, person, vendor_admin, rows: dict) -> dict:
    """A bank account, an import profile and a statement with one line of this client's, keyed by URL argument."""
    account = save_account(
        tenant,
        {
            "bank_name": f"Bank {tenant.slug}",
            "branch": "",
            "account_name": "A",
            "account_number": "6222000011112222",
            "currency": "CNY",
            "is_default": True,
        },
    )
    profile = add_preset(tenant, "icbc")
    transfer = (
        f":20:S\n:25:{account.account_number}\n:61:2601150115C7,77NTRFNONREF//ISO-{client.id}\n"
        f":86:/NAME/{client.legal_name}/REMI/x\n"
    )
    statement = import_statement(tenant, account, "s.sta", transfer.encode(), "mt940").statement
    line = db.session.scalar(select(StatementLine).where(StatementLine.statement_id == statement.id))
    return {"account_id": account.id, "statement_id": statement.id, "line_id": line.id, "profile_id": profile.id}
