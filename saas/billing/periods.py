"""Billing periods (§3.1.2): monthly, anchored on the contract's effective date; pure date arithmetic.

Period n runs over [add_months(anchor, n), add_months(anchor, n + 1)): half-open, each boundary taken
from the anchor itself (never from the previous boundary), so an anchor on the 31st comes back every
month it can. Effective 31 January: boundaries 28/29 February, 31 March, 30 April, 31 May… No period is
skipped or doubled, and the periods tile the term exactly.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from saas.core.clock import add_months


@dataclass(frozen=True)
class Period:
    """One billing period: its index from the anchor, first day and the day after its last."""

    index: int
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@lru_cache(maxsize=8192)
def period(anchor: date, index: int) -> Period:
    """The index-th monthly period of an anchor (0 is the one starting on the anchor); cached, since a billing
    chunk asks for the same few anchors' periods hundreds of times."""
    return Period(index, add_months(anchor, index), add_months(anchor, index + 1))


def periods_between(anchor: date, start: date, stop: date) -> list[Period]:
    """The periods overlapping [start, stop), in order."""
    if stop <= start:
        return []
    # A month is at least 28 days: start the search a little before and skip what ends too early.
    index = max(0, (start - anchor).days // 31 - 1)
    found = []
    while True:
        p = period(anchor, index)
        if p.start >= stop:
            return found
        if p.end > start:
            found.append(p)
        index += 1


def overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    """Days two half-open ranges share."""
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days)
