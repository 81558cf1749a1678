"""§2.1.1, §4.1: the vendor's service calendars as data: weekly hours, holidays, make-up days, the official schedule."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.calendars import services as service
from saas.calendars.models import CalendarDay, ServiceCalendar
from saas.calendars.working_time import add_working_time
from saas.core.errors import ServiceError

SH = ZoneInfo("Asia/Shanghai")
OFFICE = {"name": "Office", "timezone": "Asia/Shanghai", **{f"hours_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)}}


@pytest.fixture
def admin(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    return client


def test_s4_1_calendar_from_the_screen_drives_the_sla_arithmetic(admin, db, world):
    response = admin.post_form("/t/alpha/calendars/new", OFFICE)
    calendar = db.session.scalar(select(ServiceCalendar))
    assert response.headers["Location"] == f"/t/alpha/calendars/{calendar.id}"
    assert calendar.weekly["0"] == [["09:00", "12:00"], ["13:00", "18:00"]] and "5" not in calendar.weekly
    admin.post_form(
        f"/t/alpha/calendars/{calendar.id}/days", {"day": "2026-10-05", "kind": "holiday", "name": "国庆节"}
    )
    db.session.expire_all()
    spec = service.spec_for(db.session.get(ServiceCalendar, calendar.id))
    due = add_working_time(spec, datetime(2026, 10, 2, 17, 55, tzinfo=SH), timedelta(hours=4))
    assert due == datetime(2026, 10, 6, 13, 55, tzinfo=SH)


def test_bad_hours_are_refused_with_a_clear_message(admin, db):
    page = admin.post_form("/t/alpha/calendars/new", {**OFFICE, "hours_0": "9 to 5"}, follow_redirects=True)
    assert "Write hours like 09:00-12:00, 13:00-18:00." in page.get_data(as_text=True)
    with pytest.raises(ServiceError, match="end after it starts"):
        service.parse_windows("18:00-09:00")
    assert service.parse_windows("13:00-18:00，09:00-12:00") == [["09:00", "12:00"], ["13:00", "18:00"]]


def test_official_china_schedule_adds_holidays_and_make_up_days_once(admin, db, world):
    admin.post_form("/t/alpha/calendars/new", OFFICE)
    calendar = db.session.scalar(select(ServiceCalendar))
    admin.post_form(f"/t/alpha/calendars/{calendar.id}/official", {"year": "2026"})
    admin.post_form(f"/t/alpha/calendars/{calendar.id}/official", {"year": "2026"})  # twice: nothing doubles
    days = {d.day: d for d in db.session.scalars(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id))}
    assert days[date(2026, 10, 5)].kind == "holiday" and "国庆节" in days[date(2026, 10, 5)].name
    assert days[date(2026, 10, 10)].kind == "workday"  # Saturday worked for National Day
    assert date(2026, 10, 3) not in days  # a Saturday holiday changes nothing: weekends are off anyway
    refused = admin.post_form(f"/t/alpha/calendars/{calendar.id}/official", {"year": "2099"}, follow_redirects=True)
    assert "not published yet" in refused.get_data(as_text=True)


def test_due_time_preview_is_an_htmx_fragment(admin, db, world):
    admin.post_form("/t/alpha/calendars/new", OFFICE)
    calendar = db.session.scalar(select(ServiceCalendar))
    url = f"/t/alpha/calendars/{calendar.id}/preview?start=2026-10-09T17:00&hours=2"
    fragment = admin.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "2026-10-12 10:00" in fragment  # Friday 17–18, Monday 9–10
    bad = admin.get(f"/t/alpha/calendars/{calendar.id}/preview?start=&hours=2", headers={"HX-Request": "true"})
    assert "Give a start time" in bad.get_data(as_text=True)


def test_calendars_belong_to_vendor_admins(client, world):
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/calendars/").status_code == 403
