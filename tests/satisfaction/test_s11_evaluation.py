"""§11.1–§11.3: every payment cycle of an agreement is evaluated once its survey has closed, on the criteria of §11.1
(response, resolution, quality, survey) from the period's own data, with the vendor's weights frozen on it; one
falling short opens improvement measures, which the next period's evaluation judges.

The agreement is effective on 31 January 2028: its periods run 31 Jan–28 Feb, 29 Feb (leap day)–30 Mar,
31 Mar–29 Apr, 30 Apr–30 May; the clock walks through them."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.core.parsing import parse_ranked_cursor
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestStatus
from saas.satisfaction import services as ratings
from saas.satisfaction.evaluation import policy_of, scores
from saas.satisfaction.models import (
    Criterion,
    Evaluation,
    EvaluationPolicy,
    ImprovementMeasure,
    MeasureStatus,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)
from saas.satisfaction.tasks import run_evaluations

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def leap(db, world, make_signed_contract, clock):
    """Alpha's first client under an agreement effective 31 January 2028 (service response 4 h, fault 2 h)."""
    clock.set(datetime(2028, 1, 30, 9, 0, tzinfo=SHANGHAI))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2028, 1, 31))
    cats = {c.code: c for c in requests.categories(tenant)}
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "cats": cats}


def set_policy(leap, **changes) -> None:
    """The tenant's saved weights and thresholds: the defaults with these changes."""
    from saas.satisfaction.evaluation import DEFAULTS

    db.session.add(EvaluationPolicy(tenant_id=leap["tenant"].id, **{**DEFAULTS, **changes}))
    db.session.commit()


def at(clock, day: date, hour: int = 9):
    clock.set(datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=hour))


