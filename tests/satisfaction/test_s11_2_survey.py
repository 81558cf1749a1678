"""§11.1 "client satisfaction survey" and §11.2 (at the end of every payment cycle), annex 9: the period's survey
opens once per agreement and period when the period ends, invites the client's panel by a signed single-use link,
reminds twice, takes one anonymous response per invitee until it closes, and shows a breakdown only from three
responses."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from saas.core.clock import now
from saas.core.models import MailMessage
from saas.extensions import db as _db
from saas.satisfaction import surveys
from saas.satisfaction.models import (
    Criterion,
    EvaluationPolicy,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyPanelExclusion,
    SurveyResponse,
)
from saas.satisfaction.tasks import run_surveys

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def count(model) -> int:
    return _db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def agreement(db, world, make_signed_contract, clock):
    """Alpha's first client's agreement, effective 1 November 2026 (its first period ends 1 December)."""
    clock.set(local(2026, 11, 2, 10))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 11, 1))
    return contract


@pytest.fixture
def opened(agreement, clock, db):
    """The agreement's first survey, opened by the job the night its period ended."""
    clock.set(local(2026, 12, 1, 0, 20))
    assert run_surveys() == 1
    return db.session.scalar(select(Survey))


def links(user_email: str, kind: str = "invite") -> list[str]:
    mails = _db.session.scalars(
        select(MailMessage).where(MailMessage.dedupe_key.like(f"survey-{kind}:%"), MailMessage.to == user_email)
    ).all()
    return [re.search(r"/survey/[^\s/]+", m.body_text).group(0) for m in mails]


def answers_for(survey, score=4) -> dict:
    return {f"q{q['key']}": str(score) for q in survey.questions}


def test_s11_2_the_survey_opens_once_per_agreement_and_period_on_a_31st_anchor_across_leap_february(
    db, world, make_signed_contract, clock
):
    clock.set(datetime(2028, 1, 10, tzinfo=UTC))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2028, 1, 31))
    clock.set(local(2028, 2, 28, 23, 30))  # the last evening of period 0 (31 January – 28 February)
    assert run_surveys() == 0 and count(Survey) == 0
    clock.set(local(2028, 2, 29, 0, 20))
    assert run_surveys() == 1
    assert run_surveys() == 0  # re-runs open nothing twice
    first = db.session.scalar(select(Survey))
    assert (first.contract_id, first.period_index, first.period_start, first.period_end) == (
        contract.id,
        0,
        date(2028, 1, 31),
        date(2028, 2, 29),
    )
    assert first.closes_at == local(2028, 3, 10).astimezone(UTC)  # local midnight, survey_days (10) later
    assert [q["criterion"] for q in first.questions].count(Criterion.SURVEY) == 1
    clock.set(local(2028, 3, 31, 0, 20))
    run_surveys()
    run_surveys()
    rows = db.session.execute(select(Survey.period_index, Survey.period_start, Survey.period_end)).all()
    assert sorted(rows) == [(0, date(2028, 1, 31), date(2028, 2, 29)), (1, date(2028, 2, 29), date(2028, 3, 31))]
    # the panel (the client's admin and user) invited to each, once, by a mail in both languages
    client_people = {world.person("alpha", "client_admin").id, world.person("alpha", "client_user").id}
    invites = db.session.execute(select(SurveyInvite.survey_id, SurveyInvite.user_id)).all()
    assert len(invites) == 4 and {u for _s, u in invites} == client_people
    mails = db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key.like("survey-invite:%"))).all()
    assert len(mails) == 4 and "满意度调查" in mails[0].subject and "Satisfaction survey" in mails[0].subject


def test_s11_2_a_new_install_does_not_survey_old_periods(db, world, make_signed_contract, clock):
    clock.set(datetime(2026, 1, 10, tzinfo=UTC))
    make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2026, 1, 31))
    clock.set(local(2026, 9, 1, 0, 20))  # seven periods have ended; only the one that has just ended is open to answer
    run_surveys()
    assert db.session.scalars(select(Survey.period_end)).all() == [date(2026, 8, 31)]


