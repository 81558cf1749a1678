"""§8.1.4 reminders: an invoice still owed is mailed to the client's billing contacts on each of the tenant's
reminder days (days from the due date), by the tenant's local date, once per invoice and day, in both languages."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.billing import payments, reminders, services
from saas.billing.models import BillingSettings, Invoice
from saas.core.clients import add_contact
from saas.core.models import MailMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def owed(db, world, make_signed_contract, clock):
    """alpha's two clients each owe January 2028 (3,000.00), issued 1 February and due 2 March; each client has a
    billing contact with an e-mail, and one contact who is not for billing."""
    clock.set(datetime(2027, 12, 20, 10, tzinfo=SHANGHAI))
    tenant = world.tenant("alpha")
    contracts = [make_signed_contract(tenant, c, effective=date(2028, 1, 1)) for c in world.clients("alpha")]
    for i, c in enumerate(world.clients("alpha")):
        add_contact(
            c, {"name": "财务", "title": "", "email": f"ap{i + 1}@client.example.com", "phone": "", "is_billing": True}
        )
        add_contact(
            c, {"name": "IT", "title": "", "email": f"it{i + 1}@client.example.com", "phone": "", "is_billing": False}
        )
    no_mail = {"name": "无邮箱", "title": "", "email": "", "phone": "", "is_billing": True}
    add_contact(world.clients("alpha")[0], no_mail)
    clock.set(datetime(2028, 2, 1, 1, tzinfo=SHANGHAI))
    services.bill(tenant, [c.id for c in contracts], date(2028, 2, 1))
    db.session.commit()
    return db.session.scalars(select(Invoice).order_by(Invoice.client_id)).all()


def reminders_sent(db) -> list[tuple[str, str]]:
    return db.session.execute(
        select(MailMessage.to, MailMessage.dedupe_key)
        .where(MailMessage.dedupe_key.startswith("reminder:"))
        .order_by(MailMessage.id)
    ).all()


def test_s8_1_4_reminders_go_out_exactly_on_the_scheduled_days_once_and_not_for_paid_invoices(owed, db, world, clock):
    first, second = owed
    assert first.due_date == date(2028, 3, 2)
    payment, _created = payments.record(
        world.tenant("alpha"), second.client_id, "manual", "T-1", Decimal("3000.00"), "CNY", invoice_id=second.id
    )
    payments.succeed(payment, [second])  # the second client paid: never reminded
    db.session.commit()
    sent_on = {}
    day = date(2028, 2, 20)
    while day <= date(2028, 4, 10):  # day by day, the job at 09:00 Shanghai, twice
        clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI))
        before = len(reminders_sent(db))
        reminders.send_payment_reminders()
        reminders.send_payment_reminders()
        for _to, key in reminders_sent(db)[before:]:
            sent_on[key] = day
        day += timedelta(days=1)
    assert sent_on == {
        f"reminder:{first.id}:-3:ap1@client.example.com": date(2028, 2, 28),
        f"reminder:{first.id}:1:ap1@client.example.com": date(2028, 3, 3),
        f"reminder:{first.id}:7:ap1@client.example.com": date(2028, 3, 9),
        f"reminder:{first.id}:30:ap1@client.example.com": date(2028, 4, 1),
    }


def test_s8_1_4_a_reminder_tells_the_amount_owed_the_due_date_the_days_late_and_the_link(owed, db, world, clock):
    first, _second = owed
    payment, _created = payments.record(
        world.tenant("alpha"), first.client_id, "manual", "T-1", Decimal("1000.00"), "CNY", invoice_id=first.id
    )
    payments.succeed(payment, [first])
    db.session.commit()
    clock.set(datetime(2028, 3, 9, 9, tzinfo=SHANGHAI))
    assert reminders.send_payment_reminders() == 2  # both clients owe: one invoice each
    mail = db.session.scalar(
        select(MailMessage).where(
            MailMessage.to == "ap1@client.example.com", MailMessage.dedupe_key.startswith("reminder:")
        )
    )
    assert mail.subject.count("INV-2028-000001") == 2  # both languages
    assert "Overdue" in mail.subject
    assert "¥2,000.00" in mail.body_text  # what is still owed, not the total
    assert "2028-03-02" in mail.body_text and "7 days late" in mail.body_text and "§8.1.4" in mail.body_text
    assert f"/t/alpha/portal/invoices/{first.id}" in mail.body_text
    assert len(mail.body_text.split("----------")) == 2  # Chinese, then English


def test_s8_1_4_reminders_before_the_due_date_say_when_it_is_due(owed, db, clock):
    clock.set(datetime(2028, 2, 28, 9, tzinfo=SHANGHAI))
    reminders.send_payment_reminders()
    mail = db.session.scalar(
        select(MailMessage).where(
            MailMessage.to == "ap1@client.example.com", MailMessage.dedupe_key.startswith("reminder:")
        )
    )
    assert "It is due in 3 days." in mail.body_text and "Payment reminder" in mail.subject


def test_s8_1_4_reminders_follow_the_tenants_own_days_and_local_date(owed, db, world, clock):
    """Shanghai's 3 March begins at 16:00 UTC on 2 March: the day-1 reminder goes out then, not a minute before."""
    db.session.add(BillingSettings(tenant_id=world.tenant("alpha").id, reminder_days="1"))
    db.session.commit()
    clock.set(datetime(2028, 3, 2, 23, 59, tzinfo=SHANGHAI))
    assert reminders.send_payment_reminders() == 0
    clock.set(datetime(2028, 3, 3, 0, 0, tzinfo=SHANGHAI))
    assert reminders.send_payment_reminders() == 2
    clock.set(datetime(2028, 2, 28, 9, tzinfo=SHANGHAI))  # -3 is not one of this tenant's days
    assert reminders.start_reminders(world.tenant("alpha").id) == 0
    settings = db.session.scalar(select(BillingSettings))
    settings.reminder_days = ""
    db.session.commit()
    clock.set(datetime(2028, 3, 3, 9, tzinfo=SHANGHAI))
    assert reminders.send_payment_reminders() == 0  # no days: no reminders


def test_s8_1_4_a_reminder_queued_for_an_invoice_paid_since_is_not_sent(owed, db, world, clock):
    first, second = owed
    clock.set(datetime(2028, 3, 3, 9, tzinfo=SHANGHAI))
    payment, _created = payments.record(
        world.tenant("alpha"), first.client_id, "manual", "T-1", Decimal("3000.00"), "CNY", invoice_id=first.id
    )
    payments.succeed(payment, [first])
    db.session.commit()
    assert reminders.mail_reminders(world.tenant("alpha").id, "2028-03-03", [first.id, second.id]) == 1
    assert [to for to, _key in reminders_sent(db)] == ["ap2@client.example.com"]