def raised(leap, world, code: str, subject="机房巡检"):
    req = requests.create_request(
        leap["tenant"],
        world.clients("alpha")[0].id,
        {"category_id": leap["cats"][code].id, "subject": subject},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return req


def handled(req, world, clock, respond_after: float, resolve_after: float):
    """The engineer answers after `respond_after` hours and resolves after `resolve_after` hours (7x24 clock)."""
    engineer = world.person("alpha", "vendor_engineer")
    start = clock.now()
    clock.set(start + timedelta(hours=respond_after))
    requests.reply(req, engineer, "我们在查看", by_client=False)
    clock.set(start + timedelta(hours=resolve_after))
    requests.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    db.session.commit()


def reopened(req, world, clock):
    """The client rejects the fix, and the engineer resolves it again an hour later."""
    requests.change_status(req, RequestStatus.IN_PROGRESS, world.person("alpha", "client_user"), by_client=True)
    clock.advance(hours=1)
    requests.change_status(req, RequestStatus.RESOLVED, world.person("alpha", "vendor_engineer"), by_client=False)
    db.session.commit()


def answered(contract, index: int, scores_given: list[list[int]], open_days: int = 10):
    """A survey of the period with these anonymous responses (one list of 1–5 answers each)."""
    from saas.billing.periods import period

    p = period(contract.effective_date, index)
    survey = Survey(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        period_index=index,
        period_start=p.start,
        period_end=p.end,
        questions=[{"key": 0, "criterion": "survey", "text_zh": "总体满意度", "text_en": "Overall"}],
        closes_at=datetime.combine(p.end + timedelta(days=open_days), datetime.min.time(), SHANGHAI),
    )
    db.session.add(survey)
    db.session.flush()
    for answers in scores_given:
        response = SurveyResponse(
            tenant_id=contract.tenant_id, client_id=contract.client_id, survey_id=survey.id, submitted_on=p.end
        )
        db.session.add(response)
        db.session.flush()
        for key, score in enumerate(answers):
            db.session.add(
                SurveyAnswer(
                    tenant_id=contract.tenant_id,
                    client_id=contract.client_id,
                    response_id=response.id,
                    survey_id=survey.id,
                    question_key=key,
                    criterion="survey",
                    score=score,
                )
            )
    db.session.commit()


def evaluations(contract) -> list[Evaluation]:
    return db.session.scalars(
        select(Evaluation).where(Evaluation.contract_id == contract.id).order_by(Evaluation.period_index)
    ).all()


def run(clock, day: date) -> None:
    at(clock, day, hour=1)
    run_evaluations()  # inline in tests: plans the chunks and evaluates them
    db.session.expire_all()


def test_s11_1_three_periods_scored_exactly_from_their_data_once_each(db, client, world, leap, clock):
    contract = leap["contract"]
    # Period 0 (31 Jan – 28 Feb): three requests.
    at(clock, date(2028, 2, 1))
    fast = raised(leap, world, "GENERAL", "打印机")
    handled(fast, world, clock, respond_after=1, resolve_after=2)
    ratings.rate(fast, world.person("alpha", "client_user"), 5)
    at(clock, date(2028, 2, 3))
    late = raised(leap, world, "GENERAL", "邮件")
    handled(late, world, clock, respond_after=5, resolve_after=6)  # responded after the 4 h of §4.1
    ratings.rate(late, world.person("alpha", "client_user"), 3)
    at(clock, date(2028, 2, 28), hour=20)  # the period's last evening
    fault = raised(leap, world, "FAULT", "数据库宕机")
    handled(fault, world, clock, respond_after=1, resolve_after=3)
    reopened(fault, world, clock)
    db.session.commit()
    # Period 1 (29 Feb – 30 Mar): one request answered late and resolved after its 72 h.
    at(clock, date(2028, 2, 29))
    slow = raised(leap, world, "GENERAL", "备份失败")
    handled(slow, world, clock, respond_after=6, resolve_after=80)

    run(clock, date(2028, 3, 9))  # period 0's survey closes on 10 March: nothing yet
    assert evaluations(contract) == []
    run(clock, date(2028, 3, 10))
    run(clock, date(2028, 3, 10))  # the same day again
    first = evaluations(contract)
    assert [(e.period_index, e.period_start, e.period_end) for e in first] == [
        (0, date(2028, 1, 31), date(2028, 2, 29))
    ]
    e0 = first[0]
    assert e0.requests == 3
    # response: service 1 of 2 in time, fault 1 of 1 → 2/3
    assert e0.inputs["response"]["service_response"] == {"judged": 2, "met": 1}
    assert e0.inputs["response"]["fault_response"] == {"judged": 1, "met": 1}
    assert e0.response_score == Decimal("66.7")
    # resolution: 3 of 3 within 72 h; working time to resolve 2, 6 and 4 h (the fault: 3 h, reopened at once and
    # resolved again an hour later) on the 7x24 clock → median 4 h
    assert e0.inputs["resolution"] == {"judged": 3, "met": 3, "median_hours": "4.0"}
    assert e0.resolution_score == Decimal("100.0")
    # quality: reopened 1 of 3 → 66.7; no §8.1.1 breach → 100; ratings 5 and 3 → 75.0; mean 80.6
    assert e0.inputs["quality"] == {"reopened": 1, "breaches": 0, "ratings": 2, "rating_sum": 8}
    assert e0.quality_score == Decimal("80.6")
    assert e0.survey_score is None and e0.inputs["survey"] is None
    # (30 × 66.7 + 30 × 100 + 20 × 80.6) / 80: the survey's weight goes to the others
    assert e0.score == Decimal("82.7") and not e0.below_threshold

    at(clock, date(2028, 4, 1))
    answered(contract, 1, [[2], [2], [3]])  # a poor survey of period 1
    # Period 2 (31 Mar – 29 Apr): one request handled in time. Period 3 (30 Apr – 30 May): none.
    at(clock, date(2028, 4, 2))
    good = raised(leap, world, "GENERAL", "账号")
    handled(good, world, clock, respond_after=1, resolve_after=2)
    run(clock, date(2028, 4, 9))  # period 1 (ends 31 Mar) closes on 10 April
    assert len(evaluations(contract)) == 1
    run(clock, date(2028, 4, 10))
    e1 = evaluations(contract)[1]
    assert (e1.period_index, e1.period_start, e1.period_end) == (1, date(2028, 2, 29), date(2028, 3, 31))
    assert (e1.response_score, e1.resolution_score) == (Decimal("0.0"), Decimal("0.0"))
    assert e1.quality_score == Decimal("100.0")  # no reopening, no §8.1.1 breach, no rating
    assert e1.inputs["survey"] == {
        "invited": 0,
        "responses": 3,
        "answers": 3,
        "answer_sum": 7,
        "by_criterion": {"survey": "2.33"},
    }
    assert e1.survey_score == Decimal("33.3")  # average 7/3 on 1–5 → 25 × (2.333 − 1)
    assert e1.score == Decimal("26.7")  # (0 + 0 + 20 × 100 + 20 × 33.3) / 100
    assert e1.below_threshold
    measures = db.session.scalars(select(ImprovementMeasure).order_by(ImprovementMeasure.criterion)).all()
    assert [(m.criterion, m.status, m.evaluation_id) for m in measures] == [
        ("resolution", MeasureStatus.OPEN, e1.id),
        ("response", MeasureStatus.OPEN, e1.id),
        ("survey", MeasureStatus.OPEN, e1.id),
    ]
    assert measures[0].due_on == date(2028, 3, 31) + timedelta(days=40)

    run(clock, date(2028, 5, 9))
    assert len(evaluations(contract)) == 2
    run(clock, date(2028, 5, 10))
    run(clock, date(2028, 5, 10))
    e2 = evaluations(contract)[2]
    assert (e2.requests, e2.response_score, e2.resolution_score, e2.score) == (
        1,
        Decimal("100.0"),
        Decimal("100.0"),
        Decimal("100.0"),
    )
    db.session.expire_all()
    judged = {m.criterion: m for m in db.session.scalars(select(ImprovementMeasure))}
    assert (judged["response"].status, judged["response"].checked_by_id) == (MeasureStatus.EFFECTIVE, e2.id)
    assert judged["response"].checked_score == Decimal("100.0")
    assert judged["resolution"].status == MeasureStatus.EFFECTIVE
    # no survey in period 2: the survey's measure waits for a period that has one
    assert (judged["survey"].status, judged["survey"].checked_by_id) == (MeasureStatus.OPEN, None)

    run(clock, date(2028, 6, 10))  # period 3 (30 Apr – 30 May) closes on 10 June
    e3 = evaluations(contract)[3]
    assert (e3.period_start, e3.period_end, e3.requests, e3.score, e3.below_threshold) == (
        date(2028, 4, 30),
        date(2028, 5, 31),
        0,
        None,
        False,
    )
    assert db.session.scalar(select(func.count(Evaluation.id))) == 4
    assert db.session.scalar(select(func.count(ImprovementMeasure.id))) == 3
    # the period without requests says so, on its page and in the overview, instead of showing a score
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    empty = client.get(f"/t/alpha/evaluations/{e3.id}").get_data(as_text=True)
    assert 'data-testid="no-requests"' in empty and 'data-testid="overall-score">no score<' in empty
    scored = client.get(f"/t/alpha/evaluations/{e2.id}").get_data(as_text=True)
    assert 'data-testid="no-requests"' not in scored and 'data-testid="overall-score">100.0<' in scored
    overview = client.get("/t/alpha/evaluations/").get_data(as_text=True)
    [row] = [r for r in overview.split('data-testid="evaluation-row"')[1:] if contract.number in r]
    assert "2028-04-30 – 2028-05-30" in row and "no score" in row
    assert 'data-testid="no-requests">No requests</span>' in row


def test_s11_2_the_frozen_inputs_and_weights_give_the_same_figures_after_the_policy_changes(db, world, leap, clock):
    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=5, resolve_after=6)
    run(clock, date(2028, 3, 10))
    (e0,) = evaluations(leap["contract"])
    floors = {"response": 60, "resolution": 60, "quality": 60, "survey": 60}
    assert e0.weights == {
        "response": 30,
        "resolution": 30,
        "quality": 20,
        "survey": 20,
        "threshold": 80,
        "floors": floors,
    }
    before = (e0.score, e0.response_score, e0.below_threshold)
    set_policy(
        leap,
        weight_response=70,
        weight_resolution=10,
        weight_quality=10,
        weight_survey=10,
        threshold=50,
        floor_response=10,
        floor_resolution=10,
        floor_quality=10,
        floor_survey=10,
    )
    db.session.commit()
    again = scores(e0.inputs, e0.weights)
    assert (again["score"], again["sub"][Criterion.RESPONSE], again["below"]) == before
    # response 0 of 1, resolution 1 of 1, quality 100: (30 × 0 + 30 × 100 + 20 × 100) / 80
    assert before == (Decimal("62.5"), Decimal("0.0"), True)
    assert policy_of(leap["tenant"].id).threshold == 50  # the new policy applies to later evaluations only