def test_s11_2_the_panel_is_the_clients_people_less_those_its_admin_took_off(db, client, world, agreement, clock):
    admin, user = world.person("alpha", "client_admin"), world.person("alpha", "client_user")
    client.sign_in(admin.email)
    page = client.get("/t/alpha/portal/surveys/panel")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    member = user.membership_in(world.tenant("alpha").id)
    assert client.post_form(f"/t/alpha/portal/surveys/panel/{member.id}/off").status_code == 302
    other = world.person("alpha", "client_admin_2").membership_in(world.tenant("alpha").id)
    assert client.post_form(f"/t/alpha/portal/surveys/panel/{other.id}/off").status_code == 404
    assert db.session.scalars(select(SurveyPanelExclusion.user_id)).all() == [user.id]
    client.sign_in(user.email)
    assert client.get("/t/alpha/portal/surveys/panel").status_code == 403  # the admin's screen
    clock.set(local(2026, 12, 1, 0, 20))
    run_surveys()
    assert db.session.scalars(select(SurveyInvite.user_id)).all() == [admin.id]
    client.sign_in(admin.email)
    assert client.post_form(f"/t/alpha/portal/surveys/panel/{member.id}/on").status_code == 302
    assert count(SurveyPanelExclusion) == 0


def test_s11_2_reminders_after_3_and_7_days_once_each_and_none_for_who_answered(db, world, opened, clock):
    tenant = world.tenant("alpha")
    admin_invite = surveys.invite_of(opened, world.person("alpha", "client_admin").id)
    surveys.submit(admin_invite, {q["key"]: 5 for q in opened.questions}, "")
    db.session.commit()
    clock.advance(days=2, hours=23)
    assert surveys.send_reminders(tenant, now()) == 0
    clock.advance(hours=1)  # three days after opening
    assert run_surveys() == 1
    assert run_surveys() == 0
    clock.advance(days=4)  # seven days after opening
    assert run_surveys() == 1 and run_surveys() == 0
    user = world.person("alpha", "client_user")
    assert len(links(user.email, "reminder-1")) == 1 and len(links(user.email, "reminder-2")) == 1
    assert not links(world.person("alpha", "client_admin").email, "reminder-1")
    invite = surveys.invite_of(opened, user.id)
    assert invite.first_reminder_at is not None and invite.second_reminder_at is not None
    clock.set(opened.closes_at)
    assert surveys.send_reminders(tenant, now()) == 0


def test_s11_2_no_reminder_after_the_survey_closes(db, world, agreement, clock):
    tenant = world.tenant("alpha")
    db.session.add(EvaluationPolicy(tenant_id=tenant.id, survey_days=5))
    db.session.commit()
    clock.set(local(2026, 12, 1, 0, 20))
    run_surveys()
    clock.advance(days=3)
    assert surveys.send_reminders(tenant, now()) == 2  # both invitees, once
    clock.advance(days=4)  # day 7: closed on day 5
    assert surveys.send_reminders(tenant, now()) == 0
    assert db.session.scalar(select(func.count(SurveyInvite.second_reminder_at))) == 0


def test_s11_2_the_link_answers_once_and_reused_tampered_expired_or_bad_answers_write_nothing(
    db, client, world, opened, clock
):
    user, admin = world.person("alpha", "client_user"), world.person("alpha", "client_admin")
    (link,) = links(user.email)
    page = client.get(link)  # not signed in
    assert page.status_code == 200 and 'data-testid="survey-form"' in page.get_data(as_text=True)
    missing = answers_for(opened)
    missing.pop(f"q{opened.questions[0]['key']}")
    refused = client.post_form(link, missing)
    assert refused.status_code == 422 and "Answer this question." in refused.get_data(as_text=True)
    out_of_range = answers_for(opened) | {f"q{opened.questions[1]['key']}": "6"}
    refused = client.post_form(link, out_of_range)
    assert refused.status_code == 422 and "Choose a score from 1 to 5." in refused.get_data(as_text=True)
    assert count(SurveyResponse) == 0 and count(SurveyAnswer) == 0
    done = client.post_form(link, answers_for(opened, 4) | {"comment": "响应很快"})
    assert done.status_code == 200 and 'data-testid="survey-done"' in done.get_data(as_text=True)
    response = db.session.scalar(select(SurveyResponse))
    assert (response.comment, response.submitted_on) == ("响应很快", date(2026, 12, 1))
    assert db.session.scalars(select(SurveyAnswer.score)).all() == [4] * len(opened.questions)
    again = client.post_form(link, answers_for(opened, 1))
    assert again.status_code == 410 and 'data-testid="survey-refusal"' in again.get_data(as_text=True)
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get(link.replace("/survey/", "/rate/")).status_code == 404  # a survey token rates nothing
    (admin_link,) = links(admin.email)
    clock.set(opened.closes_at)
    expired = client.post_form(admin_link, answers_for(opened, 5))
    assert expired.status_code == 410 and "closed" in expired.get_data(as_text=True)
    assert count(SurveyResponse) == 1 and count(SurveyAnswer) == len(opened.questions)
    assert surveys.invite_of(opened, admin.id).answered_at is None


