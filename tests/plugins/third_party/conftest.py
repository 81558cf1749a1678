"""Fixtures of the third-party plugin's tests: alpha has enabled it, and its first client has an agreement in force."""

from datetime import UTC, date, datetime

import pytest

from plugins.third_party import services
from saas.testing.fixtures import valid_uscc

BASE = "/t/alpha/p/third_party"


def sub_data(n: int = 1, **changes) -> dict:
    """The fields of a subcontractor, as the registry's form posts them."""
    return {
        "legal_name": f"上海申联网络工程有限公司 {n}",
        "uscc": valid_uscc(900 + n),
        "address": "上海市徐汇区漕溪北路 88 号",
        "contact_name": "陈工",
        "contact_phone": "021-64381234",
        "contact_email": "chen@shenlian.example.com",
        "regions": "上海, 江苏",
        **changes,
    }


@pytest.fixture
def tp(db, world, enable_plugin, make_signed_contract, clock):
    """alpha with the plugin on, an agreement in force for its first client, and one active subcontractor."""
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "third_party")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2026, 11, 1))
    other = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2026, 11, 1))
    admin = world.person("alpha", "vendor_admin")
    sub = services.save_subcontractor(tenant, {**sub_data(1), "service_ids": []}, admin)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "other_contract": other, "sub": sub, "admin": admin}
