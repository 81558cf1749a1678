"""§13.1–§13.3, Kill Bill-style: add-on agreements signed by both parties under a monthly main agreement anchored on
31 January 2028 (a leap year), billed on its regular invoices month by month: a monthly add-on started mid-period and
ended early (prorated by day both ways), a usage add-on measured per period, a yearly add-on starting on the leap day
billed once on its anniversary; one line per fee and stretch, nothing more on re-runs."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from saas.addons import services as addons
from saas.addons.models import AddonAgreement, AddonCharge, AddonOffer, AddonStatus
from saas.billing import services as billing
from saas.billing.models import Invoice, InvoiceLine
from saas.contracts import signing
from saas.core.clock import add_months
from saas.core.errors import ServiceError
from saas.extensions import db
from tests.addons.stand_in import SellsAddons


@pytest.fixture
def sold(db, world, make_signed_contract, enable_plugin, plugin, clock):
    """Alpha's first client under a two-year agreement effective 31 January 2028 (3,000.00 a month), the add-on
    plugin enabled for alpha."""
    clock.set(datetime(2028, 1, 30, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2028, 1, 31), term_years=2)
    enable_plugin(tenant, SellsAddons.name)
    g.pop("_enabled_plugins", None)
    return {"tenant": tenant, "contract": contract}


def offer(sold, world, **fees):
    data = {"addon_type": SellsAddons.name, "name_zh": "工时包", "name_en": "Hours bank", **fees}
    made = addons.save_offer(sold["tenant"], data, world.person("alpha", "vendor_admin"))
    db.session.commit()
    return made


def signed(sold, world, the_offer, starts_on, ends_on=None):
    """An add-on agreement proposed by the vendor and signed by both parties (§13.3)."""
    agreement = addons.propose(
        sold["contract"],
        the_offer,
        {"starts_on": starts_on, "ends_on": ends_on},
        world.person("alpha", "vendor_admin"),
    )
    db.session.commit()
    document = addons.documents(agreement)[0]
    assert addons.sign(agreement, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256) is False
    assert agreement.status == AddonStatus.AWAITING_SIGNATURES  # not in force on one signature
    assert addons.sign(agreement, "A", world.person("alpha", "client_admin"), document.id, document.sha256) is True
    db.session.commit()
    return agreement


def bill_on(sold, clock, day: date) -> Invoice | None:
    clock.set(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))
    billing.bill(sold["tenant"], [sold["contract"].id], day)
    db.session.commit()
    return db.session.scalars(
        select(Invoice).where(Invoice.contract_id == sold["contract"].id, Invoice.period_end == day)
    ).first()


def add_on_lines(invoice: Invoice) -> list[tuple[str, Decimal, Decimal]]:
    rows = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "add_on")
    ).all()
    return sorted((r.source["fee"], r.quantity, r.amount) for r in rows)


def test_s13_2_month_by_month_through_a_leap_february_each_fee_once(db, world, sold, clock):
    monthly = signed(sold, world, offer(sold, world, monthly_fee="900.00"), date(2028, 2, 10))
    signed(sold, world, offer(sold, world, unit_price="150.00"), date(2028, 1, 31))
    signed(sold, world, offer(sold, world, yearly_fee="12000.00"), date(2028, 2, 29))  # the leap day

    first = bill_on(sold, clock, date(2028, 2, 29))  # period 31 Jan – 28 Feb
    # monthly from 10 February: 19 of the period's 29 days → 900 × 19 / 29 = 589.66; usage 2.5 h × 150
    assert add_on_lines(first) == [
        ("monthly", Decimal("1"), Decimal("589.66")),
        ("usage", Decimal("2.5"), Decimal("375.00")),
    ]
    assert first.total == Decimal("3000.00") + Decimal("589.66") + Decimal("375.00")
    assert bill_on(sold, clock, date(2028, 2, 29)).id == first.id  # the same day again: one invoice, same lines
    assert db.session.scalar(select(func.count(AddonCharge.id))) == 2

    second = bill_on(sold, clock, date(2028, 3, 31))  # 29 February – 30 March: whole
    assert add_on_lines(second) == [
        ("monthly", Decimal("1"), Decimal("900.00")),
        ("usage", Decimal("4"), Decimal("600.00")),
    ]
    addons.end(monthly, date(2028, 4, 15), "客户不再需要 no longer needed", world.person("alpha", "vendor_admin"))
    db.session.commit()
    third = bill_on(sold, clock, date(2028, 4, 30))  # 31 March – 29 April: ended from 15 April → 15 of 30 days
    assert add_on_lines(third) == [
        ("monthly", Decimal("1"), Decimal("450.00")),
        ("usage", Decimal("0"), Decimal("0.00")),
    ]
    fourth = bill_on(sold, clock, date(2028, 5, 31))  # nothing after its end
    assert [fee for fee, _q, _a in add_on_lines(fourth)] == ["usage"]

    # the yearly fee: once, on the invoice of the period its first year ends in (28 February 2029, the leap day's
    # anniversary clamped), never before
    yearly_seen = []
    for months in range(1, 10):
        day = add_months(date(2028, 1, 31), 4 + months)
        invoice = bill_on(sold, clock, day)
        yearly_seen += [(day, a) for fee, _q, a in add_on_lines(invoice) if fee == "yearly"]
    assert yearly_seen == [(date(2029, 2, 28), Decimal("12000.00"))]
    assert db.session.scalar(select(func.count(AddonCharge.id)).where(AddonCharge.fee == "yearly")) == 1
    # every charge written once, with the invoice it went on
    assert db.session.scalar(select(func.count(AddonCharge.id)).where(AddonCharge.invoice_id.is_(None))) == 0


def test_s13_1_an_addon_cannot_outlive_its_agreement_nor_be_of_a_type_not_enabled(db, world, sold, enable_plugin):
    the_offer = offer(sold, world, monthly_fee="900.00")
    with pytest.raises(ServiceError, match="cannot outlive"):
        addons.propose(sold["contract"], the_offer, {"starts_on": date(2028, 2, 1), "ends_on": date(2030, 3, 1)}, None)
    with pytest.raises(ServiceError, match="more decimals|decimal"):
        offer(sold, world, monthly_fee="900.001")
    with pytest.raises(ServiceError, match="not priced that way|at least one fee"):
        addons.save_offer(
            sold["tenant"],
            {"addon_type": SellsAddons.name, "name_zh": "x", "name_en": "x"},
            world.person("alpha", "vendor_admin"),
        )
    enable_plugin(sold["tenant"], SellsAddons.name, False)
    with pytest.raises(ServiceError, match="not enabled"):
        offer(sold, world, monthly_fee="900.00")
    with pytest.raises(ServiceError, match="not enabled"):
        addons.propose(sold["contract"], the_offer, {"starts_on": date(2028, 2, 1)}, None)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AddonAgreement.id))) == 0  # every refusal wrote nothing
    assert db.session.scalar(select(func.count(AddonOffer.id))) == 1


def test_hook_saas_addon_types_offers_a_type_only_where_its_plugin_is_enabled(db, world, plugin, enable_plugin):
    alpha, beta = world.tenant("alpha"), world.tenant("beta")
    assert SellsAddons.name in addons.installed_types()  # installed: charges already signed can be measured
    assert addons.types_for(alpha) == {} and addons.types_for(beta) == {}
    enable_plugin(alpha, SellsAddons.name)
    g.pop("_enabled_plugins", None)
    assert list(addons.types_for(alpha)) == [SellsAddons.name] and addons.types_for(beta) == {}
    assert addons.types_for(alpha)[SellsAddons.name].terms[0].default == 20


def test_s13_3_the_addon_text_is_frozen_with_its_sha256_and_in_force_only_once_both_signed(db, world, sold, clock):
    agreement = addons.propose(
        sold["contract"], offer(sold, world, monthly_fee="900.00"), {"starts_on": date(2028, 2, 1)}, None
    )
    db.session.commit()
    zh, en = sorted(addons.documents(agreement), key=lambda d: d.language, reverse=True)
    assert "附加服务协议" in zh.html and "Add-on Service Agreement" in en.html and agreement.number in zh.html
    assert zh.sha256 == signing.sha256(zh.html)
    with pytest.raises(ServiceError):  # a signature on text not seen as stored
        addons.sign(agreement, "A", world.person("alpha", "client_admin"), zh.id, "0" * 64)
    assert bill_on(sold, clock, date(2028, 2, 29)) is not None
    assert db.session.scalar(select(func.count(AddonCharge.id))) == 0  # not signed: nothing billed
    with pytest.raises(ServiceError, match="already waits"):  # the same proposal twice makes one
        addons.propose(sold["contract"], agreement.offer, {"starts_on": date(2028, 2, 1)}, None)


def test_hook_saas_plugin_disabling_keeps_a_plugin_on_while_its_addons_are_signed(
    db, world, sold, enable_plugin, clock
):
    agreement = signed(sold, world, offer(sold, world, monthly_fee="900.00"), date(2028, 2, 1))
    with pytest.raises(ServiceError, match="1 add-on agreements of this plugin"):
        enable_plugin(sold["tenant"], SellsAddons.name, False)
    db.session.rollback()
    g.pop("_enabled_plugins", None)
    assert SellsAddons.name in addons.types_for(sold["tenant"])  # still on, the signed agreement safe
    addons.end(agreement, date(2028, 3, 1), "到期 done", world.person("alpha", "vendor_admin"))
    db.session.commit()
    enable_plugin(sold["tenant"], SellsAddons.name, False)  # nothing rests on it any more
    assert addons.types_for(sold["tenant"]) == {}


def test_s13_1_the_platform_screen_refuses_to_switch_off_a_plugin_signed_addons_rest_on(
    db, client, world, sold, make_user
):
    signed(sold, world, offer(sold, world, monthly_fee="900.00"), date(2028, 2, 1))
    operator = make_user(email="operator@example.com", platform_admin=True)
    client.sign_in(operator.email)
    url = f"/platform/tenants/{sold['tenant'].id}/plugins/{SellsAddons.name}"
    refused = client.post_form(url, {"enabled": "0"}, headers={"HX-Request": "true"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-testid="plugin-refusal"' in body and "end them first" in body
    assert "<html" not in body and f'data-testid="disable-{SellsAddons.name}"' in body  # still on
    g.pop("_enabled_plugins", None)
    assert SellsAddons.name in addons.types_for(sold["tenant"])