def test_s11_2_the_link_of_someone_no_longer_with_the_client_is_refused_in_their_language(db, client, world, opened):
    user = world.person("alpha", "client_user")
    (link,) = links(user.email)
    user.active = False
    db.session.commit()
    refused = client.post_form(link, answers_for(opened), headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 404 and "调查链接无效" in refused.get_data(as_text=True)
    assert count(SurveyResponse) == 0


def test_s11_2_two_submissions_at_once_make_one_response(db, app, client, world, opened):
    from saas.testing.race import at_once

    (link,) = links(world.person("alpha", "client_user").email)
    browsers = [client, app.test_client()]
    tokens = [b.csrf_token(link) for b in browsers]
    replies = at_once(
        *(
            lambda b=b, t=t, s=s: b.post(link, data={"csrf_token": t, **answers_for(opened, s)})
            for b, t, s in zip(browsers, tokens, (5, 1), strict=True)
        )
    )
    assert sorted(r.status_code for r in replies) == [200, 410]
    assert count(SurveyResponse) == 1 and count(SurveyAnswer) == len(opened.questions)


def test_s11_2_the_portal_lists_the_open_survey_and_takes_one_answer(db, client, world, opened):
    client.sign_in(world.person("alpha", "client_user").email)
    listing = client.get("/t/alpha/portal/surveys/").get_data(as_text=True)
    assert f"/t/alpha/portal/surveys/{opened.id}" in listing
    url = f"/t/alpha/portal/surveys/{opened.id}"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    bad = client.post_form(url, {"q0": "3"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'class="error"' in bad.get_data(as_text=True)
    assert client.post_form(url, answers_for(opened, 3)).status_code == 200
    assert client.post_form(url, answers_for(opened, 3)).status_code == 409
    assert count(SurveyResponse) == 1
    assert "survey-done" not in client.get(url).get_data(as_text=True)  # answered: the page says so, no form
    # another client's people never reach it
    client.sign_in(world.person("alpha", "client_admin_2").email)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/results").status_code == 404
    assert client.post_form(url, answers_for(opened, 5)).status_code == 404
    assert count(SurveyResponse) == 1


def test_s11_2_fewer_than_three_responses_show_only_the_overall_average_and_three_the_breakdown(
    db, client, world, agreement, make_user, clock
):
    tenant, first = world.tenant("alpha"), world.clients("alpha")[0]
    make_user(tenant, "client_user", first, email="third@alpha.example.com")
    clock.set(local(2026, 12, 1, 0, 20))
    run_surveys()
    survey = db.session.scalar(select(Survey))
    invites = db.session.scalars(select(SurveyInvite).order_by(SurveyInvite.id)).all()
    assert len(invites) == 3
    for invite, (score, comment) in zip(invites[:2], ((5, "Marker comment one"), (2, "第二条意见")), strict=True):
        surveys.submit(invite, {q["key"]: score for q in survey.questions}, comment)
    db.session.commit()
    url = f"/t/alpha/surveys/{survey.id}"
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="survey-average"><strong>3.50' in page and 'data-testid="survey-anonymity"' in page
    assert "Marker comment one" not in page and 'data-testid="survey-questions"' not in page
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/portal/surveys/{survey.id}/results").get_data(as_text=True)
    assert "Marker comment one" not in portal and "3.50" in portal
    surveys.submit(invites[2], {q["key"]: 5 for q in survey.questions}, "")
    db.session.commit()
    portal = client.get(f"/t/alpha/portal/surveys/{survey.id}/results").get_data(as_text=True)
    # three now, but still open: watched as answers come in, the breakdown would give the last person away
    assert "Marker comment one" not in portal and 'data-testid="survey-questions"' not in portal
    assert "once the survey closes" in portal
    clock.set(survey.closes_at)
    portal = client.get(f"/t/alpha/portal/surveys/{survey.id}/results").get_data(as_text=True)
    assert "Marker comment one" in portal and "第二条意见" in portal and 'data-testid="survey-questions"' in portal
    client.sign_in(world.person("alpha", "vendor_admin").email)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "4.00" in fragment.get_data(as_text=True)
    listing = client.get("/t/alpha/surveys/").get_data(as_text=True)
    assert 'data-testid="response-rate">100%' in listing
    # the invitation records only that it was answered: nothing leads from it to the response, nor back
    response_columns = {c.name for c in SurveyResponse.__table__.columns}
    assert not response_columns & {"user_id", "invite_id", "created_at"}
    assert not [c.name for c in SurveyInvite.__table__.columns if "response" in c.name]


def test_s11_2_survey_results_gives_exact_figures_in_a_fixed_number_of_queries(
    db, world, make_signed_contract, agreement, make_user, clock
):
    tenant = world.tenant("alpha")
    second = make_signed_contract(tenant, world.clients("alpha")[1], effective=date(2026, 11, 1))
    clock.set(local(2026, 12, 1, 0, 20))
    run_surveys()
    survey = db.session.scalar(select(Survey).where(Survey.contract_id == agreement.id))
    invites = db.session.scalars(select(SurveyInvite).where(SurveyInvite.survey_id == survey.id)).all()
    by_criterion = {q["key"]: q["criterion"] for q in survey.questions}
    # the admin: 5 on response questions, 3 elsewhere; the user: 4 everywhere
    surveys.submit(invites[0], {k: 5 if c == "response" else 3 for k, c in by_criterion.items()}, "")
    surveys.submit(invites[1], dict.fromkeys(by_criterion, 4), "")
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2]) if "survey" in args[2] else None  # noqa: E731
    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        found = surveys.survey_results([agreement.id, second.id, 999999], {agreement.id: 0, second.id: 0, 999999: 0})
        few = len(statements)
        statements.clear()
        surveys.survey_results([agreement.id], {agreement.id: 0})
        one = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert few == one == 4, statements
    responses = [c for c in by_criterion.values() if c == "response"]
    overall_total = 5 * len(responses) + 3 * (len(by_criterion) - len(responses)) + 4 * len(by_criterion)
    assert found[agreement.id] == {
        "survey_id": survey.id,
        "invited": 2,
        "responses": 2,
        "average": (Decimal(overall_total) / (2 * len(by_criterion))).quantize(Decimal("0.01")),
        "by_criterion": {
            "response": Decimal("4.50"),
            "resolution": Decimal("3.50"),
            "quality": Decimal("3.50"),
            "survey": Decimal("3.50"),
        },
    }
    assert found[second.id]["responses"] == 0 and found[second.id]["average"] is None
    assert found[second.id]["invited"] == 1 and found[second.id]["by_criterion"] == {}
    assert 999999 not in found
    assert surveys.survey_results([agreement.id], {agreement.id: 1}) == {}  # no survey of that period


def test_s11_1_the_vendor_edits_its_questions_in_both_languages(db, client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get("/t/alpha/surveys/questions")
    assert page.status_code == 200
    rows = surveys.questions(world.tenant("alpha"))
    criteria = [q.criterion for q in rows]
    assert all(2 <= criteria.count(c) <= 3 for c in ("response", "resolution", "quality"))
    assert criteria.count("survey") == 1 and all(q.text_zh and q.text_en for q in rows)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    empty = client.post_form("/t/alpha/surveys/questions", {"criterion": "quality", "text_zh": "", "text_en": "x"})
    assert empty.status_code == 422 and "请填写中文问题" in empty.get_data(as_text=True)
    long = client.post_form(
        "/t/alpha/surveys/questions", {"criterion": "quality", "text_zh": "长" * 301, "text_en": "Long"}
    )
    assert long.status_code == 422 and "300" in long.get_data(as_text=True)
    added = client.post_form(
        "/t/alpha/surveys/questions",
        {"criterion": "quality", "text_zh": "备件是否及时？", "text_en": "Spare parts on time?"},
    )
    assert added.status_code == 302
    new = surveys.questions(world.tenant("alpha"))[-1]
    assert (new.text_en, new.position) == ("Spare parts on time?", len(rows) + 1)
    edited = client.post_form(
        f"/t/alpha/surveys/questions/{new.id}", {"criterion": "quality", "text_zh": "备件到货及时吗？", "text_en": " "}
    )
    assert edited.status_code == 422
    client.post_form(
        f"/t/alpha/surveys/questions/{new.id}",
        {"criterion": "resolution", "text_zh": "备件到货及时吗？", "text_en": "Did spare parts arrive on time?"},
    )
    client.post_form(f"/t/alpha/surveys/questions/{new.id}/up")
    client.post_form(f"/t/alpha/surveys/questions/{new.id}/off")
    db.session.expire_all()
    order = [q.id for q in surveys.questions(world.tenant("alpha"))]
    assert order.index(new.id) == len(rows) - 1 and not new.active and new.criterion == "resolution"
    # an inactive question is not frozen into the surveys opened afterwards
    assert new.id not in [q.id for q in surveys.questions(world.tenant("alpha"), active_only=True)]
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/surveys/questions").status_code == 403
    assert client.get("/t/alpha/surveys/").status_code == 200
