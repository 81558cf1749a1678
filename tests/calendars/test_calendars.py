"""§2.1.1, §4.1: SLA due times on service calendars (24x7 or business hours with holidays), pausing while waiting."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from saas.calendars.working_time import ALWAYS, CalendarSpec, add_working_time, working_time_between

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0) -> datetime:
    """A Shanghai wall-clock time, as the aware instant it is."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


#: 2026: Monday 5 October is still in the National Day holiday; Saturday 10 October is a make-up working day.
OFFICE = CalendarSpec(
    holidays=frozenset({date(2026, 10, 5)}), workdays={date(2026, 10, 10): [(time(9), time(12)), (time(13), time(18))]}
)


def test_s4_1_friday_evening_request_skips_the_weekend_and_a_holiday_monday():
    # Raised Friday 2 Oct 17:55: 5 minutes that day, nothing Sat–Sun, Monday is a holiday.
    due = add_working_time(OFFICE, at(2026, 10, 2, 17, 55), timedelta(hours=4))
    # Tuesday: 3 h 55 min from 09:00, with the lunch break 12:00–13:00 -> 13:55.
    assert due == at(2026, 10, 6, 13, 55)


def test_s4_1_waiting_on_the_client_twice_pauses_the_clock():
    pauses = [
        (at(2026, 10, 6, 10, 0), at(2026, 10, 6, 11, 30)),  # 1 h 30 min of working time waiting
        (at(2026, 10, 6, 14, 0), at(2026, 10, 7, 10, 0)),  # the rest of Tuesday and Wednesday 9–10
    ]
    due = add_working_time(OFFICE, at(2026, 10, 2, 17, 55), timedelta(hours=4), pauses)
    # Worked: Fri 17:55–18:00 (5 min), Tue 9:00–10:00 (1 h), 11:30–12:00 (30 min), 13:00–14:00 (1 h) = 2 h 35 min;
    # the remaining 1 h 25 min from Wednesday 10:00 -> 11:25.
    assert due == at(2026, 10, 7, 11, 25)


def test_s4_1_a_pause_still_open_leaves_no_due_time_yet():
    pauses = [(at(2026, 10, 6, 10, 0), None)]
    assert add_working_time(OFFICE, at(2026, 10, 2, 17, 55), timedelta(hours=4), pauses) is None
    # Paused only after the time was used up: the due time stands.
    late = [(at(2026, 10, 6, 15, 0), None)]
    assert add_working_time(OFFICE, at(2026, 10, 2, 17, 55), timedelta(hours=4), late) == at(2026, 10, 6, 13, 55)


def test_s4_1_make_up_saturday_counts_as_a_working_day():
    due = add_working_time(OFFICE, at(2026, 10, 9, 17, 0), timedelta(hours=2))
    assert due == at(2026, 10, 10, 10, 0)  # Friday 17:00–18:00, then Saturday (make-up day) 09:00–10:00


def test_s2_1_1_remote_support_runs_around_the_clock():
    raised = at(2026, 10, 2, 17, 55)
    assert add_working_time(ALWAYS, raised, timedelta(hours=2)) == at(2026, 10, 2, 19, 55)
    assert add_working_time(ALWAYS, raised, timedelta(hours=48)) == at(2026, 10, 4, 17, 55)
    pause = [(at(2026, 10, 2, 18, 0), at(2026, 10, 2, 18, 30))]
    assert add_working_time(ALWAYS, raised, timedelta(hours=2), pause) == at(2026, 10, 2, 20, 25)


def test_remaining_time_is_measured_on_the_same_calendar():
    raised, now = at(2026, 10, 2, 17, 55), at(2026, 10, 6, 11, 0)
    assert working_time_between(OFFICE, raised, now) == timedelta(hours=2, minutes=5)
    pauses = [(at(2026, 10, 6, 10, 0), at(2026, 10, 6, 10, 30))]
    assert working_time_between(OFFICE, raised, now, pauses) == timedelta(hours=1, minutes=35)
    assert working_time_between(ALWAYS, raised, at(2026, 10, 3, 17, 55)) == timedelta(hours=24)


def test_due_times_are_utc_instants_whatever_the_calendar_zone():
    london = CalendarSpec(timezone="Europe/London")
    # 2026-03-27 Friday 17:30 London (GMT) + 1 h: 30 min Friday, then Monday 30 Mar 09:30 BST (clocks moved).
    due = add_working_time(london, datetime(2026, 3, 27, 17, 30, tzinfo=UTC), timedelta(hours=1))
    assert due == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


def test_naive_times_and_impossible_calendars_are_refused():
    with pytest.raises(ValueError):
        add_working_time(OFFICE, datetime(2026, 10, 2, 17, 55), timedelta(hours=1))
    with pytest.raises(ValueError):
        add_working_time(CalendarSpec(weekly={}), at(2026, 10, 2, 9), timedelta(hours=1))
