"""A tenant's billing settings: review invoices before they go out, and the days payment reminders go out on."""

from flask_babel import gettext as _

from saas.billing.models import BillingSettings
from saas.billing.services import settings_of
from saas.core import audit
from saas.core.models import Tenant
from saas.extensions import db

#: Reminder days are counted from the due date: two months before at most, a year after at most.
FIRST_DAY, LAST_DAY = -60, 365


def parse_reminder_days(text: str) -> list[int]:
    """The reminder days of a setting ("-3, 1,7,30"), without repeats, in order; ValueError (translated) otherwise."""
    days = set()
    for piece in (text or "").split(","):
        piece = piece.strip()
        if not piece:
            continue
        try:
            day = int(piece)
        except ValueError:
            raise ValueError(_("“%(value)s” is not a whole number of days.", value=piece)) from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(
                _("%(day)d is outside %(first)d to %(last)d days.", day=day, first=FIRST_DAY, last=LAST_DAY)
            )
        days.add(day)
    return sorted(days)


def format_reminder_days(days: list[int]) -> str:
    """Reminder days as stored: "-3,1,7,30"."""
    return ",".join(str(d) for d in days)


def save_settings(tenant: Tenant, review_invoices: bool, reminder_days: str) -> BillingSettings:
    """Change the tenant's billing settings (the row is made the first time); returns it."""
    row = settings_of(tenant)
    row.review_invoices = bool(review_invoices)
    row.reminder_days = format_reminder_days(parse_reminder_days(reminder_days))
    db.session.add(row)
    audit.record(
        "billing.settings_changed",
        tenant_id=tenant.id,
        review_invoices=row.review_invoices,
        reminder_days=row.reminder_days,
    )
    return row
