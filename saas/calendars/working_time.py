"""SLA time arithmetic (§2.1.1, §4.1): working time on a service calendar, with pauses while waiting on the client.

Pure functions of a CalendarSpec and aware datetimes: no database, no clock. A calendar is 24x7
(§2.1.1 remote support) or business hours per weekday, with holidays and make-up working days
(调休: a weekend day worked in exchange for a holiday), in the calendar's time zone.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Window = tuple[time, time]

#: Mainland China office hours, the usual business calendar: 09:00–12:00 and 13:00–18:00 on weekdays.
CHINA_OFFICE_HOURS: dict[int, list[Window]] = {
    weekday: [(time(9), time(12)), (time(13), time(18))] for weekday in range(5)
}
#: How far ahead a due time may lie: past this, the calendar has (almost) no working time.
HORIZON_DAYS = 800


@dataclass(frozen=True)
class CalendarSpec:
    """When the SLA clock runs: weekly windows (Monday = 0) in `timezone`, minus holidays, plus make-up days."""

    timezone: str = "Asia/Shanghai"
    always: bool = False
    weekly: dict[int, list[Window]] = field(default_factory=lambda: dict(CHINA_OFFICE_HOURS))
    holidays: frozenset[date] = frozenset()
    #: Make-up working days (e.g. a Saturday worked for a holiday), with the hours worked that day.
    workdays: dict[date, list[Window]] = field(default_factory=dict)

    def windows_on(self, day: date) -> list[Window]:
        """The working windows of one local day."""
        if self.always:
            return [(time(0), time(0))]  # the whole day: midnight to midnight
        if day in self.workdays:
            return self.workdays[day]
        if day in self.holidays:
            return []
        return self.weekly.get(day.weekday(), [])


ALWAYS = CalendarSpec(always=True)


def working_intervals(spec: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's working intervals in UTC from `start` on, in order (the first one clipped to start)."""
    zone = ZoneInfo(spec.timezone)
    day = start.astimezone(zone).date()
    for _ in range(HORIZON_DAYS):
        for opens, closes in spec.windows_on(day):
            begin = datetime.combine(day, opens, zone).astimezone(UTC)
            end_day = day + timedelta(days=1) if closes <= opens else day
            end = datetime.combine(end_day, closes, zone).astimezone(UTC)
            if end > start:
                yield max(begin, start), end
        day += timedelta(days=1)


def _minus_pauses(intervals, pauses: list[tuple[datetime, datetime | None]]):
    """Working intervals with the paused stretches cut out (a pause with no end runs for ever)."""
    for begin, end in intervals:
        pieces = [(begin, end)]
        for p_start, p_end in pauses:
            p_end = p_end or datetime.max.replace(tzinfo=UTC)
            next_pieces = []
            for b, e in pieces:
                if p_end <= b or p_start >= e:
                    next_pieces.append((b, e))
                    continue
                if b < p_start:
                    next_pieces.append((b, p_start))
                if p_end < e:
                    next_pieces.append((p_end, e))
            pieces = next_pieces
        yield from pieces


def _until(intervals, stop: datetime):
    """The intervals that begin before `stop`, ending the iteration at the first that does not."""
    for begin, end in intervals:
        if begin >= stop:
            return
        yield begin, end


def add_working_time(
    spec: CalendarSpec, start: datetime, duration: timedelta, pauses: Iterable[tuple[datetime, datetime | None]] = ()
) -> datetime | None:
    """When `duration` of working time has run on the calendar from `start`, not counting pauses.

    None when the clock is paused with no end yet (waiting on the client) before the time is used up.
    """
    _require_aware(start)
    pauses = sorted(pauses, key=lambda p: p[0])
    waiting_since = min((p_start for p_start, p_end in pauses if p_end is None), default=None)
    remaining = duration
    if remaining <= timedelta(0):
        return start
    intervals = working_intervals(spec, start)
    if waiting_since is not None:
        # nothing after the open pause counts: stop there instead of walking the whole horizon
        intervals = _until(intervals, waiting_since)
    for begin, end in _minus_pauses(intervals, pauses):
        if waiting_since is not None and begin >= waiting_since:
            return None
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    if waiting_since is not None:
        return None
    raise ValueError(f"the calendar has less than {duration} of working time in {HORIZON_DAYS} days")


def working_time_between(
    spec: CalendarSpec, start: datetime, end: datetime, pauses: Iterable[tuple[datetime, datetime | None]] = ()
) -> timedelta:
    """How much working time ran between two instants, not counting pauses (for "time left" and evidence)."""
    _require_aware(start)
    _require_aware(end)
    total = timedelta(0)
    if end <= start:
        return total
    for begin, stop in _minus_pauses(working_intervals(spec, start), sorted(pauses, key=lambda p: p[0])):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass aware UTC times")
