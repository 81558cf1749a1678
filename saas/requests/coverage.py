"""Coverage a plugin gives a new request (§13, e.g. an add-on agreement extending a category to 7×24): the strictest
one that makes a deadline earlier is applied to the request's calendar and target hours, what it changed written
on the timeline (kind "coverage"), so every later refresh of the due times keeps to it."""

from datetime import timedelta

from sqlalchemy import select

from saas.calendars.models import ServiceCalendar
from saas.calendars.working_time import add_working_time
from saas.core.i18n import in_each_language
from saas.core.plugins import RequestCoverage, plugin_manager
from saas.extensions import db
from saas.requests import sla
from saas.requests.models import RequestCategory, RequestEvent, ServiceRequest

#: The timeline line that says which coverage applied.
EVENT_KIND = "coverage"


def _due(calendar, req: ServiceRequest, hours: int | None):
    if hours is None:
        return None
    return add_working_time(sla.calendar_spec(calendar), req.received_at, timedelta(hours=hours), [])


def _shorter(standard: int | None, offered: int | None) -> int | None:
    """Only ever shorter: hours longer than the standard ones (or none) leave the standard."""
    if standard is None or offered is None or offered <= 0:
        return standard
    return min(standard, int(offered))


def _candidate(req: ServiceRequest, category: RequestCategory, coverage: RequestCoverage):
    calendar = category.calendar if category.calendar_id else None
    if coverage.around_the_clock:
        calendar = None  # no calendar: the clocks run around the clock (sla.calendar_spec)
    elif coverage.calendar_id is not None:
        calendar = ServiceCalendar.get_in(req.tenant_id, coverage.calendar_id) or calendar
    response = _shorter(req.response_hours, coverage.response_hours)
    resolution = _shorter(req.resolution_hours, coverage.resolution_hours)
    return calendar, response, resolution


def _earliest_first(due: tuple) -> tuple:
    """A sort key of (response, resolution) due times: earlier first, a missing one (no such target) last."""
    return tuple((d is None, d) for d in due)


def apply_coverage(req: ServiceRequest, contract, category: RequestCategory) -> dict | None:
    """Ask the tenant's plugins for coverage of new request `req` and apply the strictest: the one whose response
    (then resolution) due time is earliest, among those that make no deadline later and some deadline earlier.
    Returns what changed (before and after) for the timeline, or None when the standard stands."""
    hook = plugin_manager().for_tenant(contract.tenant).saas_request_coverage
    offered = [c for group in hook(req=req, contract=contract, category=category) for c in group or ()]
    if not offered:
        return None
    standard_calendar = category.calendar if category.calendar_id else None
    before = (_due(standard_calendar, req, req.response_hours), _due(standard_calendar, req, req.resolution_hours))
    best = None
    for coverage in offered:
        calendar, response, resolution = _candidate(req, category, coverage)
        after = (_due(calendar, req, response), _due(calendar, req, resolution))
        later = any(a is not None and b is not None and a > b for a, b in zip(after, before, strict=True))
        if later or after == before:
            continue
        if best is None or _earliest_first(after) < _earliest_first(best[0]):
            best = (after, coverage, calendar, response, resolution)
    if best is None:
        return None
    after, coverage, calendar, response, resolution = best
    applied = {
        "source": coverage.source,
        "label": str(coverage.label),
        "labels": in_each_language(coverage.label),
        "calendar": [standard_calendar.name if standard_calendar else None, calendar.name if calendar else None],
        "response_hours": [req.response_hours, response],
        "resolution_hours": [req.resolution_hours, resolution],
        "response_due_at": [d.isoformat() if d else None for d in (before[0], after[0])],
        "resolution_due_at": [d.isoformat() if d else None for d in (before[1], after[1])],
    }
    req.calendar_id, req.calendar = (calendar.id if calendar else None), calendar
    req.response_hours, req.resolution_hours = response, resolution
    return applied


def applied_coverage(req: ServiceRequest) -> dict | None:
    """What coverage applied to the request when it was raised (its timeline's line), or None."""
    return db.session.scalar(
        select(RequestEvent.data)
        .where(RequestEvent.request_id == req.id, RequestEvent.kind == EVENT_KIND)
        .order_by(RequestEvent.id)
        .limit(1)
    )
