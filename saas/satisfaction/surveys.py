"""The period's client satisfaction survey (§11.1 "client satisfaction survey", §11.2, annex 9).

At the end of every payment cycle (the agreement's billing period, anchored on its effective date) the daily job
opens the agreement's survey for that period, with a frozen copy of the vendor's questions, and e-mails each person
of the client's panel (its active people, less those its admin took off) a signed link that works once without
signing in; two reminders follow, 3 and 7 days after opening, to those who have not answered. The survey closes
`survey_days` after the period's end (local midnight). Answers are anonymous: the invitation only records that it
was answered; the response keeps its answers, its comment and the day. Results show a breakdown and the comments
only from MIN_RESPONSES responses, so that no one's answers can be picked out.
"""

import secrets
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from saas.billing.periods import Period, period, periods_between
from saas.billing.services import in_force
from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core import audit
from saas.core.bulk import among, insert_new
from saas.core.clock import local_date, now
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import CLIENT_ROLES, Membership, Tenant, User
from saas.core.parsing import clean_text
from saas.extensions import db
from saas.satisfaction.links import SignedLink, still_of_the_client
from saas.satisfaction.models import (
    Criterion,
    EvaluationPolicy,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyPanelExclusion,
    SurveyQuestion,
    SurveyResponse,
)

SCORES = (1, 2, 3, 4, 5)
MAX_TEXT = 300
MAX_COMMENT = 2000
#: Fewer responses than this show only the overall average and the count (anonymity).
MIN_RESPONSES = 3
#: Days after opening of the first and second reminder.
REMINDER_DAYS = (3, 7)
#: How far back the job opens surveys of periods that ended: a stopped worker catches up, a new install does not
#: survey the agreement's whole history.
OPEN_LOOKBACK = timedelta(days=62)
DEFAULT_SURVEY_DAYS = 10
SURVEY_LINK = SignedLink("survey-invite")
CENT = Decimal("0.01")

#: The questions a vendor starts with (annex 9): (criterion, Chinese, English).
DEFAULT_QUESTIONS = (
    (Criterion.RESPONSE, "我们响应您的服务请求是否及时？", "How promptly did we respond to your service requests?"),
    (Criterion.RESPONSE, "需要时能否方便地联系到技术支持？", "Could you reach technical support easily when needed?"),
    (Criterion.RESOLUTION, "问题解决的速度是否令您满意？", "Are you satisfied with how quickly problems were solved?"),
    (Criterion.RESOLUTION, "问题是否一次性彻底解决？", "Were problems solved for good the first time?"),
    (Criterion.QUALITY, "工程师的专业水平如何？", "How would you rate our engineers' expertise?"),
    (Criterion.QUALITY, "沟通和说明是否清楚？", "Were our communication and explanations clear?"),
    (Criterion.QUALITY, "服务记录和报告是否完整准确？", "Were the service records and reports complete and accurate?"),
    (
        Criterion.SURVEY,
        "总体而言，您对本期的服务满意吗？",
        "Overall, how satisfied are you with this period's service?",
    ),
)


class SurveyError(ServiceError):
    """A question, an answer or a panel change that cannot be made; the message says why."""


def criterion_labels() -> dict[str, str]:
    return {
        Criterion.RESPONSE: _("Response time"),
        Criterion.RESOLUTION: _("Resolution speed"),
        Criterion.QUALITY: _("Service quality"),
        Criterion.SURVEY: _("Overall satisfaction"),
    }


def question_text(question: dict | SurveyQuestion) -> str:
    """A question in the reader's language (Chinese for zh, English otherwise)."""
    zh = str(get_locale() or "").startswith("zh")
    if isinstance(question, dict):
        return question["text_zh"] if zh else question["text_en"]
    return question.text_zh if zh else question.text_en


# The vendor's questions --------------------------------------------------------------------------------------------


