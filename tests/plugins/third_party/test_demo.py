"""The plugin's demo rows (Part 2 §1.1, §4.1 for people trying the product): two subcontractors, one qualification
lapsing within 30 days, one proposal approved by the client's admin and one awaiting it."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from plugins.third_party import demo, services
from plugins.third_party.models import Breach, Proposal, Subcontractor
from saas.core.clock import local_today
from saas.extensions import db


def test_p2_s4_1_demo_seeds_an_approved_and_a_pending_proposal(tp, world):
    tenant = tp["tenant"]
    demo.seed(tenant, db.session)
    db.session.commit()
    seeded = db.session.scalars(
        select(Subcontractor).where(Subcontractor.id != tp["sub"].id).order_by(Subcontractor.id)
    ).all()
    assert len(seeded) == 2 and all(s.active for s in seeded)
    today = local_today(tenant)
    states = [services.qualification_state(q, today) for s in seeded for q in s.qualifications]
    assert "expiring" in states
    proposals = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    assert [p.status for p in proposals] == ["approved", "proposed"]
    assert proposals[0].decided_by_id == world.person("alpha", "client_admin").id
    assert services.may_work_on(proposals[0].contract, proposals[0].subcontractor)
    assert not services.may_work_on(proposals[1].contract, proposals[1].subcontractor)


def test_p2_s2_1_demo_seeds_an_intervention_with_its_notice_and_a_claim_within_the_cap(tp, world, clock):
    from datetime import date
    from decimal import Decimal

    from plugins.third_party import liability
    from plugins.third_party.liability_models import Intervention, ThirdPartyClaim
    from tests.plugins.third_party.liability_flow import bill_november, pay

    invoice = bill_november(tp, clock)
    pay(tp, str(invoice.total), invoice=invoice)
    demo.seed(tp["tenant"], db.session)
    db.session.commit()
    row = db.session.scalar(select(Intervention))
    assert row.contract_id == tp["contract"].id and row.notice is not None and row.status == "negotiating"
    assert row.notice.files[0].filename == "call-log.txt" and "Notice" in row.notice.subject
    assert row.occurred_on < date(2026, 12, 2)
    claim = db.session.scalar(select(ThirdPartyClaim))
    assert claim.subcontractor.legal_name.startswith("上海申联") and claim.total == Decimal("500.00")
    assert liability.cap_of(tp["contract"]).remaining == invoice.total - Decimal("500.00")


def test_p2_s4_3_demo_signs_the_transfer_of_on_site_support_and_routes_new_on_site_requests(work, world, clock):
    from datetime import UTC, datetime

    from plugins.third_party import transfers
    from plugins.third_party import work as tp_work
    from plugins.third_party.models import Transfer
    from tests.plugins.third_party.conftest import raise_in

    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # the demo replays ten days back: within the agreement
    demo.seed(work["tenant"], db.session)
    db.session.commit()
    transfer = db.session.scalar(select(Transfer))
    assert transfer.contract_id == work["contract"].id and transfer.status == "signed"
    assert transfer.subcontractor.legal_name.startswith("上海申联")
    assert set(transfers.signatures(transfer)) == {"A", "B"}
    assert transfers.state(transfer, local_today(work["tenant"])) == "in_force"
    held = tp_work.current(raise_in(work, world))
    assert held is not None and held.subcontractor_id == transfer.subcontractor_id


def test_p2_s4_2_demo_seeded_late_in_shanghais_evening_gives_its_replayed_work_under_the_agreement(work, clock):
    """Seeded at 22:30 in Shanghai, the replayed requests (raised three days back, on the hour) fall on the local day
    before the replay's moment of attaching the agreement: the agreement covers them (CI seeded the demo then)."""
    from datetime import UTC, datetime

    from plugins.third_party.models import Agreement

    clock.set(datetime(2026, 11, 20, 14, 30, tzinfo=UTC))
    demo.seed(work["tenant"], db.session)
    db.session.commit()
    assert (
        db.session.scalar(select(Agreement.starts_on).order_by(Agreement.id.desc()))
        <= datetime(2026, 11, 17, tzinfo=UTC).date()
    )


@pytest.mark.parametrize(
    "seeded_at",
    [
        datetime(2026, 10, 5, 2, 0, tzinfo=UTC),  # Monday 10:00 in Shanghai, within the National Day holiday
        datetime(2026, 12, 6, 4, 0, tzinfo=UTC),  # a Sunday: two days back is a Friday
        datetime(2026, 12, 7, 1, 0, tzinfo=UTC),  # Monday 09:00: two days back is a Saturday
        datetime(2026, 11, 20, 14, 30, tzinfo=UTC),  # Friday 22:30 in Shanghai
    ],
)
def test_p2_s6_1_2_demo_records_the_late_answer_as_a_breach_whatever_day_it_is_seeded(app, db, clock, seeded_at):
    """The demo's late request is raised on a working day of its calendar: its 2 hours to answer run out before the
    late answer, so each vendor has one breach by its subcontractor, on a weekend or in a holiday week alike."""
    from saas.core.models import Tenant
    from saas.demo import seed_demo

    clock.set(seeded_at)
    seed_demo()
    db.session.remove()
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    assert len(tenants) == 2
    for tenant in tenants:
        breaches = db.session.scalars(select(Breach).where(Breach.tenant_id == tenant.id)).all()
        assert len(breaches) == 1, tenant.slug
        assert breaches[0].clause == "6.1.2"
        subcontractor = db.session.get(Subcontractor, breaches[0].subcontractor_id)
        assert subcontractor.tenant_id == tenant.id and subcontractor.legal_name.startswith("上海申联")
        assert breaches[0].met_at > breaches[0].due_at
