"""The demo's ratings (§12.3): the client's requester rated two requests it had closed; the one resolved lately and
not rated has its rating e-mail (in the outbox) with a link that works without signing in."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.billing.periods import period
from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core.clock import frozen_at, local_today, now
from saas.core.people import add_membership, create_user, user_by_email
from saas.extensions import db
from saas.requests.models import RequestStatus, ServiceRequest
from saas.satisfaction import services, surveys
from saas.satisfaction.models import SurveyInvite

COMMENTS = (
    (5, "工程师远程处理得很快，说明也清楚。Fixed remotely and quickly, clearly explained."),
    (3, "问题解决了，但第一次响应偏慢。Solved, but the first response was slow."),
)


def seed_ratings(tenant) -> None:
    """Rate the two latest requests the client closed, then ask for the rest as the job would."""
    resolved = db.session.scalars(
        select(ServiceRequest)
        .where(
            ServiceRequest.tenant_id == tenant.id,
            ServiceRequest.status == RequestStatus.CLOSED,
            ServiceRequest.requester_id.is_not(None),
        )
        .order_by(ServiceRequest.resolved_at.desc(), ServiceRequest.id)
        .limit(len(COMMENTS))
    ).all()
    for req, (score, comment) in zip(resolved, COMMENTS, strict=False):
        with frozen_at((req.closed_at or req.resolved_at) + timedelta(minutes=30)):  # rated as it was closed
            services.rate(req, req.requester, score, comment)
    services.ask_for_ratings(tenant, now())
    db.session.commit()


# The period's survey (annex 9) -------------------------------------------------------------------------------------

#: Two more people of the first client, so that the past survey has enough answers for its breakdown.
PANEL = (("zhou.gong", "周工 Zhou Gong"), ("chen.zhuguan", "陈主管 Chen (IT lead)"))
#: The past survey's answers: a score per question, in order (repeated over the questions), and the comment.
ANSWERS = (
    ((5, 4, 5, 4, 5, 5, 4, 5), "工程师响应很快，处理专业。Quick response and professional handling."),
    ((3, 4, 3, 3, 4, 4, 3, 3), "故障解决得有些慢，希望下次能更快。"),
    ((4, 5, 4, 4, 5, 4, 4, 4), "Clear explanations and complete reports, thank you."),
)


def seed_surveys(tenant) -> None:
    """For agreement HT-2026-0001: the survey of the period before last, answered by three of its client's four
    people; and the survey of the last period, still open, that the client's user can answer."""
    contract = db.session.scalar(
        select(Contract).where(Contract.tenant_id == tenant.id, Contract.number == "HT-2026-0001")
    )
    if contract is None or contract.status not in SIGNED_STATUSES:
        return
    _add_panel(tenant, contract.client_id)
    today = local_today(tenant)
    ended = surveys.due_periods(contract, today)
    latest = max((p.index for p in ended), default=None)
    if latest is None:
        return
    zone = ZoneInfo(tenant.timezone)
    if latest >= 1:
        past = period(contract.effective_date, latest - 1)
        opened = datetime.combine(past.end, time(0, 20), zone)
        with frozen_at(opened):
            survey = surveys.open_survey(contract, past.index, opened)
        if survey is not None:
            invites = db.session.scalars(
                select(SurveyInvite).where(SurveyInvite.survey_id == survey.id).order_by(SurveyInvite.id)
            ).all()
            keys = [q["key"] for q in survey.questions]
            for day, (invite, (scores, comment)) in enumerate(zip(invites, ANSWERS, strict=False), start=1):
                answers = {key: scores[i % len(scores)] for i, key in enumerate(keys)}
                surveys.submit(invite, answers, comment, at=opened + timedelta(days=day, hours=2))
    last = period(contract.effective_date, latest)
    opened = datetime.combine(last.end, time(0, 20), zone)
    with frozen_at(min(opened, now())):
        survey = surveys.open_survey(contract, latest, min(opened, now()))
    if survey is not None and survey.closes_at <= now() + timedelta(days=1):
        # the demo is built any day: keep its latest survey open a few days for trying the form
        survey.closes_at = now() + timedelta(days=surveys.survey_days(tenant.id))
    db.session.commit()


def _add_panel(tenant, client_id: int) -> None:
    for login, name in PANEL:
        email = f"{login}@{tenant.slug}.example.com"
        if user_by_email(email) is None:
            add_membership(tenant, create_user(email=email, name=name, password=None), "client_user", client_id)
    db.session.flush()