def ensure_questions(tenant: Tenant) -> None:
    """Give the tenant the default questions the first time it needs them (it never had any); two first needs at
    once (the editor and the job) make one set: the tenant's policy row is locked while one checks."""
    from saas.satisfaction.evaluation import locked_policy

    if db.session.scalar(select(SurveyQuestion.id).where(SurveyQuestion.tenant_id == tenant.id).limit(1)):
        return
    locked_policy(tenant.id)
    if db.session.scalar(select(SurveyQuestion.id).where(SurveyQuestion.tenant_id == tenant.id).limit(1)):
        return
    for position, (criterion, text_zh, text_en) in enumerate(DEFAULT_QUESTIONS, start=1):
        db.session.add(
            SurveyQuestion(
                tenant_id=tenant.id, criterion=str(criterion), text_zh=text_zh, text_en=text_en, position=position
            )
        )
    db.session.flush()


def questions(tenant: Tenant, active_only: bool = False) -> list[SurveyQuestion]:
    stmt = select(SurveyQuestion).where(SurveyQuestion.tenant_id == tenant.id)
    if active_only:
        stmt = stmt.where(SurveyQuestion.active)
    return list(db.session.scalars(stmt.order_by(SurveyQuestion.position, SurveyQuestion.id)))


def _clean(data: dict) -> dict:
    criterion = str(data.get("criterion") or "")
    if criterion not in set(Criterion):
        raise SurveyError(_("Choose the criterion the question belongs to."))
    cleaned = {"criterion": criterion}
    for key, label in (("text_zh", _("Chinese text")), ("text_en", _("English text"))):
        text = clean_text(data.get(key) or "", multiline=False).strip()
        if not text:
            raise SurveyError(_("%(field)s: write the question.", field=label))
        if len(text) > MAX_TEXT:
            raise SurveyError(_("%(field)s: at most %(count)d characters.", field=label, count=MAX_TEXT))
        cleaned[key] = text
    return cleaned


def add_question(tenant: Tenant, data: dict, actor: User) -> SurveyQuestion:
    """A new question at the end of the survey; surveys already open keep their own copy."""
    cleaned = _clean(data)
    ensure_questions(tenant)
    from saas.satisfaction.evaluation import locked_policy

    locked_policy(tenant.id)  # two questions added at once take the next positions in turn
    last = db.session.scalar(select(func.max(SurveyQuestion.position)).where(SurveyQuestion.tenant_id == tenant.id))
    question = SurveyQuestion(tenant_id=tenant.id, position=(last or 0) + 1, **cleaned)
    db.session.add(question)
    db.session.flush()
    audit.record("satisfaction.question_added", tenant_id=tenant.id, target=question, actor=actor)
    return question


def edit_question(question: SurveyQuestion, data: dict, actor: User) -> SurveyQuestion:
    cleaned = _clean(data)
    for key, value in cleaned.items():
        setattr(question, key, value)
    db.session.flush()
    audit.record("satisfaction.question_changed", tenant_id=question.tenant_id, target=question, actor=actor)
    return question


def set_active(question: SurveyQuestion, active: bool, actor: User) -> None:
    if not active and question.active:
        others = db.session.scalar(
            select(func.count(SurveyQuestion.id)).where(
                SurveyQuestion.tenant_id == question.tenant_id, SurveyQuestion.active, SurveyQuestion.id != question.id
            )
        )
        if not others:
            raise SurveyError(_("The survey needs at least one active question."))
    question.active = active
    db.session.flush()
    if active:
        audit.record("satisfaction.question_activated", tenant_id=question.tenant_id, target=question, actor=actor)
    else:
        audit.record("satisfaction.question_deactivated", tenant_id=question.tenant_id, target=question, actor=actor)


def move_question(question: SurveyQuestion, direction: str) -> None:
    """Swap the question with its neighbour above ("up") or below ("down"); the order is renumbered 1..n."""
    rows = questions(db.session.get(Tenant, question.tenant_id))
    index = rows.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    db.session.flush()


# Opening -----------------------------------------------------------------------------------------------------------


def survey_days(tenant_id: int) -> int:
    days = db.session.scalar(select(EvaluationPolicy.survey_days).where(EvaluationPolicy.tenant_id == tenant_id))
    return DEFAULT_SURVEY_DAYS if days is None else days


def closes_at(tenant: Tenant, period_end: date, days: int) -> datetime:
    """Local midnight at the period's end, `days` later, as UTC."""
    return datetime.combine(period_end + timedelta(days=days), time(0), ZoneInfo(tenant.timezone))


