"""Payment reminders on each tenant's schedule: an invoice still owed is mailed to the client's billing contacts on
each of the tenant's reminder days (days from its due date: -3 is three days before, 7 a week after, §8.1.4).

The daily job finds a tenant's invoices to remind with one query and mails them in batches; each contact gets
one mail per invoice and reminder day (the outbox's dedupe key), so a job run twice sends nothing twice.
"""

import logging
from datetime import date, timedelta

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.billing import document
from saas.billing.holds import owed_beyond_holds
from saas.billing.models import Invoice
from saas.billing.notify import billing_contacts
from saas.billing.payments import OPEN_INVOICES
from saas.billing.services import settings_of
from saas.billing.tenant_settings import parse_reminder_days
from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.mail import both_languages, send_mail
from saas.core.models import Tenant, TenantStatus
from saas.core.money import format_money
from saas.extensions import db
from saas.jobs import enqueue, task

log = logging.getLogger(__name__)
#: Invoices per mail job.
BATCH = 500


def reminder_days(tenant: Tenant) -> list[int]:
    """The tenant's reminder days; none when the stored setting cannot be read (it is validated when saved)."""
    try:
        return parse_reminder_days(settings_of(tenant).reminder_days)
    except ValueError:
        log.warning("tenant %s: unreadable reminder days %r", tenant.slug, settings_of(tenant).reminder_days)
        return []


def invoices_to_remind(tenant: Tenant, today: date) -> list[int]:
    """Ids of the tenant's invoices still owed whose due date is one of its reminder days away from `today`."""
    days = reminder_days(tenant)
    if not days:
        return []
    due_dates = [today - timedelta(days=d) for d in days]
    balances = dict(
        db.session.execute(
            select(Invoice.id, Invoice.balance)
            .where(
                Invoice.tenant_id == tenant.id,
                Invoice.status.in_(OPEN_INVOICES),
                Invoice.balance > 0,
                Invoice.due_date.in_(due_dates),
            )
            .order_by(Invoice.id)
        ).all()
    )
    # An invoice owing nothing beyond what is held (under dispute, §9) is not reminded.
    return sorted(owed_beyond_holds(tenant, balances))


@task
def send_payment_reminders() -> int:
    """Daily: every active tenant's reminders for its own local date, mailed in batches; returns invoices found."""
    found = 0
    for tenant in db.session.scalars(
        select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    ).all():
        with dbscope.tenant(tenant.id):
            found += start_reminders(tenant.id)
    return found


def start_reminders(tenant_id: int, day: date | None = None) -> int:
    """Queue the mail of one tenant's reminders of a day; the same day and invoices give the same job ids."""
    tenant = db.session.get(Tenant, tenant_id)
    today = day or local_today(tenant)
    ids = invoices_to_remind(tenant, today)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        enqueue(
            mail_reminders,
            tenant_id,
            today.isoformat(),
            chunk,
            queue="mail",
            job_id=f"reminders-{tenant_id}-{today.isoformat()}-{chunk[0]}-{chunk[-1]}-{len(chunk)}",
        )
    return len(ids)


@task
def mail_reminders(tenant_id: int, day: str, invoice_ids: list[int]) -> int:
    """Mail the reminders of a day for these invoices, those still owed, to each billing contact; returns mails."""
    with dbscope.tenant(tenant_id):
        today = date.fromisoformat(day)
        days = set(reminder_days(db.session.get(Tenant, tenant_id)))
        invoices = db.session.scalars(
            select(Invoice)
            .options(selectinload(Invoice.contract), selectinload(Invoice.client))
            .where(
                Invoice.id.in_(invoice_ids),
                Invoice.tenant_id == tenant_id,
                Invoice.status.in_(OPEN_INVOICES),
                Invoice.balance > 0,
            )
            .order_by(Invoice.id)
        ).all()
        contacts = billing_contacts({i.client_id for i in invoices})
        sent = 0
        for invoice in invoices:
            offset = (today - invoice.due_date).days
            if offset not in days:  # the schedule changed since the batch was queued
                continue
            for email in contacts.get(invoice.client_id, []):
                send_reminder(invoice, email, offset)
                sent += 1
    return sent


def send_reminder(invoice: Invoice, email: str, offset: int) -> None:
    """One reminder of one invoice to one contact, once per reminder day: amount owed, due date, days late, link."""
    vendor = invoice.contract.tenant
    link = document.pay_link(invoice)

    def when():
        if offset < 0:
            return ngettext("It is due in %(num)d day.", "It is due in %(num)d days.", -offset)
        if offset == 0:
            return _("It is due today.")
        return ngettext(
            "It is %(num)d day late. Late payment is a breach of the agreement (§8.1.4) and may bear "
            "the penalty of §8.2.",
            "It is %(num)d days late. Late payment is a breach of the agreement (§8.1.4) and may bear "
            "the penalty of §8.2.",
            offset,
        )

    def body():
        return _(
            "%(vendor)s reminds you that invoice %(number)s for agreement %(contract)s is not paid yet.\n\n"
            "Amount owed: %(amount)s\nDue by: %(due)s\n%(when)s\n\nSee the invoice and how to pay it: %(link)s\n"
            "If you have paid it already, thank you, and please disregard this reminder.",
            vendor=vendor.legal_name,
            number=invoice.number,
            contract=invoice.contract.number,
            amount=format_money(invoice.balance, invoice.currency, str(get_locale())),
            due=invoice.due_date.isoformat(),
            when=when(),
            link=link,
        )

    def subject():
        if offset > 0:
            return _("Overdue: invoice %(number)s", number=invoice.number)
        return _("Payment reminder: invoice %(number)s", number=invoice.number)

    send_mail(
        dedupe_key=f"reminder:{invoice.id}:{offset}:{email}",
        to=email,
        tenant_id=invoice.tenant_id,
        subject=both_languages(subject, " / "),
        body=both_languages(body),
    )
