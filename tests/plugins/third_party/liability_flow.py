"""Helpers of the tests of interventions, claims and third-party disputes (Part 2 §1.2–§7.2): an approved
subcontractor, fees paid under the agreement, and the screens' URLs."""

from datetime import UTC, date, datetime
from decimal import Decimal

from plugins.third_party import services
from saas.billing import payments
from saas.billing import services as billing
from saas.billing.models import Invoice
from saas.extensions import db
from tests.plugins.third_party.conftest import BASE

HX = {"HX-Request": "true"}


def approve(tp, world, contract=None):
    """The client's admin approves tp's subcontractor for the agreement (Part 2 §4.1)."""
    proposal = services.propose(tp["sub"], contract or tp["contract"], "驻场巡检 on-site inspections", tp["admin"])
    services.decide(proposal, True, "", world.person("alpha", "client_admin"))
    db.session.commit()
    return proposal


def never_proposed(tp):
    """Another subcontractor of the vendor, never proposed for any agreement: nobody may name it on tp's."""
    from tests.plugins.third_party.conftest import sub_data

    stranger = services.save_subcontractor(tp["tenant"], {**sub_data(8), "service_ids": []}, tp["admin"])
    db.session.commit()
    return stranger


def bill_november(tp, clock) -> Invoice:
    """November's invoice of tp's agreement (3,000.00), issued on 2 December 2026; the clock stays there."""
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    billing.bill(tp["tenant"], [tp["contract"].id], date(2026, 12, 2))
    db.session.commit()
    return db.session.scalars(db.select(Invoice).where(Invoice.contract_id == tp["contract"].id)).one()


def pay(tp, amount: str, reference: str = "工行流水 001", invoice: Invoice | None = None):
    """Party A pays `amount` under the agreement (a bank transfer recorded and received)."""
    payment, _created = payments.record(
        tp["tenant"],
        tp["contract"].client_id,
        "manual",
        reference,
        Decimal(amount),
        "CNY",
        invoice_id=invoice.id if invoice else None,
    )
    payments.succeed(payment)
    db.session.commit()
    return payment


def claim_data(tp, amount="1000.00", **changes) -> dict:
    """The claim form as the vendor fills it in: damages with a direct loss only."""
    return {
        "subcontractor_id": str(tp["sub"].id),
        "kind": "damages",
        "direct_amount": amount,
        "direct_description": "更换硬盘延误两天，停机损失 Two days of downtime",
        "indirect_amount": "",
        "indirect_description": "",
        **changes,
    }


def intervention_data(tp, **changes) -> dict:
    """The intervention form as the vendor fills it in: its subcontractor's service quality, yesterday."""
    return {
        "subcontractor_id": str(tp["sub"].id),
        "third_party_name": "",
        "occurred_on": "2026-11-01",
        "description": "分包商未按时到场更换硬盘 The subcontractor did not arrive to replace the disk",
        "cause": "service_quality",
        "effect_time": "修复推迟两天 Repair two days late",
        "effect_cost": "加急运费 Express freight",
        "effect_cost_amount": "350.00",
        "effect_service": "存储冗余降级 Storage redundancy degraded",
        **changes,
    }


def contract_url(tp) -> str:
    return f"{BASE}/contracts/{tp['contract'].id}"
