"""The demo's evaluations (§11.1–§11.3, for people trying the product): HT-2026-0001 of each vendor has an evaluation
of every ended payment cycle whose survey has closed, with its sub-scores, a survey answered, and the month that fell
short below the threshold with its improvement measure judged by the next month's evaluation."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from saas.contracts.models import Contract
from saas.core.models import Tenant
from saas.satisfaction.models import Evaluation, ImprovementMeasure, Survey, SurveyResponse


def test_s11_3_the_demo_evaluates_every_past_cycle_and_checks_the_short_month_s_measure_the_month_after(app, db, clock):
    from saas.demo import seed_demo

    clock.set(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    seed_demo()
    db.session.remove()
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        contract = db.session.scalar(
            select(Contract).where(Contract.tenant_id == tenant.id, Contract.number == "HT-2026-0001")
        )
        evaluations = db.session.scalars(
            select(Evaluation).where(Evaluation.contract_id == contract.id).order_by(Evaluation.period_index)
        ).all()
        assert [e.period_index for e in evaluations] == list(range(len(evaluations))) and len(evaluations) >= 3
        assert all(e.requests > 0 and e.score is not None for e in evaluations)
        assert all(None not in (e.response_score, e.resolution_score, e.quality_score) for e in evaluations)
        answered = db.session.scalar(
            select(func.count(SurveyResponse.id))
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .where(Survey.contract_id == contract.id)
        )
        assert answered >= 1 and any(e.survey_score is not None for e in evaluations)
        short = next(e for e in evaluations if e.below_threshold)  # the month that fell short
        following = next(e for e in evaluations if e.period_index == short.period_index + 1)
        measures = db.session.scalars(select(ImprovementMeasure).where(ImprovementMeasure.evaluation_id == short.id))
        measures = measures.all()
        assert measures and all(m.checked_by_id == following.id and m.checked_score is not None for m in measures)
