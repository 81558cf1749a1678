"""The vendor's bank accounts (one default per currency) and the transfer instructions printed on invoices."""

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select, update

from plugins.payments_bank.models import BankAccount
from plugins.payments_bank.reference import printed
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


def default_account(tenant, currency: str) -> BankAccount | None:
    """The account printed on invoices in this currency: the default one, else the first of that currency."""
    return db.session.scalar(
        select(BankAccount)
        .where(BankAccount.tenant_id == tenant.id, BankAccount.currency == currency)
        .order_by(BankAccount.is_default.desc(), BankAccount.id)
        .limit(1)
    )


def instructions_html(tenant, invoice) -> Markup | None:
    """How to pay an invoice by transfer: the account, the amount and the invoice's RF reference; None without an
    account in the invoice's currency."""
    account = default_account(tenant, invoice.currency)
    if account is None:
        return None
    template = current_app.jinja_env.get_template("payments_bank/instructions.html")
    html = template.render(account=account, invoice=invoice, reference=printed(invoice.number))
    return Markup(html)  # noqa: S704 (our template, autoescaped)