def due_periods(contract: Contract, today: date) -> list[Period]:
    """The agreement's periods in force that ended by `today` (its tenant's date), within OPEN_LOOKBACK."""
    start, stop = in_force(contract)
    window = today - OPEN_LOOKBACK
    found = periods_between(contract.effective_date, max(start, window - timedelta(days=31)), min(stop, today))
    return [p for p in found if window < p.end <= today]


def open_surveys(tenant: Tenant, at: datetime) -> int:
    """Open, for each agreement in force, the survey of each period that has ended lately, once (the unique
    (contract, period) makes a re-run, or two at once, open nothing twice); returns how many were opened."""
    today = local_date(tenant, at)
    contracts = db.session.scalars(
        select(Contract).where(
            Contract.tenant_id == tenant.id,
            Contract.status.in_(SIGNED_STATUSES),
            Contract.effective_date < today,
            Contract.ends_on >= today - OPEN_LOOKBACK,
        )
    ).all()
    return len(_open(tenant, [(c, p) for c in contracts for p in due_periods(c, today)], at))


def open_survey(contract: Contract, period_index: int, at: datetime) -> Survey | None:
    """Open one agreement's survey of one period now (the demo, tests); None when it was open already."""
    tenant = db.session.get(Tenant, contract.tenant_id)
    opened = _open(tenant, [(contract, period(contract.effective_date, period_index))], at)
    return opened[0] if opened else None


def _open(tenant: Tenant, due: list[tuple[Contract, Period]], at: datetime) -> list[Survey]:
    days = survey_days(tenant.id)
    due = [(c, p) for c, p in due if closes_at(tenant, p.end, days) > at]  # nothing left to answer otherwise
    if not due:
        return []
    ensure_questions(tenant)
    frozen = [
        {"key": q.id, "criterion": q.criterion, "text_zh": q.text_zh, "text_en": q.text_en}
        for q in questions(tenant, active_only=True)
    ]
    inserted = insert_new(
        Survey,
        [
            {
                "tenant_id": tenant.id,
                "client_id": contract.client_id,
                "contract_id": contract.id,
                "period_index": p.index,
                "period_start": p.start,
                "period_end": p.end,
                "questions": frozen,
                "opened_at": at,
                "closes_at": closes_at(tenant, p.end, days),
            }
            for contract, p in due
        ],
        unique=("contract_id", "period_index"),
        returning=("id",),
    )
    surveys = db.session.scalars(select(Survey).where(Survey.id.in_([r[0] for r in inserted]))).all()
    if not surveys:
        return []
    _invite(tenant, surveys, at)
    return list(surveys)


def panel_user_ids(tenant_id: int, client_ids) -> dict[int, list[int]]:
    """The panel of each client: its active people (admins and users) less those taken off, by client."""
    excluded = select(SurveyPanelExclusion.id).where(
        SurveyPanelExclusion.tenant_id == tenant_id,
        SurveyPanelExclusion.client_id == Membership.client_id,
        SurveyPanelExclusion.user_id == Membership.user_id,
    )
    rows = db.session.execute(
        select(Membership.client_id, Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.client_id.in_(list(client_ids)),
            Membership.role.in_([str(r) for r in CLIENT_ROLES]),
            User.active,
            ~excluded.exists(),
        )
        .order_by(Membership.user_id)
    ).all()
    panel = defaultdict(list)
    for client_id, user_id in rows:
        panel[client_id].append(user_id)
    return panel


def _invite(tenant: Tenant, surveys, at: datetime) -> None:
    panel = panel_user_ids(tenant.id, {s.client_id for s in surveys})
    inserted = insert_new(
        SurveyInvite,
        [
            {
                "tenant_id": tenant.id,
                "client_id": s.client_id,
                "survey_id": s.id,
                "user_id": user_id,
                "nonce": secrets.token_urlsafe(32),
                "sent_at": at,
                "first_reminder_at": None,
                "second_reminder_at": None,
                "answered_at": None,
            }
            for s in surveys
            for user_id in panel.get(s.client_id, [])
        ],
        unique=("survey_id", "user_id"),
        returning=("id",),
    )
    for invite in _invites([r[0] for r in inserted]):
        _mail(invite, "invite")


