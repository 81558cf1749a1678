"""The vendor's bank accounts, shown to clients as transfer instructions (§3.2.1)."""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.tenancy import TenantScoped
from saas.extensions import db


class BankAccount(TenantScoped, db.Model):
    """An account of the vendor into which clients transfer payments."""

    __tablename__ = "payments_bank_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    bank_name: Mapped[str] = mapped_column(String(200))
    branch: Mapped[str] = mapped_column(String(200), default="")
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: The account printed on invoices when none is chosen.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
