"""The vendor's service calendars: weekly hours, holidays and make-up days, official schedules, previews."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from saas.calendars.models import CalendarDay, ServiceCalendar
from saas.calendars.working_time import CHINA_OFFICE_HOURS, CalendarSpec, add_working_time
from saas.core import audit
from saas.core.errors import ServiceError
from saas.extensions import db

WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


def default_weekly() -> dict:
    """Mainland office hours as stored JSON."""
    return {str(d): [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in ws] for d, ws in CHINA_OFFICE_HOURS.items()}


def parse_windows(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-18:00" -> [["09:00","12:00"], ["13:00","18:00"]]; empty text: no working time."""
    windows = []
    for part in filter(None, (p.strip() for p in re.split(r"[,，;；]", text or ""))):
        match = WINDOW.match(part)
        if not match:
            raise ServiceError(_("Write hours like 09:00-12:00, 13:00-18:00."))
        h1, m1, h2, m2 = map(int, match.groups())
        if not (0 <= h1 < 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h2, m2) <= (h1, m1):
            raise ServiceError(_("Each period must end after it starts, within the day."))
        windows.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
    return sorted(windows)


def format_windows(windows) -> str:
    return ", ".join(f"{a}-{b}" for a, b in windows)


def _time(text: str) -> time:
    return time(0) if text == "24:00" else time.fromisoformat(text)


def spec_for(calendar: ServiceCalendar) -> CalendarSpec:
    """The calendar as the SLA arithmetic reads it."""
    if calendar.always:
        return CalendarSpec(timezone=calendar.timezone, always=True)
    weekly = {int(d): [(_time(a), _time(b)) for a, b in ws] for d, ws in (calendar.weekly or {}).items()}
    makeup_hours = weekly.get(0, [])
    return CalendarSpec(
        timezone=calendar.timezone,
        weekly=weekly,
        holidays=frozenset(d.day for d in calendar.days if d.kind == "holiday"),
        workdays={d.day: makeup_hours for d in calendar.days if d.kind == "workday"},
    )


def save_calendar(tenant, data: dict, calendar: ServiceCalendar | None = None) -> ServiceCalendar:
    """Create or change a calendar; weekly hours arrive as text per weekday ("hours_0" … "hours_6")."""
    name = data["name"].strip()
    clash = select(ServiceCalendar.id).where(ServiceCalendar.tenant_id == tenant.id, ServiceCalendar.name == name)
    if calendar is not None:
        clash = clash.where(ServiceCalendar.id != calendar.id)
    if db.session.scalar(clash) is not None:
        raise ServiceError(_("Another calendar already has this name."))
    weekly = {str(d): parse_windows(data.get(f"hours_{d}", "")) for d in range(7)}
    created = calendar is None
    calendar = calendar or ServiceCalendar(tenant_id=tenant.id)
    calendar.name, calendar.timezone, calendar.always = name, data["timezone"], bool(data.get("always"))
    calendar.weekly = {d: ws for d, ws in weekly.items() if ws}
    db.session.add(calendar)
    db.session.flush()
    audit.record("calendars.calendar_saved", tenant_id=tenant.id, target=calendar, name=name, created=created)
    return calendar


def add_day(calendar: ServiceCalendar, day: date, kind: str, name: str = "") -> CalendarDay:
    """Mark one day a holiday or a make-up working day (replacing what that day was)."""
    if kind not in ("holiday", "workday"):
        raise ServiceError(_("Choose holiday or make-up working day."))
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day))
    if row is None:
        row = CalendarDay(tenant_id=calendar.tenant_id, calendar_id=calendar.id, day=day)
        calendar.days.append(row)
    row.kind, row.name = kind, name.strip()
    db.session.flush()
    return row


def official_years() -> list[int]:
    """The years whose official Chinese holiday schedule the product knows (chinesecalendar)."""
    from chinese_calendar import constants

    return sorted({d.year for d in constants.holidays} & {d.year for d in constants.workdays})


def add_official_china_schedule(calendar: ServiceCalendar, year: int) -> int:
    """Add the State Council's public holidays and make-up working days of a year; returns how many days."""
    from chinese_calendar import constants

    if year not in official_years():
        raise ServiceError(_("The official schedule for %(year)d is not published yet.", year=year))
    chinese = {h.value: h.chinese for h in constants.Holiday}
    added = 0
    for day, english in sorted(constants.holidays.items()):
        if day.year == year and day.weekday() < 5:  # weekends are off anyway
            add_day(calendar, day, "holiday", f"{chinese.get(english, '')} {english}".strip())
            added += 1
    for day, english in sorted(constants.workdays.items()):
        if day.year == year:
            add_day(calendar, day, "workday", f"{chinese.get(english, '')} {english} 调休".strip())
            added += 1
    audit.record("calendars.official_days_added", tenant_id=calendar.tenant_id, target=calendar, year=year, days=added)
    return added


def preview_due(calendar: ServiceCalendar, start_local: datetime, hours: int) -> datetime:
    """When `hours` of working time on this calendar, from a local wall-clock time, would run out."""
    start = start_local.replace(tzinfo=ZoneInfo(calendar.timezone))
    return add_working_time(spec_for(calendar), start, timedelta(hours=hours)).astimezone(ZoneInfo(calendar.timezone))