def _invites(ids) -> list[SurveyInvite]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(SurveyInvite)
            .options(joinedload(SurveyInvite.user), joinedload(SurveyInvite.survey).joinedload(Survey.contract))
            .where(SurveyInvite.id.in_(list(ids)))
            .order_by(SurveyInvite.id)
        ).unique()
    )


def link_url(invite: SurveyInvite) -> str:
    return external_url("satisfaction_link.survey_link", token=SURVEY_LINK.token(invite))


def _mail(invite: SurveyInvite, kind: str) -> int:
    survey = invite.survey
    link = link_url(invite)
    number = survey.contract.number

    def text_for(_is_vendor):
        if kind == "invite":
            subject = both_languages(lambda: _("Satisfaction survey of agreement %(number)s", number=number), " / ")
        else:
            subject = both_languages(lambda: _("Reminder: satisfaction survey of %(number)s", number=number), " / ")
        body = both_languages(
            lambda: _(
                "How satisfied were you with our service under agreement %(number)s from %(start)s to %(end)s? "
                "Answer a few questions from 1 to 5: %(link)s\n\nYour answers are anonymous. The link works once, "
                "without signing in, until %(closes)s; you can also answer in the portal under Surveys.",
                number=number,
                start=survey.period_start.isoformat(),
                end=(survey.period_end - timedelta(days=1)).isoformat(),
                link=link,
                closes=open_until(survey),
            )
        )
        return subject, body

    return mail_people(
        [(invite.user, False)], key=f"survey-{kind}:{invite.id}", tenant_id=invite.tenant_id, text_for=text_for
    )


# Reminders ---------------------------------------------------------------------------------------------------------


def send_reminders(tenant: Tenant, at: datetime) -> int:
    """Remind each invitee of an open survey who has not answered: once 3 days after opening, once 7 days after
    (a run that finds both due sends the second only); returns how many were reminded."""
    surveys = db.session.execute(
        select(Survey.id, Survey.opened_at).where(Survey.tenant_id == tenant.id, Survey.closes_at > at)
    ).all()
    first_due = [sid for sid, opened in surveys if opened + timedelta(days=REMINDER_DAYS[0]) <= at]
    second_due = [sid for sid, opened in surveys if opened + timedelta(days=REMINDER_DAYS[1]) <= at]
    still_member = (
        select(Membership.id)
        .where(
            Membership.tenant_id == SurveyInvite.tenant_id,
            Membership.client_id == SurveyInvite.client_id,
            Membership.user_id == SurveyInvite.user_id,
        )
        .exists()
    )
    reminded = 0
    for kind, due, column in (
        ("reminder-2", second_due, SurveyInvite.second_reminder_at),
        ("reminder-1", first_due, SurveyInvite.first_reminder_at),
    ):
        if not due:
            continue
        values = {column: at}
        if kind == "reminder-2":  # the first one, if it never went, is not sent after the second
            values[SurveyInvite.first_reminder_at] = func.coalesce(SurveyInvite.first_reminder_at, at)
        ids = db.session.scalars(
            update(SurveyInvite)
            .where(
                SurveyInvite.tenant_id == tenant.id,
                SurveyInvite.survey_id.in_(due),
                SurveyInvite.answered_at.is_(None),
                column.is_(None),
                still_member,
            )
            .values(values)
            .returning(SurveyInvite.id)
            .execution_options(synchronize_session=False)
        ).all()
        for invite in _invites(ids):
            if invite.user.active:
                reminded += _mail(invite, kind)
    return reminded


# Answering ---------------------------------------------------------------------------------------------------------


def period_label(survey: Survey) -> str:
    """The survey's period as its first and last day."""
    return f"{survey.period_start.isoformat()} – {(survey.period_end - timedelta(days=1)).isoformat()}"


def open_until(survey: Survey) -> str:
    """The survey's last day to answer, in its tenant's calendar (it closes at the next local midnight)."""
    return local_date(survey.contract.tenant, survey.closes_at - timedelta(microseconds=1)).isoformat()


def is_open(survey: Survey, at: datetime | None = None) -> bool:
    return (at or now()) < survey.closes_at


