"""§13, the hours bank add-on (plugins/addon_hours_bank): 20 prepaid engineer hours a month under a main agreement
effective 1 January 2027 (calendar-month periods), drawn down by the time logged on its requests; unused hours expire,
are carried into the next month only, or kept, as the agreement's terms say; the hours beyond the bank billed per
hour as usage on the regular invoice, once; the time form on a request's page, and who may see and use it."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import func, select

from plugins.addon_hours_bank import services as bank
from plugins.addon_hours_bank.models import TimeEntry
from saas.addons import services as addons
from saas.addons.models import AddonCharge
from saas.billing import services as billing
from saas.billing.models import Invoice, InvoiceLine
from saas.core.errors import ServiceError
from saas.extensions import db
from saas.requests import services as requests

D = Decimal
NAME = bank.NAME
ONCE = "t" * 43  # a form's one-time token, as the page would give it


@pytest.fixture
def sold(db, world, make_signed_contract, enable_plugin, clock):
    """Alpha's first client under a two-year agreement effective 1 January 2027, the plugin on, a request raised."""
    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))
    tenant = world.tenant("alpha")
    contract = make_signed_contract(tenant, world.clients("alpha")[0], effective=date(2027, 1, 1), term_years=2)
    enable_plugin(tenant, NAME)
    g.pop("_enabled_plugins", None)
    cats = {c.code: c for c in requests.categories(tenant)}
    req = requests.create_request(
        tenant,
        contract.client_id,
        {"category_id": cats["REMOTE"].id, "subject": "机房巡检"},
        world.person("alpha", "client_user"),
    )
    db.session.commit()
    return {"tenant": tenant, "contract": contract, "request": req}


def signed_bank(sold, world, starts_on=date(2027, 1, 1), **terms):
    """An hours bank of 2,000.00 a month and 300.00 an hour beyond it, proposed by the vendor and signed by both."""
    offer = addons.save_offer(
        sold["tenant"],
        {
            "addon_type": NAME,
            "name_zh": "工时包",
            "name_en": "Hours bank",
            "monthly_fee": "2000.00",
            "unit_price": "300.00",
            "terms": {"hours_per_month": "20", "one_off_hours": "0", "rollover": "next_month", **terms},
        },
        world.person("alpha", "vendor_admin"),
    )
    agreement = addons.propose(sold["contract"], offer, {"starts_on": starts_on}, world.person("alpha", "vendor_admin"))
    db.session.commit()
    document = addons.documents(agreement)[0]
    addons.sign(agreement, "B", world.person("alpha", "vendor_admin"), document.id, document.sha256)
    assert addons.sign(agreement, "A", world.person("alpha", "client_admin"), document.id, document.sha256)
    db.session.commit()
    return agreement


def log(sold, world, day, hours, kind="remote", note="", once=None):
    entry, made = bank.log_time(
        sold["request"],
        {"hours": hours, "worked_on": day, "kind": kind, "note": note},
        world.person("alpha", "vendor_engineer"),
        once=once,
    )
    db.session.commit()
    return entry, made


def table(months):
    return [(m.start, m.granted, m.carried_in, m.used, m.over, m.left, m.expired, m.carried_out) for m in months]


#: Time logged on the request each month, January to April 2027 (none in May, the month the balance is asked in).
LOGGED = [
    (date(2027, 1, 5), "12"),
    (date(2027, 2, 8), "18"),
    (date(2027, 2, 9), "12"),
    (date(2027, 3, 3), "5"),
    (date(2027, 4, 20), "10"),
]
JAN, FEB, MAR, APR, MAY = (date(2027, m, 1) for m in range(1, 6))


