"""Tables of the client's satisfaction: one rating per request and the ask e-mailed to its requester (§12.3); the
periodic evaluation with its weights and improvement measures (§11); the period's survey, anonymous (annex 9)."""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.contracts.models import Contract
from saas.core.clock import now
from saas.core.models import User
from saas.core.tenancy import ClientScoped, TenantScoped
from saas.core.types import ExactDecimal, UTCDateTime
from saas.extensions import db
from saas.requests.models import ServiceRequest


class RequestRating(ClientScoped, db.Model):
    """The client's rating of a resolved request, 1 to 5 with a comment; changeable until the request is closed."""

    __tablename__ = "request_rating"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_1_to_5"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: When the rating was last changed, if it was (until the request closes).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ServiceRequest] = relationship()
    rated_by: Mapped[User | None] = relationship()


class RatingAsk(ClientScoped, db.Model):
    """The e-mail asking a request's requester to rate it: once per request; its link works without signing in,
    once, until it expires."""

    __tablename__ = "rating_ask"
    __table_args__ = (UniqueConstraint("request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The secret the link carries besides its signature: a link of another ask never matches.
    nonce: Mapped[str] = mapped_column(String(43))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the link was used to rate: a second use is refused.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ServiceRequest] = relationship()
    user: Mapped[User] = relationship()


# The periodic evaluation (§11.1, §11.2) -------------------------------------------------------------------------


class Criterion(enum.StrEnum):
    """The criteria of §11.1, each scored 0–100 for a period."""

    RESPONSE = "response"  # technical support response time
    RESOLUTION = "resolution"  # problem-resolution speed
    QUALITY = "quality"  # service quality
    SURVEY = "survey"  # the client satisfaction survey (annex 9)


class EvaluationPolicy(TenantScoped, db.Model):
    """The vendor's weights and thresholds for the evaluations (§11.2), one row per tenant (defaults until saved)."""

    __tablename__ = "evaluation_policy"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint(
            "weight_response + weight_resolution + weight_quality + weight_survey = 100", name="weights_make_100"
        ),
        CheckConstraint(
            "threshold BETWEEN 0 AND 100 AND floor_response BETWEEN 0 AND 100 AND floor_resolution BETWEEN 0 AND 100 "
            "AND floor_quality BETWEEN 0 AND 100 AND floor_survey BETWEEN 0 AND 100",
            name="thresholds_0_100",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    weight_response: Mapped[int] = mapped_column(Integer, default=30)
    weight_resolution: Mapped[int] = mapped_column(Integer, default=30)
    weight_quality: Mapped[int] = mapped_column(Integer, default=20)
    weight_survey: Mapped[int] = mapped_column(Integer, default=20)
    #: An overall score below it opens improvement measures (§11.3).
    threshold: Mapped[int] = mapped_column(Integer, default=80)
    #: Each criterion's own threshold: a sub-score below it opens a measure on that criterion, whatever the overall
    #: score.
    floor_response: Mapped[int] = mapped_column(Integer, default=60)
    floor_resolution: Mapped[int] = mapped_column(Integer, default=60)
    floor_quality: Mapped[int] = mapped_column(Integer, default=60)
    floor_survey: Mapped[int] = mapped_column(Integer, default=60)
    #: Days the period's survey stays open after the period ends; the evaluation follows its close.
    survey_days: Mapped[int] = mapped_column(Integer, default=10)
    #: Days after the evaluation a measure it opens is due.
    measure_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class Evaluation(ClientScoped, db.Model):
    """One agreement's evaluation for one payment cycle (§11.1, §11.2): its sub-scores, overall score, and the frozen
    inputs and weights they were computed from, so that recomputing it later gives the same figures."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("contract_id", "period_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    #: The agreement's billing period it evaluates (saas.billing.periods, anchored on the effective date).
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    #: Requests received in the period; with none, no score is given (the evaluation says so).
    requests: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    response_score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    resolution_score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    quality_score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    survey_score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    below_threshold: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The period's figures each sub-score was computed from (counts, median, ratings, survey answers).
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The weights and thresholds in force when it was computed.
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship()

    @property
    def last_day(self) -> date:
        return self.period_end - timedelta(days=1)


class MeasureStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"  # carried out by its owner; the next evaluation judges it
    EFFECTIVE = "effective"  # the next period's criterion recovered
    NOT_EFFECTIVE = "not_effective"


class ImprovementMeasure(ClientScoped, db.Model):
    """What the vendor does about a criterion that fell short (§11.3): opened by the evaluation, checked by the next."""

    __tablename__ = "improvement_measure"
    __table_args__ = (UniqueConstraint("evaluation_id", "criterion"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(Text, default="")
    #: Why it was opened: the criterion's score against its threshold and the figures behind it.
    why: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=MeasureStatus.OPEN)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The later evaluation that judged it, and the criterion's score there.
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation.id", ondelete="SET NULL"))
    checked_score: Mapped[Decimal | None] = mapped_column(ExactDecimal(1))
    #: When its owner was reminded that it is overdue (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    evaluation: Mapped[Evaluation] = relationship(foreign_keys=[evaluation_id])
    checked_by: Mapped[Evaluation | None] = relationship(foreign_keys=[checked_by_id])
    owner: Mapped[User | None] = relationship()
    contract: Mapped[Contract] = relationship()


# The satisfaction survey (annex 9) ---------------------------------------------------------------------------------


class SurveyQuestion(TenantScoped, db.Model):
    """A 1–5 question of the vendor's survey, under one criterion, in both languages."""

    __tablename__ = "survey_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    criterion: Mapped[str] = mapped_column(String(16))
    text_zh: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Survey(ClientScoped, db.Model):
    """One agreement's survey for one period, opened at the period's end with a frozen copy of the questions."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("contract_id", "period_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    #: The questions as they were when it opened: [{"key", "criterion", "text_zh", "text_en"}].
    questions: Mapped[list] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship()


class SurveyInvite(ClientScoped, db.Model):
    """One panel member's invitation to a survey: its signed link, the two reminders, and whether it was answered.
    It is never linked to the answers (anonymity)."""

    __tablename__ = "survey_invite"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(43))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    first_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship()
    user: Mapped[User] = relationship()


class SurveyResponse(ClientScoped, db.Model):
    """One anonymous set of answers to a survey, with its comment; only the day it came in is kept."""

    __tablename__ = "survey_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date] = mapped_column(Date)


class SurveyAnswer(ClientScoped, db.Model):
    """One 1–5 answer of a response to one of the survey's questions."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_key"),
        CheckConstraint("score BETWEEN 1 AND 5", name="answer_1_to_5"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)


class SurveyPanelExclusion(ClientScoped, db.Model):
    """A person of the client its admin took off the survey panel (everyone of the client is on it otherwise)."""

    __tablename__ = "survey_panel_exclusion"
    __table_args__ = (UniqueConstraint("client_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
