"""§11.1–§11.2 in the browser: the client answers the period's survey from the link in its e-mail, without signing
in; once the survey has closed, the vendor sees the period's score, its survey sub-score and the chart drawn."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from saas.core.models import MailMessage
from saas.extensions import db as database
from saas.requests import services as requests
from saas.requests.models import RequestStatus
from saas.satisfaction.surveys import open_surveys
from saas.satisfaction.tasks import run_evaluations
from tests.browser.test_browser import sign_in

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_s11_2_the_client_answers_from_the_mail_and_the_vendor_sees_the_score_and_its_chart(
    page, browser, live_server, world, db, clock, make_signed_contract, artifacts_dir
):
    tenant = world.tenant("alpha")
    clock.set(datetime(2028, 1, 30, 9, 0, tzinfo=SHANGHAI))
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2028, 1, 31))
    category = next(c for c in requests.categories(tenant) if c.code == "REMOTE")
    clock.set(datetime(2028, 2, 2, 10, 0, tzinfo=SHANGHAI))
    requester = world.person("alpha", "client_user")
    data = {"category_id": category.id, "subject": "打印机脱机"}
    req = requests.create_request(tenant, contract.client_id, data, requester)
    engineer = world.person("alpha", "vendor_engineer")
    clock.advance(hours=1)
    requests.reply(req, engineer, "正在处理", by_client=False)
    clock.advance(hours=1)
    requests.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False)
    database.session.commit()
    clock.set(datetime(2028, 2, 29, 0, 20, tzinfo=SHANGHAI))  # period 0 (31 Jan – 28 Feb) has just ended
    assert open_surveys(tenant, clock.now()) == 1
    database.session.commit()
    mail = database.session.scalar(
        select(MailMessage).where(MailMessage.dedupe_key.like("survey-invite:%"), MailMessage.to == requester.email)
    )
    link = re.search(r"https?://\S+/survey/\S+", mail.body_text).group(0)

    page.goto(link)  # not signed in
    for question in page.get_by_test_id("survey-question").all():
        question.locator("input[type=radio][value='4']").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_test_id("survey-done")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "survey-answered.png"), full_page=True)

    clock.set(datetime(2028, 3, 10, 1, 40, tzinfo=SHANGHAI))  # the survey closed at midnight: the nightly run
    run_evaluations()
    database.session.commit()
    vendor = browser.new_context(locale="zh-CN").new_page()
    sign_in(vendor, live_server, "vendor_admin@alpha.example.com", "/t/alpha/")
    vendor.goto(f"{live_server}/t/alpha/evaluations/agreements/{contract.id}")
    chart = vendor.get_by_test_id("scores-chart")
    expect(chart).to_have_attribute("data-drawn", "1")  # Chart.js drew it
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    expect(vendor.get_by_test_id("evaluation-history")).to_contain_text("75.0")  # answers of 4 → 75
    vendor.get_by_role("link", name=re.compile(r"2028-01-31")).click()
    expect(vendor.get_by_test_id("sub-score-survey")).to_have_text("75.0")
    expect(vendor.get_by_test_id("overall-score")).to_have_text("95.0")  # (30·100 + 30·100 + 20·100 + 20·75) / 100
    vendor.screenshot(path=str(artifacts_dir / "evaluation-zh.png"), full_page=True)