@pytest.mark.parametrize(
    "rollover, expected",
    [
        (
            "next_month",  # the month before's unused grant only; what was carried and not used expires
            [
                (JAN, D("20"), D("0"), D("12"), D("0"), D("8"), D("0"), D("8")),
                (FEB, D("20"), D("8"), D("30"), D("2"), D("0"), D("0"), D("0")),
                (MAR, D("20"), D("0"), D("5"), D("0"), D("15"), D("0"), D("15")),
                (APR, D("20"), D("15"), D("10"), D("0"), D("25"), D("5"), D("20")),
                (MAY, D("20"), D("20"), D("0"), D("0"), D("40"), D("20"), D("20")),
            ],
        ),
        (
            "keep",
            [
                (JAN, D("20"), D("0"), D("12"), D("0"), D("8"), D("0"), D("8")),
                (FEB, D("20"), D("8"), D("30"), D("2"), D("0"), D("0"), D("0")),
                (MAR, D("20"), D("0"), D("5"), D("0"), D("15"), D("0"), D("15")),
                (APR, D("20"), D("15"), D("10"), D("0"), D("25"), D("0"), D("25")),
                (MAY, D("20"), D("25"), D("0"), D("0"), D("45"), D("0"), D("45")),
            ],
        ),
        (
            "expire",
            [
                (JAN, D("20"), D("0"), D("12"), D("0"), D("8"), D("8"), D("0")),
                (FEB, D("20"), D("0"), D("30"), D("10"), D("0"), D("0"), D("0")),
                (MAR, D("20"), D("0"), D("5"), D("0"), D("15"), D("15"), D("0")),
                (APR, D("20"), D("0"), D("10"), D("0"), D("10"), D("10"), D("0")),
                (MAY, D("20"), D("0"), D("0"), D("0"), D("20"), D("20"), D("0")),
            ],
        ),
    ],
)
def test_s13_1_the_bank_month_by_month_rolls_over_or_expires_as_its_terms_say(
    db, world, sold, clock, rollover, expected
):
    agreement = signed_bank(sold, world, rollover=rollover)
    clock.set(datetime(2027, 5, 10, 2, 0, tzinfo=UTC))
    for day, hours in LOGGED:
        log(sold, world, day, hours)
    months = bank.balance(agreement, date(2027, 5, 10))
    assert table(months) == expected
    assert [m.closed for m in months] == [True, True, True, True, False]  # May still runs
    assert bank.balance(agreement, date(2027, 5, 10)) == months  # the same on every re-run
    quantity, how = bank.measure(agreement, FEB, MAR)
    assert quantity == expected[1][4]
    if rollover == "next_month":
        with force_locale("en"):
            assert "30 h logged, 20 h of the month + 8 h carried: 2 h over" in str(how)
        with force_locale("zh_Hans_CN"):
            assert "已记录 30 小时" in str(how) and "logged" not in str(how)


def test_s13_1_a_bank_started_mid_month_grants_by_day_and_keeps_its_one_off_block(db, world, sold, clock):
    agreement = signed_bank(sold, world, starts_on=date(2027, 1, 16), one_off_hours="10", rollover="expire")
    clock.set(datetime(2027, 2, 27, 2, 0, tzinfo=UTC))
    log(sold, world, date(2027, 1, 15), "3")  # the day before the bank: recorded, draws nothing
    log(sold, world, date(2027, 1, 20), "15")
    log(sold, world, date(2027, 2, 10), "16")
    log(sold, world, date(2027, 2, 11), "10")
    jan, feb = bank.balance(agreement, date(2027, 2, 27))
    # 16 of January's 31 days: 20 × 16 / 31 = 10.32 h; the block pays the rest of January's 15 h and is kept
    assert (jan.start, jan.granted, jan.block_in, jan.used, jan.over, jan.block_out) == (
        date(2027, 1, 16),
        D("10.32"),
        D("10.00"),
        D("15.00"),
        D("0.00"),
        D("5.32"),
    )
    assert jan.expired == D("0.00")  # the month's grant was all used; the block does not expire
    assert (feb.granted, feb.block_in, feb.used, feb.over, feb.block_out) == (
        D("20.00"),
        D("5.32"),
        D("26.00"),
        D("0.68"),
        D("0.00"),
    )
    drew = [e.hours for e, _r in bank.entries_drawing([agreement], date(2027, 2, 27))[agreement.id]]
    assert drew == [D("10.00"), D("16.00"), D("15.00")]  # not the 3 h before it began


def bill_on(sold, clock, day):
    clock.set(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))
    billing.bill(sold["tenant"], [sold["contract"].id], day)
    db.session.commit()
    return db.session.scalars(
        select(Invoice).where(Invoice.contract_id == sold["contract"].id, Invoice.period_end == day)
    ).first()


def addon_lines(invoice):
    return sorted(
        (r.source["fee"], r.quantity, r.amount, r.description)
        for r in db.session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "add_on")
        )
    )