def open_for(tenant: Tenant, client_id: int, user_id: int) -> list[tuple[Survey, SurveyInvite]]:
    """The client's open surveys the person is invited to, with the invitation (answered or not)."""
    rows = db.session.execute(
        select(Survey, SurveyInvite)
        .join(SurveyInvite, SurveyInvite.survey_id == Survey.id)
        .options(joinedload(Survey.contract))
        .where(
            Survey.tenant_id == tenant.id,
            Survey.client_id == client_id,
            SurveyInvite.user_id == user_id,
            Survey.closes_at > now(),
        )
        .order_by(Survey.closes_at, Survey.id)
    ).all()
    return [(s, i) for s, i in rows]


def to_answer_count(tenant: Tenant, client_id: int, user_id: int) -> int:
    return sum(1 for _s, invite in open_for(tenant, client_id, user_id) if invite.answered_at is None)


def invite_of(survey: Survey, user_id: int) -> SurveyInvite | None:
    return db.session.scalar(
        select(SurveyInvite).where(SurveyInvite.survey_id == survey.id, SurveyInvite.user_id == user_id)
    )


def check_answers(survey: Survey, form) -> tuple[dict[int, int], str, dict[int, str]]:
    """(scores by question key, comment, errors by question key; key 0 is the comment) from a submitted form whose
    fields are `q<key>` and `comment`."""
    scores, errors = {}, {}
    for question in survey.questions:
        raw = (form.get(f"q{question['key']}") or "").strip()
        if not raw:
            errors[question["key"]] = _("Answer this question.")
            continue
        try:
            score = int(raw)
        except ValueError:
            score = 0
        if score not in SCORES:
            errors[question["key"]] = _("Choose a score from 1 to 5.")
            continue
        scores[question["key"]] = score
    comment = clean_text(form.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        errors[0] = _("The comment is at most %(count)d characters.", count=MAX_COMMENT)
    return scores, comment, errors


def submit(invite: SurveyInvite, scores: dict[int, int], comment: str, at: datetime | None = None) -> SurveyResponse:
    """Record the invitee's answers, once, while the survey is open; the response does not name its author.
    The invitation is locked: two submissions at once make one response."""
    at = at or now()
    invite = db.session.scalar(
        select(SurveyInvite)
        .where(SurveyInvite.id == invite.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invite.answered_at is not None:
        raise SurveyError(REFUSALS["answered"]())
    survey = invite.survey
    if not is_open(survey, at):
        raise SurveyError(REFUSALS["closed"]())
    keys = {q["key"]: q["criterion"] for q in survey.questions}
    if set(scores) != set(keys) or any(s not in SCORES for s in scores.values()):
        raise SurveyError(_("Answer every question with a score from 1 to 5."))
    tenant = db.session.get(Tenant, invite.tenant_id)
    response = SurveyResponse(
        tenant_id=invite.tenant_id,
        client_id=invite.client_id,
        survey_id=survey.id,
        comment=comment,
        submitted_on=local_date(tenant, at),
    )
    db.session.add(response)
    db.session.flush()
    db.session.add_all(
        SurveyAnswer(
            tenant_id=invite.tenant_id,
            client_id=invite.client_id,
            response_id=response.id,
            survey_id=survey.id,
            question_key=key,
            criterion=keys[key],
            score=score,
        )
        for key, score in sorted(scores.items())
    )
    invite.answered_at = at
    db.session.flush()
    return response


REFUSALS = {
    "invalid": lambda: _("This survey link is not valid. You can answer the survey in the portal instead."),
    "answered": lambda: _("This survey has already been answered with this invitation. Thank you."),
    "closed": lambda: _("This survey has closed: answers are no longer taken."),
    "not_invited": lambda: _("You are not on this survey's panel."),
}


def invite_of_token(token: str) -> tuple[SurveyInvite | None, str]:
    """(the invitation, "") for a link that may be used now; else (the invitation or None, why not: "invalid",
    "answered" or "closed")."""
    invite = SURVEY_LINK.row_of(SurveyInvite, token)
    if invite is None or not still_of_the_client(invite):
        return None, "invalid"
    if invite.answered_at is not None:
        return invite, "answered"
    if not is_open(invite.survey):
        return invite, "closed"
    return invite, ""


def tenant_of_token(token: str) -> int | None:
    return SURVEY_LINK.tenant_of(token)


# The panel ---------------------------------------------------------------------------------------------------------


def panel(tenant: Tenant, client_id: int) -> list[tuple[Membership, bool]]:
    """The client's people with whether each is on the panel (True) or was taken off."""
    members = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(
            Membership.tenant_id == tenant.id,
            Membership.client_id == client_id,
            Membership.role.in_([str(r) for r in CLIENT_ROLES]),
        )
        .order_by(Membership.id)
    ).all()
    off = set(
        db.session.scalars(
            select(SurveyPanelExclusion.user_id).where(
                SurveyPanelExclusion.tenant_id == tenant.id, SurveyPanelExclusion.client_id == client_id
            )
        )
    )
    return [(m, m.user_id not in off) for m in members if m.user.active]


def set_on_panel(membership: Membership, on: bool, actor: User) -> None:
    """Put one of the client's people back on the panel, or take them off (surveys opened later follow)."""
    if membership.client_id is None or membership.role not in {str(r) for r in CLIENT_ROLES}:
        raise SurveyError(_("Only the client's people are on its panel."))
    if on:
        db.session.execute(
            delete(SurveyPanelExclusion).where(
                SurveyPanelExclusion.tenant_id == membership.tenant_id,
                SurveyPanelExclusion.client_id == membership.client_id,
                SurveyPanelExclusion.user_id == membership.user_id,
            )
        )
    else:
        insert_new(
            SurveyPanelExclusion,
            [
                {
                    "tenant_id": membership.tenant_id,
                    "client_id": membership.client_id,
                    "user_id": membership.user_id,
                    "excluded_by_id": actor.id,
                    "created_at": now(),
                }
            ],
            unique=("client_id", "user_id"),
            returning=("id",),
        )
    if on:
        audit.record("satisfaction.panel_added", tenant_id=membership.tenant_id, target=membership, actor=actor)
    else:
        audit.record("satisfaction.panel_removed", tenant_id=membership.tenant_id, target=membership, actor=actor)


# Results -----------------------------------------------------------------------------------------------------------


def _average(total, count) -> Decimal | None:
    if not count:
        return None
    return (Decimal(int(total)) / Decimal(int(count))).quantize(CENT, rounding=ROUND_HALF_UP)


def list_surveys(tenant: Tenant, client_id: int | None = None, limit: int = 200) -> list[dict]:
    """Surveys newest first, each with its invitations, answered ones and response rate (answered / invited)."""
    stmt = (
        select(
            Survey,
            func.count(SurveyInvite.id),
            func.count(SurveyInvite.answered_at),
        )
        .outerjoin(SurveyInvite, SurveyInvite.survey_id == Survey.id)
        .options(joinedload(Survey.contract))
        .where(Survey.tenant_id == tenant.id)
        .group_by(Survey.id)
        .order_by(Survey.period_end.desc(), Survey.id.desc())
        .limit(limit)
    )
    if client_id is not None:
        stmt = stmt.where(Survey.client_id == client_id)
    rows = []
    for survey, invited, answered in db.session.execute(stmt).unique().all():
        rate = (Decimal(answered) * 100 / Decimal(invited)).quantize(Decimal("1"), ROUND_HALF_UP) if invited else None
        rows.append({"survey": survey, "invited": invited, "answered": answered, "rate": rate})
    return rows


def results(survey: Survey) -> dict:
    """What the results screen shows: always the counts and the overall average; the per-question and
    per-criterion averages and the comments only from MIN_RESPONSES responses, and only once the survey has closed
    (watched while answers come in, one breakdown minus the one before would show the latest person's answers)."""
    invited, answered = db.session.execute(
        select(func.count(SurveyInvite.id), func.count(SurveyInvite.answered_at)).where(
            SurveyInvite.survey_id == survey.id
        )
    ).one()
    responses = db.session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id))
    by_question = {
        key: (total, count)
        for key, total, count in db.session.execute(
            select(SurveyAnswer.question_key, func.sum(SurveyAnswer.score), func.count(SurveyAnswer.id))
            .where(SurveyAnswer.survey_id == survey.id)
            .group_by(SurveyAnswer.question_key)
        )
    }
    total = sum(t for t, _c in by_question.values())
    count = sum(c for _t, c in by_question.values())
    shown = {
        "invited": invited,
        "answered": answered,
        "responses": responses,
        "average": _average(total, count),
        "breakdown": responses >= MIN_RESPONSES and survey.closes_at <= now(),
        "after_close": responses >= MIN_RESPONSES and survey.closes_at > now(),
        "questions": [],
        "criteria": [],
        "comments": [],
    }
    if not shown["breakdown"]:
        return shown
    by_criterion = defaultdict(lambda: [0, 0])
    for question in survey.questions:
        t, c = by_question.get(question["key"], (0, 0))
        shown["questions"].append({"question": question, "average": _average(t, c), "count": c})
        by_criterion[question["criterion"]][0] += t
        by_criterion[question["criterion"]][1] += c
    shown["criteria"] = [(criterion, _average(t, c)) for criterion, (t, c) in by_criterion.items()]
    # By text, not by arrival: the order of the comments says nothing of who wrote which.
    shown["comments"] = sorted(
        db.session.scalars(
            select(SurveyResponse.comment).where(SurveyResponse.survey_id == survey.id, SurveyResponse.comment != "")
        )
    )
    return shown


