"""Fixtures of the third-party plugin's tests: alpha has enabled it, and its first client has an agreement in force."""

from datetime import UTC, date, datetime

import pytest

from plugins.third_party import services
from saas.contracts.services import list_services
from saas.extensions import db
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
    contract = make_signed_contract(
        tenant,
        world.clients("alpha")[0],
        effective=date(2026, 11, 1),
        lines=(("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")),  # as the demo's: remote and on-site support
    )
    other = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2026, 11, 1))
    admin = world.person("alpha", "vendor_admin")
    # It takes the catalogue's services: it may be proposed for the agreements (Part 2 §4.1).
    catalogue = [s.id for s in list_services(tenant)]
    sub = services.save_subcontractor(tenant, {**sub_data(1), "service_ids": catalogue}, admin)
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "other_contract": other, "sub": sub, "admin": admin}


@pytest.fixture
def work(db, world, enable_plugin, make_signed_contract, make_user, clock):
    """alpha with the plugin on; its first client's agreement (remote and on-site support, 24x7 clocks) with two
    approved subcontractors, each with an annex 6 agreement and a person: third_party@ works for the first,
    third_party_2@ for the second."""
    from plugins.third_party import agreements
    from saas.contracts.services import list_services
    from saas.requests import services as requests

    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "third_party")
    contract = make_signed_contract(
        tenant,
        world.clients("alpha")[0],
        effective=date(2026, 11, 1),
        lines=(("REMOTE", "1", "3000.00"), ("ONSITE", "1", "5000.00")),
    )
    other = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2026, 11, 1))
    requests.categories(tenant)
    admin = world.person("alpha", "vendor_admin")
    catalogue = {s.code: s for s in list_services(tenant)}
    service_ids = [catalogue["REMOTE"].id, catalogue["ONSITE"].id]
    second_person = make_user(tenant, "third_party", None, email="third_party_2@alpha.example.com")
    subs, deals = [], []
    for n, email in ((1, "third_party@alpha.example.com"), (2, second_person.email)):
        sub = services.save_subcontractor(tenant, {**sub_data(n), "service_ids": service_ids}, admin)
        proposal = services.propose(sub, contract, "驻场支持 on-site support", admin)
        services.decide(proposal, True, "", world.person("alpha", "client_admin"))
        deal = agreements.create_agreement(
            contract,
            sub,
            {
                "service_ids": service_ids,
                "regions": "上海",
                "monthly_fee": "2000.00",
                "response_hours": 2,
                "resolution_hours": 8,
                "starts_on": date(2026, 11, 1),
                "ends_on": date(2027, 10, 31),
            },
            ("agreement.pdf", "application/pdf", b"%PDF-1.4 signed " + str(n).encode()),
            admin,
        )
        agreements.add_person(sub, email, "", admin)
        subs.append(sub)
        deals.append(deal)
    db.session.commit()
    cats = {c.code: c for c in requests.categories(tenant)}
    return {
        "tenant": tenant,
        "contract": contract,
        "other_contract": other,
        "subs": subs,
        "agreements": deals,
        "admin": admin,
        "cats": cats,
        "person": world.person("alpha", "third_party"),
        "person_2": second_person,
    }


def raise_in(work, world, code="ONSITE", subject="机房交换机故障 switch down"):
    """A request of alpha's first client, raised by its client user now."""
    from saas.requests import services as requests

    req = requests.create_request(
        work["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": work["cats"][code].id, "subject": subject},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req
