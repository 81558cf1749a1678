"""The demo's evaluations (§11): the client rates the past months' requests as it closes them, then every payment
cycle of the first client's agreement is evaluated on the day its survey closed, as the nightly job would have. The
month that fell short opens an improvement measure; the vendor plans and carries it out, and the next month's
evaluation finds it effective."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.core.clock import frozen_at, local_today
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.demo import bad_month, history_months
from saas.requests.models import RequestStatus, ServiceRequest
from saas.satisfaction import services as ratings
from saas.satisfaction.evaluation import due_periods, evaluate, policy_of
from saas.satisfaction.measures import update_measure
from saas.satisfaction.models import ImprovementMeasure, MeasureStatus

#: How the requester rated each past month's three requests; the month that fell short worse.
USUAL_RATINGS, BAD_RATINGS = (5, 4, 4), (2, 3, 2)


def seed_evaluations(tenant) -> None:
    """Rate the past months' requests, then evaluate each ended period on the day its survey closed."""
    client = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    contract = requests.contract_in_force(tenant, client.id) if client else None
    admin = first_member(tenant, Role.VENDOR_ADMIN)
    engineer = first_member(tenant, Role.VENDOR_ENGINEER)
    if contract is None or admin is None:
        return
    zone = ZoneInfo(tenant.timezone)
    months = history_months(tenant, contract)
    bad = bad_month(months)
    for month in months:
        closed = db.session.scalars(
            select(ServiceRequest)
            .where(
                ServiceRequest.contract_id == contract.id,
                ServiceRequest.status == RequestStatus.CLOSED,
                ServiceRequest.requester_id.is_not(None),
                ServiceRequest.received_at >= datetime.combine(month.start, time.min, zone),
                ServiceRequest.received_at < datetime.combine(month.end, time.min, zone),
            )
            .order_by(ServiceRequest.id)
        ).all()
        for req, score in zip(closed, BAD_RATINGS if month is bad else USUAL_RATINGS, strict=False):
            with frozen_at(req.closed_at + timedelta(minutes=30)):
                ratings.rate(req, req.requester, score)
    survey_days = policy_of(tenant.id).survey_days
    for period in due_periods(contract, local_today(tenant), survey_days):
        day = period.end + timedelta(days=survey_days)
        with frozen_at(datetime.combine(day, time(1, 40), zone)):
            evaluate(tenant, [contract.id], day)
        if period != bad:
            continue
        measure = db.session.scalar(
            select(ImprovementMeasure)
            .where(ImprovementMeasure.contract_id == contract.id, ImprovementMeasure.status == MeasureStatus.OPEN)
            .order_by(ImprovementMeasure.id)
        )
        if measure is None:
            continue
        with frozen_at(datetime.combine(day + timedelta(days=2), time(10), zone)):
            update_measure(
                measure,
                admin,
                what="调整值班表：7×24 值班增加一名二线工程师，告警直达手机。Duty rota: a second-line engineer on "
                "call 7×24, alerts straight to the phone.",
                why="上月两类响应超时。Two kinds of response were late last month.",
                owner_id=(engineer or admin).id,
                due_on=day + timedelta(days=20),
                status=MeasureStatus.OPEN,
            )
        with frozen_at(datetime.combine(day + timedelta(days=15), time(17), zone)):
            update_measure(
                measure,
                admin,
                what=measure.what,
                why=measure.why,
                owner_id=measure.owner_id,
                due_on=measure.due_on,
                status=MeasureStatus.DONE,
            )
    db.session.commit()