def survey_results(contract_ids: list[int], period_index_by_contract: dict[int, int]) -> dict[int, dict]:
    """Each contract's survey of the given period: {"survey_id", "invited", "responses", "average" (Decimal 1–5
    over all its answers, to 0.01, or None without answers), "by_criterion": {criterion: Decimal average}};
    a contract without a survey of that period has no key."""
    places = [(cid, period_index_by_contract[cid]) for cid in contract_ids if cid in period_index_by_contract]
    keys = ("survey_id", "invited", "responses", "average", "by_criterion")
    return {cid: {k: row[k] for k in keys} for (cid, _index), row in figures_by_period(places).items()}


def figures_by_period(places: list[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """For the evaluation (§11.2): the survey of each (contract, period index) that has one, in four queries
    whatever their number: survey_results' figures, with the answers' count and sum besides their average."""
    wanted = set(places)
    if not wanted:
        return {}
    surveys = {
        survey_id: (contract_id, index)
        for survey_id, contract_id, index in db.session.execute(
            select(Survey.id, Survey.contract_id, Survey.period_index).where(
                among(Survey.contract_id, sorted({c for c, _i in wanted})),
                Survey.period_index.in_({i for _c, i in wanted}),
            )
        )
        if (contract_id, index) in wanted
    }
    if not surveys:
        return {}
    found = {
        place: {
            "survey_id": survey_id,
            "invited": 0,
            "responses": 0,
            "answers": 0,
            "answer_sum": 0,
            "average": None,
            "by_criterion": {},
        }
        for survey_id, place in surveys.items()
    }
    ids = list(surveys)
    for survey_id, invited in db.session.execute(
        select(SurveyInvite.survey_id, func.count(SurveyInvite.id))
        .where(among(SurveyInvite.survey_id, ids))
        .group_by(SurveyInvite.survey_id)
    ):
        found[surveys[survey_id]]["invited"] = invited
    for survey_id, responses in db.session.execute(
        select(SurveyResponse.survey_id, func.count(SurveyResponse.id))
        .where(among(SurveyResponse.survey_id, ids))
        .group_by(SurveyResponse.survey_id)
    ):
        found[surveys[survey_id]]["responses"] = responses
    for survey_id, criterion, total, count in db.session.execute(
        select(
            SurveyAnswer.survey_id, SurveyAnswer.criterion, func.sum(SurveyAnswer.score), func.count(SurveyAnswer.id)
        )
        .where(among(SurveyAnswer.survey_id, ids))
        .group_by(SurveyAnswer.survey_id, SurveyAnswer.criterion)
    ):
        row = found[surveys[survey_id]]
        row["by_criterion"][criterion] = _average(total, count)
        row["answer_sum"] += int(total)
        row["answers"] += int(count)
    for row in found.values():
        row["average"] = _average(row["answer_sum"], row["answers"])
    return found
