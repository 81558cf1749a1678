"""The injected clock: all "now" in the product comes from here, always timezone-aware UTC."""

import calendar
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; tests move it day by day or month by month."""

    def __init__(self, start: datetime):
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = _as_utc(when)

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def add_months(self, months: int) -> datetime:
        self._now = add_months(self._now, months)
        return self._now


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; give a timezone")
    return value.astimezone(UTC)


def add_months(value: date | datetime, months: int):
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def now() -> datetime:
    """The current UTC time from the application's clock."""
    return current_app.extensions["clock"].now()


def local_now(tenant) -> datetime:
    """The current time in the tenant's time zone (what its people read on the wall clock)."""
    return now().astimezone(ZoneInfo(tenant.timezone))


def local_today(tenant) -> date:
    """Today's date in the tenant's time zone: the day that due dates, terms and expiries are counted on."""
    return local_now(tenant).date()


def local_date(tenant, when: datetime) -> date:
    """The tenant's calendar date at the UTC instant `when`."""
    return when.astimezone(ZoneInfo(tenant.timezone)).date()


def local_midnight(tenant, day: date) -> datetime:
    """The UTC instant the tenant's calendar day `day` begins (periods and reports count whole local days)."""
    return datetime.combine(day, time.min, ZoneInfo(tenant.timezone)).astimezone(UTC)


@contextmanager
def frozen_at(start: datetime):
    """Run a block on a clock set to `start` (the demo writes its history as it would have happened)."""
    real = current_app.extensions["clock"]
    current_app.extensions["clock"] = clock = FrozenClock(start)
    try:
        yield clock
    finally:
        current_app.extensions["clock"] = real
