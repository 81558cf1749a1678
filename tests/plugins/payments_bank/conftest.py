"""Fixtures of the bank-transfer tests: alpha with the plugin, a default CNY account and two invoices to pay."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from plugins.payments_bank.services import save_account
from saas.billing import services
from saas.billing.models import Invoice
from tests.plugins.payments_bank.samples import ACCOUNT

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bank(db, world, enable_plugin):
    """alpha has enabled bank transfer and has a default CNY account; returns the account."""
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_bank")
    data = {
        "bank_name": "中国工商银行",
        "branch": "上海张江支行",
        "account_name": "阿尔法信息技术有限公司",
        "account_number": ACCOUNT,
        "currency": "CNY",
        "is_default": True,
    }
    account = save_account(tenant, data)
    db.session.commit()
    return account


@pytest.fixture
def invoices(db, world, bank, make_signed_contract, clock):
    """alpha's first client owes 8,000.00 for January (INV-2028-000001) and for February 2028 (…000002)."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    contract = make_signed_contract(
        world.tenant("alpha"),
        world.clients("alpha")[0],
        effective=date(2028, 1, 1),
        lines=[("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")],
    )
    clock.set(datetime(2028, 3, 2, 1, tzinfo=SHANGHAI))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 3, 2))
    db.session.commit()
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
