"""Keeping the vendor's bank accounts: one default per currency."""

from sqlalchemy import select, update

from plugins.payments_bank.models import BankAccount
from saas.core import audit
from saas.extensions import db


def list_accounts(tenant) -> list[BankAccount]:
    """The tenant's bank accounts, default first."""
    return db.session.scalars(
        select(BankAccount)
        .where(BankAccount.tenant_id == tenant.id)
        .order_by(BankAccount.is_default.desc(), BankAccount.id)
    ).all()


def save_account(tenant, data: dict, account: BankAccount | None = None) -> BankAccount:
    """Create or update an account; marking it default clears the other default of that currency."""
    created = account is None
    account = account or BankAccount(tenant_id=tenant.id)
    for key in ("bank_name", "branch", "account_name", "account_number", "currency", "is_default"):
        setattr(account, key, data[key])
    account.account_number = "".join(account.account_number.split())
    db.session.add(account)
    db.session.flush()
    if account.is_default:
        db.session.execute(
            update(BankAccount)
            .where(
                BankAccount.tenant_id == tenant.id,
                BankAccount.currency == account.currency,
                BankAccount.id != account.id,
            )
            .values(is_default=False)
        )
    audit.record(
        "payments_bank.account_saved" if not created else "payments_bank.account_added",
        tenant_id=tenant.id,
        target=account,
        bank=account.bank_name,
    )
    return account


def delete_account(account: BankAccount) -> None:
    """Remove an account from the list."""
    audit.record("payments_bank.account_removed", tenant_id=account.tenant_id, target=account, bank=account.bank_name)
    db.session.delete(account)
