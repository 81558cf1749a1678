"""§1.3: the services the agreement covers are the vendor's catalogue of §2, and a contract lists the ones it buys."""

from decimal import Decimal

from saas.contracts import services, signing
from saas.contracts.models import ServiceKind


def test_s1_3_the_standard_catalogue_covers_each_service_of_section_2_once(db, world):
    tenant = world.tenant("alpha")
    assert services.add_standard_services(tenant) == 7
    assert services.add_standard_services(tenant) == 0  # seeding again adds nothing twice
    catalogue = services.list_services(tenant)
    assert sorted(s.kind for s in catalogue) == sorted(set(ServiceKind) - {ServiceKind.OTHER})
    assert {s.code: s.default_monthly_fee for s in catalogue}["CONSULT"] == Decimal("800.00")


def test_s1_3_the_agreement_names_the_services_it_covers_in_both_languages(db, world, make_contract):
    contract = make_contract(
        world.tenant("alpha"), world.clients("alpha")[0], lines=[("REMOTE", "1", "3000.00"), ("CONSULT", "2", "800.00")]
    )
    signing.send_for_signatures(contract)
    zh, en = (document.html for document in signing.documents(contract))
    assert [line.description for line in contract.lines] == ["远程技术支持（7×24）", "售后咨询服务"]
    assert "远程技术支持（7×24）" in zh and "售后咨询服务" in zh
    assert "Remote support (7x24)" in en and "Consulting" in en