def test_s11_2_the_screens_show_the_score_its_computation_and_the_chart(db, client, world, leap, clock):
    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=5, resolve_after=6)
    run(clock, date(2028, 3, 10))
    (e0,) = evaluations(leap["contract"])
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    overview = client.get("/t/alpha/evaluations/").get_data(as_text=True)
    assert leap["contract"].number in overview and "62.5" in overview and "row-warn" in overview
    rows = client.get("/t/alpha/evaluations/?after=0-0", headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.get_data(as_text=True)
    page = client.get(f"/t/alpha/evaluations/agreements/{leap['contract'].id}").get_data(as_text=True)
    assert 'data-testid="scores-chart"' in page and "62.5" in page
    fragment = client.get(f"/t/alpha/evaluations/{e0.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'data-testid="sub-score-response">0.0<' in fragment
    assert 'data-testid="overall-score">62.5<' in fragment
    # the client's admin reads its own, and never another client's
    client.sign_in(world.person("alpha", "client_admin").email)
    assert "62.5" in client.get(f"/t/alpha/portal/evaluations/{e0.id}").get_data(as_text=True)
    own = client.get(f"/t/alpha/portal/evaluations/agreements/{leap['contract'].id}").get_data(as_text=True)
    assert 'data-testid="measure-row"' in own and "measure-status" in own  # the client sees its measures
    client.sign_in(world.person("alpha", "client_admin_2").email)  # the admin of alpha's other client
    assert client.get(f"/t/alpha/portal/evaluations/{e0.id}").status_code == 404
    assert client.get(f"/t/alpha/portal/evaluations/agreements/{leap['contract'].id}").status_code == 404
    assert leap["contract"].number not in client.get("/t/alpha/portal/evaluations/").get_data(as_text=True)


def test_s11_2_weights_that_do_not_add_up_or_a_threshold_out_of_range_are_refused(db, client, world, leap):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    good = {
        "weight_response": "40",
        "weight_resolution": "30",
        "weight_quality": "20",
        "weight_survey": "10",
        "threshold": "75",
        "floor_response": "50",
        "floor_resolution": "50",
        "floor_quality": "50",
        "floor_survey": "50",
        "survey_days": "7",
        "measure_days": "20",
    }
    bad = client.post_form("/t/alpha/evaluations/policy", {**good, "weight_survey": "20"})
    assert bad.status_code == 422
    assert "The weights add up to 110; they must add up to 100." in bad.get_data(as_text=True)
    out = client.post_form("/t/alpha/evaluations/policy", {**good, "threshold": "120"})
    assert out.status_code == 422
    page = out.get_data(as_text=True)
    # the reason stands under the threshold's own field, and no other field is faulted
    field = page.split('<label for="threshold">', 1)[1].split("</div>", 1)[0]
    assert 'aria-invalid="true" id="threshold"' in field and 'value="120"' in field
    assert '<p class="error" role="alert">A whole number from 0 to 100.</p>' in field
    assert page.count('role="alert">') == 1
    assert db.session.scalar(select(func.count(EvaluationPolicy.id))) == 0
    saved = client.post_form("/t/alpha/evaluations/policy", good)
    assert saved.status_code == 302
    policy = policy_of(leap["tenant"].id)
    assert (policy.weight_response, policy.threshold, policy.survey_days) == (40, 75, 7)


def test_s11_3_the_owner_plans_a_measure_and_the_overdue_one_is_reminded_once(db, client, world, leap, clock):
    from saas.core.models import MailMessage
    from saas.satisfaction.tasks import remind_overdue_measures

    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=5, resolve_after=6)
    run(clock, date(2028, 3, 10))
    measure = db.session.scalar(select(ImprovementMeasure))
    assert measure.criterion == "response" and measure.due_on == date(2028, 2, 29) + timedelta(days=40)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    url = f"/t/alpha/evaluations/measures/{measure.id}"
    empty = client.post_form(url, {"what": " ", "due_on": "2028-04-01", "status": "open", "owner_id": "0"})
    assert empty.status_code == 422 and db.session.scalar(select(ImprovementMeasure.what)) == ""
    engineer = world.person("alpha", "vendor_engineer")
    planned = client.post_form(
        url, {"what": "值班表调整", "why": "", "due_on": "2028-04-01", "status": "open", "owner_id": str(engineer.id)}
    )
    assert planned.status_code == 302
    db.session.expire_all()
    assert (measure.what, measure.owner_id, measure.due_on) == ("值班表调整", engineer.id, date(2028, 4, 1))
    at(clock, date(2028, 4, 1), hour=12)
    assert remind_overdue_measures() == 0  # due today: not overdue yet
    at(clock, date(2028, 4, 2), hour=12)
    assert remind_overdue_measures() == 1
    assert remind_overdue_measures() == 0
    mails = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like("measure-overdue:%"))).all()
    assert [m.to for m in mails] == [engineer.email] and leap["contract"].number in mails[0].subject
    board = client.get("/t/alpha/evaluations/measures?status=open").get_data(as_text=True)
    assert leap["contract"].number in board


