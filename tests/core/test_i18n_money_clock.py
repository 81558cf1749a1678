"""Both languages, the tenant's time zone, money rounded half-up, and the injected clock."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from saas.core.clock import FrozenClock, add_months
from saas.core.money import format_money, quantize

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "saas/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_language_follows_the_browser(client, world):
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-Hans-CN">' in zh and "登录" in zh
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "Sign in" in en


def test_language_switch_is_kept_on_the_account(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form("/language", {"lang": "zh_Hans_CN", "next": "/t/alpha/clients"})
    assert response.headers["Location"] == "/t/alpha/clients"
    assert "客户" in client.get("/t/alpha/clients").get_data(as_text=True)
    db.session.expire_all()
    assert world.person("alpha", "vendor_admin").locale == "zh_Hans_CN"
    assert client.post_form("/language", {"lang": "xx"}).status_code == 400
    assert client.post_form("/language", {"lang": "en", "next": "https://evil.example.com"}).headers["Location"] == "/"


def test_form_errors_speak_chinese(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    html = client.post_form("/t/alpha/clients/new", {"legal_name": "测试", "uscc": "123"}).get_data(as_text=True)
    assert "统一社会信用代码" in html
    assert "This is not a valid unified social credit code." not in html


def test_zh_catalog_is_complete(tmp_path, monkeypatch):
    """Every string the code and templates use has a Chinese translation, none fuzzy."""
    pot = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(pot),
            ".",
        ]
    )
    with pot.open("rb") as f:
        used = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        catalog = {m.id: m for m in read_po(f) if m.id}
    missing = sorted(str(i) for i in used - catalog.keys())
    untranslated = sorted(str(i) for i, m in catalog.items() if i in used and (not m.string or m.fuzzy))
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    assert not untranslated, f"translate: {untranslated[:10]}"


@pytest.mark.parametrize(("timezone", "shown"), [("Asia/Shanghai", "10:00 AM"), ("UTC", "2:00 AM")])
def test_times_are_shown_in_the_tenant_time_zone(client, db, make_tenant, make_user, timezone, shown):
    tenant = make_tenant("tz", timezone=timezone)
    admin = make_user(tenant, "vendor_admin", email="tz@example.com")
    client.sign_in(admin.email)  # the clock says 2026-01-15 02:00 UTC
    html = client.get("/t/tz/people", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"1/15/26, {shown}" in html.replace("\u202f", " ")


def test_money_rounds_half_up_not_half_even():
    assert quantize(Decimal("2.345"), "CNY") == Decimal("2.35")  # half-even would give 2.34
    assert quantize(Decimal("2.355"), "CNY") == Decimal("2.36")
    assert quantize(Decimal("-2.345"), "CNY") == Decimal("-2.35")
    assert quantize("1234.5", "JPY") == Decimal("1235")
    assert quantize(7, "CNY") == Decimal("7.00")
    with pytest.raises(TypeError):
        quantize(2.345, "CNY")


def test_money_is_formatted_for_each_language():
    assert format_money(Decimal("1234.565"), "CNY", "zh_Hans_CN") == "¥1,234.57"
    assert format_money(Decimal("1234.565"), "CNY", "en") == "CN¥1,234.57"


def test_money_filter_in_templates(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert app.jinja_env.from_string("{{ x|money('CNY') }}").render(x=Decimal("0.005")) == "¥0.01"


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),  # from the anchor, not from the clamped February
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 5, 15), -5, date(2023, 12, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_month_end_anchor_never_skips_or_doubles_a_period():
    ends = [add_months(date(2024, 1, 31), k) for k in range(1, 13)]
    assert [d.month for d in ends] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1]
    assert ends[0] == date(2024, 2, 29) and ends[2] == date(2024, 4, 30)


def test_frozen_clock_moves_only_when_told():
    clock = FrozenClock(datetime(2024, 1, 31, 16, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.add_months(1) == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)
    assert clock.advance(hours=8) == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        FrozenClock(datetime(2024, 1, 1))  # naive: ambiguous


def test_timestamps_come_back_aware_in_utc(db, make_tenant, clock):
    clock.set(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC))
    tenant = make_tenant("leap")
    db.session.expire_all()
    assert tenant.created_at == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert tenant.created_at.tzinfo is not None
