"""The plugin's demo rows (Part 2 §1.1, §4.1 for people trying the product): two subcontractors, one qualification
lapsing within 30 days, one proposal approved by the client's admin and one awaiting it."""

from sqlalchemy import select

from plugins.third_party import demo, services
from plugins.third_party.models import Proposal, Subcontractor
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