def test_s11_1_the_compliance_view_counts_the_periods_below_the_threshold(db, world, leap, clock):
    from saas.core.plugins import merge_obligations, plugin_manager

    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=1, resolve_after=2)
    at(clock, date(2028, 3, 1))
    late = raised(leap, world, "GENERAL")
    handled(late, world, clock, respond_after=5, resolve_after=6)
    run(clock, date(2028, 4, 10))
    rows = merge_obligations(plugin_manager().hook.saas_contract_obligations(contract=leap["contract"]))
    evaluation = next(r for r in rows if r.clause == "§11.1, §11.2")
    assert (evaluation.applied, evaluation.met, evaluation.breached) == (2, 1, 1)


def test_s11_3_a_criterion_below_its_own_threshold_opens_its_measure_whatever_the_overall_score(db, world, leap, clock):
    set_policy(leap, threshold=50, floor_quality=90)  # the vendor holds quality to a higher bar than the rest
    db.session.commit()
    at(clock, date(2028, 2, 1))
    for _ in range(2):
        req = raised(leap, world, "GENERAL")
        handled(req, world, clock, respond_after=1, resolve_after=2)
    reopened(req, world, clock)  # one of two reopened: quality 75.0
    run(clock, date(2028, 3, 10))
    (e0,) = evaluations(leap["contract"])
    assert (e0.response_score, e0.resolution_score, e0.quality_score) == (
        Decimal("100.0"),
        Decimal("100.0"),
        Decimal("75.0"),  # mean of 50.0 (reopened) and 100.0 (no §8.1.1 breach)
    )
    # (30 × 100 + 30 × 100 + 20 × 75) / 80: well above 50 overall, yet quality is short of its own 90
    assert e0.score == Decimal("93.8") and e0.below_threshold
    measures = db.session.scalars(select(ImprovementMeasure)).all()
    assert [(m.criterion, m.evaluation_id) for m in measures] == [("quality", e0.id)]


