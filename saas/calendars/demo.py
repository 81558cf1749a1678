"""Demo calendars: around the clock, and business hours with the official Chinese schedule of 2026."""

from saas.calendars import services
from saas.calendars.models import ServiceCalendar
from saas.core.models import Tenant


def seed_calendars(tenant: Tenant) -> tuple[ServiceCalendar, ServiceCalendar]:
    """Create the two demo calendars of a tenant; returns (always, office)."""
    always = services.save_calendar(tenant, {"name": "7×24", "timezone": tenant.timezone, "always": True})
    office = services.save_calendar(
        tenant,
        {
            "name": "工作日 Business hours",
            "timezone": tenant.timezone,
            **{f"hours_{d}": services.format_windows(ws) for d, ws in services.default_weekly().items()},
        },
    )
    services.add_official_china_schedule(office, 2026)
    return always, office
