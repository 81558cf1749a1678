"""The demo's damages claim (§8.3): the client claims its loss from a fault the vendor answered late, with its
evidence; the vendor acknowledges it, agrees part of it and refunds the agreed amount."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from saas.claims import services
from saas.contracts.models import Contract
from saas.core.clock import frozen_at, now
from saas.core.models import Role
from saas.core.people import first_member
from saas.extensions import db
from saas.requests.models import SlaBreach


def seed_claims(tenant) -> None:
    """Two days after the vendor's latest breach the client claims; a day later the vendor answers and refunds."""
    # A missed response deadline (§8.1.2) if the demo has one: the loss described below follows from it.
    breach = db.session.scalars(
        select(SlaBreach)
        .where(SlaBreach.tenant_id == tenant.id)
        .order_by((SlaBreach.clause == "8.1.2").desc(), SlaBreach.id.desc())
    ).first()
    if breach is None:
        return
    contract = db.session.get(Contract, breach.contract_id)
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, breach.client_id)
    billing = first_member(tenant, Role.VENDOR_BILLING) or first_member(tenant, Role.VENDOR_ADMIN)
    start = max(breach.detected_at, breach.due_at) + timedelta(days=2)
    if None in (contract, client_admin, billing) or now() - start < timedelta(days=1):
        return
    with frozen_at(start) as clock:
        claim = services.submit(
            contract,
            "A",
            client_admin,
            direct_amount=Decimal("7200.00"),
            direct_description=(
                "故障响应超时导致生产线停工 6 小时，加班及返工费用。"
                "The late response stopped the production line for 6 hours: overtime and rework."
            ),
            indirect_amount=Decimal("2300.00"),
            indirect_description=(
                "停工期间未能交付的订单的预期利润。The expected profit of the orders not delivered during the stop."
            ),
            breaches=[f"sla:{breach.id}"],
            files=[
                (
                    "direct",
                    "overtime-2026.csv",
                    "text/csv",
                    f"日期,人员,小时,金额\n{breach.due_at.date().isoformat()},12,6,7200.00\n".encode(),
                ),
                ("indirect", "orders-delayed.txt", "text/plain", b"PO-7781 PO-7782: margin 2300.00 CNY\n"),
            ],
        )
        clock.advance(hours=20)
        services.acknowledge(claim, "B", billing)
        clock.advance(hours=2)
        services.agree(
            claim,
            "B",
            billing,
            amount=Decimal("8000.00"),
            note="返工费用认可；预期利润按 800.00 计。Rework agreed; expected profit at 800.00.",
        )
        clock.advance(hours=1)
        services.settle(
            claim, "B", billing, how=services.Settlement.REFUND, reference="网银转账 Transfer 2026-0117-0042"
        )
    db.session.commit()