def test_s11_2_a_survey_opened_for_longer_is_waited_for_before_the_period_is_evaluated(db, world, leap, clock):
    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=1, resolve_after=2)
    answered(leap["contract"], 0, [[5]], open_days=20)  # opened when the vendor gave surveys 20 days
    run(clock, date(2028, 3, 10))  # ten days after the period, as the policy now says: the survey still runs
    assert evaluations(leap["contract"]) == []
    run(clock, date(2028, 3, 20))  # it closed at midnight: evaluated with every answer it got
    (e0,) = evaluations(leap["contract"])
    assert (e0.period_index, e0.survey_score) == (0, Decimal("100.0"))


def test_s11_2_two_runs_of_the_same_chunk_at_once_make_one_evaluation_and_one_set_of_measures(
    db, app, world, leap, clock
):
    from saas.satisfaction.tasks import evaluate_chunk
    from saas.testing.race import at_once

    at(clock, date(2028, 2, 1))
    req = raised(leap, world, "GENERAL")
    handled(req, world, clock, respond_after=5, resolve_after=6)  # late: the period falls short
    at(clock, date(2028, 3, 10), hour=1)
    tenant_id, contract_id = leap["tenant"].id, leap["contract"].id

    def chunk():
        with app.app_context():  # as two workers would, each in its own transaction
            return evaluate_chunk(tenant_id, "2028-03-10", [contract_id])

    assert sorted(at_once(chunk, chunk)) == [0, 1]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Evaluation.id))) == 1
    assert db.session.scalar(select(func.count(ImprovementMeasure.id))) == 1


def test_s11_2_the_overview_pages_by_keyset_those_below_the_threshold_first(
    db, world, leap, make_signed_contract, clock
):
    from saas.satisfaction.measures import overview

    tenant = leap["tenant"]
    other = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2028, 1, 31))
    contracts = [leap["contract"], other]
    at(clock, date(2028, 2, 1))
    for contract, late in zip(contracts, (False, True), strict=True):  # only the other client's falls short
        req = requests.create_request(
            tenant,
            contract.client_id,
            {"category_id": leap["cats"]["GENERAL"].id, "subject": "巡检"},
            world.person("alpha", "vendor_engineer"),
        )
        handled(req, world, clock, respond_after=5 if late else 1, resolve_after=6)
    run(clock, date(2028, 3, 10))
    seen, cursor = [], None
    for _page in range(4):
        rows, cursor = overview(tenant, after=parse_ranked_cursor(cursor) if cursor else None, limit=1)
        seen += [(e.contract_id, e.below_threshold) for e in rows]
        if cursor is None:
            break
    # one a page, each agreement once: the one that fell short first, though its id comes after
    assert seen == [(other.id, True), (leap["contract"].id, False)] and other.id > leap["contract"].id
