"""The vendor admin's billing settings: invoices reviewed before they go out (§3.1), and the reminder days of
§8.1.4, validated through the screen with translated errors and nothing lost."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.billing import services
from saas.billing.models import BillingSettings, Invoice, InvoiceStatus
from saas.billing.tenant_settings import parse_reminder_days
from saas.core.models import AuditEvent

URL = "/t/alpha/billing/settings/"


def test_s8_1_4_reminder_days_are_whole_days_between_minus_60_and_365():
    assert parse_reminder_days(" 30, -3,7,1,7 ,") == [-3, 1, 7, 30]
    assert parse_reminder_days("") == []
    for bad in ("1.5", "x", "-61", "366", "3;7"):
        with pytest.raises(ValueError):
            parse_reminder_days(bad)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3, x", "“x” is not a whole number of days."),
        ("-61,1", "-61 is outside -60 to 365 days."),
        ("1,400", "400 is outside -60 to 365 days."),
        ("1.5", "“1.5” is not a whole number of days."),
    ],
)
def test_s8_1_4_bad_reminder_days_are_refused_with_a_message_and_nothing_lost(client, world, db, typed, message):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(URL, {"review_invoices": "y", "reminder_days": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'value="{typed}"' in page  # what was typed is still there
    assert '<input checked id="review_invoices"' in page
    assert db.session.scalar(select(func.count(BillingSettings.id))) == 0


def test_s3_1_2_the_vendor_admin_saves_the_billing_settings_and_new_invoices_wait_for_review(
    client, world, db, make_signed_contract, clock
):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(URL).get_data(as_text=True)
    assert 'value="-3,1,7,30"' in page  # the defaults until the tenant saves its own
    response = client.post_form(URL, {"review_invoices": "y", "reminder_days": " 30, -3,7,1,7 "})
    assert response.status_code == 302
    row = db.session.scalar(select(BillingSettings))
    assert (row.tenant_id, row.review_invoices, row.reminder_days) == (world.tenant("alpha").id, True, "-3,1,7,30")
    assert services.settings_of(world.tenant("beta")).id is None  # the other vendor keeps the defaults
    client.post_form(URL, {"reminder_days": ""})  # an unticked box is not sent
    db.session.expire_all()
    assert (row.review_invoices, row.reminder_days) == (False, "")
    assert db.session.scalar(select(func.count(BillingSettings.id))) == 1
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "billing.settings_changed")) == 2
    )

    client.post_form(URL, {"review_invoices": "y", "reminder_days": "1"})
    shanghai = ZoneInfo("Asia/Shanghai")
    clock.set(datetime(2027, 12, 20, 10, tzinfo=shanghai))
    contract = make_signed_contract(world.tenant("alpha"), world.clients("alpha")[0], effective=date(2028, 1, 1))
    clock.set(datetime(2028, 2, 1, 1, tzinfo=shanghai))
    services.bill(world.tenant("alpha"), [contract.id], date(2028, 2, 1))
    db.session.commit()
    assert db.session.scalar(select(Invoice.status)) == InvoiceStatus.DRAFT


@pytest.mark.parametrize("role", ["vendor_billing", "vendor_engineer", "client_admin", "client_user", "third_party"])
def test_s8_1_4_only_the_vendor_admin_changes_the_billing_settings(client, world, db, role):
    client.sign_in(world.person("alpha", role).email)
    assert client.get(URL).status_code == 403
    assert client.post_form(URL, {"reminder_days": "1"}).status_code == 403
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert client.get(URL).status_code == 404
    assert db.session.scalar(select(func.count(BillingSettings.id))) == 0