def test_s13_2_the_overage_is_billed_per_hour_on_the_regular_invoice_once(db, world, sold, clock):
    agreement = signed_bank(sold, world)
    clock.set(datetime(2027, 1, 31, 2, 0, tzinfo=UTC))
    log(sold, world, date(2027, 1, 10), "20.5", kind="on_site", note="上门更换硬盘")
    log(sold, world, date(2027, 1, 28), "3")
    first = bill_on(sold, clock, date(2027, 2, 1))
    (monthly, usage) = addon_lines(first)
    assert monthly[:3] == ("monthly", D("1"), D("2000.00"))
    assert usage[:3] == ("usage", D("3.5"), D("1050.00"))  # 23.5 h − 20 h = 3.5 h × 300.00
    zh, en = usage[3].split(" / ")  # the line in both languages, how it was measured in each its own
    assert "已记录 23.5 小时" in zh and "logged" not in zh
    assert "23.5 h logged, 20 h of the month: 3.5 h over" in en and "已记录" not in en
    stored = db.session.scalar(select(AddonCharge.how).where(AddonCharge.fee == "usage"))
    assert "已记录 23.5 小时" in stored and "23.5 h logged" in stored  # the charge's record keeps both
    charges = db.session.scalar(select(func.count(AddonCharge.id)).where(AddonCharge.agreement_id == agreement.id))
    assert charges == 2
    # a re-run the same day: the same invoice, nothing more
    assert bill_on(sold, clock, date(2027, 2, 1)).id == first.id
    assert db.session.scalar(select(func.count(AddonCharge.id))) == charges
    # January is invoiced: time for it is refused now, so the invoice and the balance never part
    with pytest.raises(ServiceError, match="invoiced"):
        log(sold, world, date(2027, 1, 30), "1")
    db.session.rollback()
    # February: the 20 h of the month, nothing carried (January's were all used), 5 h used: nothing over
    clock.set(datetime(2027, 2, 20, 2, 0, tzinfo=UTC))
    log(sold, world, date(2027, 2, 3), "5")
    second = bill_on(sold, clock, date(2027, 3, 1))
    assert [line[:3] for line in addon_lines(second)] == [
        ("monthly", D("1"), D("2000.00")),
        ("usage", D("0"), D("0.00")),
    ]
    assert db.session.scalar(select(func.sum(AddonCharge.amount))) == D("5050.00")


def test_s13_1_hours_are_checked_and_two_identical_submissions_log_once(db, world, sold, clock):
    signed_bank(sold, world)
    clock.set(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    for bad, why in (
        ("-1", "0.01 to 24"),
        ("abc", "0.01 to 24"),
        ("1.234", "two decimal"),
        ("25", "0.01 to 24"),
        ("0", "0.01 to 24"),
        ("１", "0.01 to 24"),
    ):
        with pytest.raises(ServiceError, match=why):
            log(sold, world, date(2027, 1, 19), bad)
    with pytest.raises(ServiceError, match="arrival"):
        log(sold, world, date(2027, 1, 21), "1")  # tomorrow
    first, made = log(sold, world, date(2027, 1, 19), "2.25", once=ONCE)
    again, made_again = log(sold, world, date(2027, 1, 19), "2.25", once=ONCE)
    assert made and not made_again and again.id == first.id
    log(sold, world, date(2027, 1, 19), "20")
    with pytest.raises(ServiceError, match="a day has 24"):
        log(sold, world, date(2027, 1, 19), "2")
    db.session.rollback()
    assert db.session.scalar(select(func.sum(TimeEntry.hours))) == D("22.25")


def test_s13_1_time_on_an_agreement_without_a_running_bank_is_recorded_but_draws_nothing(
    db, world, sold, clock, client
):
    clock.set(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    entry, made = log(sold, world, date(2027, 1, 19), "4")
    assert made and entry.contract_id == sold["contract"].id
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    body = client.get(f"/t/alpha/requests/{sold['request'].id}").get_data(as_text=True)
    assert 'data-testid="hours-bank-none"' in body and 'data-testid="time-form"' in body
    assert "none: draws nothing" in body
    form = {"hours": "2", "worked_on": "2027-01-20", "kind": "on_site", "note": "", "_once": ONCE}
    done = client.post_form(url(sold), form, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "No hours bank runs on that day: it draws nothing." in done.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.sum(TimeEntry.hours))) == D("6.00")


def url(sold, tenant="alpha"):
    return f"/t/{tenant}/p/{NAME}/requests/{sold['request'].id}/time"


def test_s13_1_an_engineer_logs_time_on_the_requests_page(db, world, sold, clock, client):
    agreement = signed_bank(sold, world)
    clock.set(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    page = client.get(f"/t/alpha/requests/{sold['request'].id}").get_data(as_text=True)
    assert 'data-testid="hours-bank-section"' in page and 'data-testid="hours-bank-running"' in page
    assert agreement.number in page
    hx = {"HX-Request": "true"}
    form = {"hours": "1.5", "worked_on": "2027-01-19", "kind": "on_site", "note": "上门巡检", "_once": ONCE}
    done = client.post_form(url(sold), form, headers=hx)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in body and 'data-testid="time-entry"' in body
    assert 'data-testid="time-total">1.5<' in body
    assert f"Time logged against hours bank {agreement.number}." in body
    again = client.post_form(url(sold), form, headers=hx)  # the same form sent twice: one entry
    assert again.status_code in (200, 303)
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 1
    for bad in ("-1", "abc", "1.234", "25"):
        refused = client.post_form(url(sold), {**form, "hours": bad, "_once": ""}, headers=hx)
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422, bad
        assert "<html" not in text and ("0.01 to 24" in text or "two decimal" in text)
    tomorrow = client.post_form(url(sold), {**form, "worked_on": "2027-01-21", "_once": ""}, headers=hx)
    assert tomorrow.status_code == 422 and "to today" in tomorrow.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 1
    plain = client.post_form(url(sold), {**form, "hours": "2", "_once": ""})  # without HTMX: back to the page
    assert plain.status_code == 302 and plain.location.endswith(f"/requests/{sold['request'].id}")
    month = bank.current(agreement, date(2027, 1, 20))
    assert (month.used, month.left) == (D("3.50"), D("16.50"))
    # the vendor's pages
    assert agreement.number in client.get(f"/t/alpha/p/{NAME}/").get_data(as_text=True)
    detail = client.get(f"/t/alpha/p/{NAME}/agreements/{agreement.id}").get_data(as_text=True)
    assert 'data-testid="bank-entry"' in detail and "上门巡检" in detail


def test_s13_3_the_client_sees_its_balance_and_entries_but_cannot_log_time(db, world, sold, clock, client, app):
    agreement = signed_bank(sold, world)
    clock.set(datetime(2027, 2, 10, 2, 0, tzinfo=UTC))
    log(sold, world, date(2027, 1, 12), "22", kind="on_site", note="服务器迁移")
    log(sold, world, date(2027, 2, 9), "1.25")
    client.sign_in(world.person("alpha", "client_admin").email)
    portal = client.get(f"/t/alpha/p/{NAME}/portal")
    body = portal.get_data(as_text=True)
    assert portal.status_code == 200 and agreement.number in body
    assert body.count('data-testid="bank-month"') == 2 and body.count('data-testid="bank-entry"') == 2
    assert "服务器迁移" in body and f"#{sold['request'].number}" in body
    page = client.get(f"/t/alpha/portal/requests/{sold['request'].id}").get_data(as_text=True)
    assert 'data-testid="hours-bank-section"' in page and 'data-testid="time-form"' not in page
    refused = client.post_form(url(sold), {"hours": "1", "worked_on": "2027-02-09", "kind": "remote"})
    assert refused.status_code == 403
    assert client.get(f"/t/alpha/p/{NAME}/agreements/{agreement.id}").status_code == 403  # the vendor's page
    # the other client of alpha sees no bank of this one
    other = app.test_client()
    other.sign_in(world.person("alpha", "client_admin_2").email)
    theirs = other.get(f"/t/alpha/p/{NAME}/portal").get_data(as_text=True)
    assert agreement.number not in theirs and "服务器迁移" not in theirs
    assert other.get(f"/t/alpha/portal/requests/{sold['request'].id}").status_code == 404
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 2


def test_s13_1_another_vendor_gets_404_for_alphas_request_and_bank(db, world, sold, clock, client, enable_plugin):
    agreement = signed_bank(sold, world)
    enable_plugin(world.tenant("beta"), NAME)
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert client.post_form(url(sold, "beta"), {"hours": "1", "worked_on": "2027-01-01"}).status_code == 404
    assert client.get(f"/t/beta/p/{NAME}/agreements/{agreement.id}").status_code == 404
    assert agreement.number not in client.get(f"/t/beta/p/{NAME}/").get_data(as_text=True)
    assert client.get(f"/t/alpha/p/{NAME}/").status_code in (403, 404)  # not a member of alpha
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 0


def test_s13_1_without_the_plugin_its_routes_are_404_and_the_section_is_gone(
    db, world, sold, clock, client, enable_plugin
):
    enable_plugin(sold["tenant"], NAME, False)
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    page = client.get(f"/t/alpha/requests/{sold['request'].id}")
    assert page.status_code == 200 and 'data-testid="hours-bank-section"' not in page.get_data(as_text=True)
    assert client.get(f"/t/alpha/p/{NAME}/").status_code == 404
    assert client.post_form(url(sold), {"hours": "1", "worked_on": "2027-01-01"}).status_code == 404
    assert NAME not in addons.types_for(sold["tenant"])


def test_s13_1_the_plugin_cannot_be_switched_off_while_a_signed_bank_rests_on_it(db, world, sold, enable_plugin):
    signed_bank(sold, world)
    with pytest.raises(ServiceError, match="1 add-on agreements of this plugin"):
        enable_plugin(sold["tenant"], NAME, False)
    db.session.rollback()
    g.pop("_enabled_plugins", None)
    assert NAME in addons.types_for(sold["tenant"])


def test_s13_3_the_demo_signs_a_bank_bills_its_months_and_logs_this_months_time_beyond_it(app, db, clock):
    from saas.core.models import Tenant
    from saas.demo import seed_demo

    clock.set(datetime(2026, 6, 2, 2, tzinfo=UTC))  # the demo agreements (from 31 January 2026) have been billed
    seed_demo()
    db.session.remove()
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        (agreement,) = bank.banks(tenant)
        assert (agreement.starts_on, agreement.status, agreement.unit_price) == (
            date(2026, 3, 31),
            "active",
            D("350.00"),
        )
        months = bank.balance(agreement, date(2026, 6, 2))
        assert [(m.start, m.granted, m.carried_in, m.used, m.over, m.expired) for m in months] == [
            (date(2026, 3, 31), D("20.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
            (date(2026, 4, 30), D("20.00"), D("20.00"), D("0.00"), D("0.00"), D("20.00")),
            (date(2026, 5, 31), D("20.00"), D("20.00"), D("44.00"), D("4.00"), D("0.00")),  # this month: over
        ]
        billed = db.session.execute(
            select(AddonCharge.fee, AddonCharge.period_start, AddonCharge.amount)
            .where(AddonCharge.agreement_id == agreement.id, AddonCharge.invoice_id.is_not(None))
            .order_by(AddonCharge.period_start, AddonCharge.fee)
        ).all()
        assert billed == [
            ("monthly", date(2026, 3, 31), D("3000.00")),
            ("usage", date(2026, 3, 31), D("0.00")),
            ("monthly", date(2026, 4, 30), D("3000.00")),
            ("usage", date(2026, 4, 30), D("0.00")),
        ]
        assert {e.kind for e, _r in bank.entries_drawing([agreement], date(2026, 6, 2))[agreement.id]} == {
            "remote",
            "on_site",
        }


def test_s13_1_the_same_time_form_sent_twice_at_once_logs_once(db, world, sold, clock, client, app):
    from saas.testing.race import at_once

    signed_bank(sold, world)
    clock.set(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    browsers = [client, app.test_client()]
    forms = []
    for browser in browsers:
        browser.sign_in(world.person("alpha", "vendor_engineer").email)
        forms.append(
            {
                "hours": "3",
                "worked_on": "2027-01-19",
                "kind": "remote",
                "_once": ONCE,
                "csrf_token": browser.csrf_token(),
            }
        )
    hx, where = {"HX-Request": "true"}, url(sold)
    answers = at_once(
        *(lambda b=b, f=f: b.post(where, data=f, headers=hx) for b, f in zip(browsers, forms, strict=True))
    )
    assert sorted(a.status_code for a in answers)[0] == 200 and all(a.status_code in (200, 303) for a in answers)
    db.session.remove()
    assert db.session.scalar(select(func.count(TimeEntry.id))) == 1


def test_s13_3_the_banks_text_states_its_roll_over_in_words_in_both_languages(db, world, sold, clock):
    agreement = signed_bank(sold, world)
    english = addons.render_document(agreement, "en")
    chinese = addons.render_document(agreement, "zh_Hans_CN")
    assert "are carried into the next month only" in english and "next_month" not in english
    assert "next_month" not in chinese and "are carried into" not in chinese
