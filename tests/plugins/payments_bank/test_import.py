"""§3.2.1 importing statements: each credit line is taken once, debits are skipped, bad files write nothing."""

import io
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from plugins.payments_bank import imports
from plugins.payments_bank.models import BankStatement, ImportProfile, LineStatus, StatementLine
from plugins.payments_bank.statements import StatementError
from saas.core.models import AuditEvent
from tests.plugins.payments_bank.samples import camt053, ccb_csv, icbc_xlsx, mt940

BASE = "/t/alpha/p/payments_bank"


def count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_s3_2_1_statement_import_never_takes_a_line_twice(db, world, bank):
    tenant = world.tenant("alpha")
    march_5 = (date(2028, 3, 5), "C", "8000.00", "20280305000123", "/NAME/上海明远制造有限公司/REMI/服务费")
    march_6 = (date(2028, 3, 6), "C", "1500.00", "20280306000045", "/NAME/杭州青禾物流股份有限公司/REMI/货款")
    march_7 = (date(2028, 3, 7), "C", "300.00", "20280307000009", "/NAME/杭州青禾物流股份有限公司/REMI/备件")
    fee = (date(2028, 3, 6), "D", "25.00", "", "手续费")
    first = imports.import_statement(tenant, bank, "0305.sta", mt940([march_5, fee, march_6]), "mt940")
    assert first.counts == {"new": 2, "known": 0, "debits": 1, "matched": 0}
    again = imports.import_statement(tenant, bank, "0305b.sta", mt940([march_5, march_6, fee]), "mt940")
    assert again.counts == {"new": 0, "known": 2, "debits": 1, "matched": 0}
    overlapping = imports.import_statement(tenant, bank, "0306.sta", mt940([march_6, march_7]), "mt940")
    assert overlapping.counts == {"new": 1, "known": 1, "debits": 0, "matched": 0}
    db.session.commit()
    assert count(db, StatementLine) == 3 and count(db, BankStatement) == 3
    assert db.session.scalars(select(StatementLine.amount).order_by(StatementLine.id)).all() == [8000, 1500, 300]

    # Without the bank's reference (an ICBC export has none): the same content is the same line, but two identical
    # transfers on one day in one file are two lines.
    profile = imports.add_preset(tenant, "icbc")
    twice = {"day": date(2028, 3, 8), "credit": "99.00", "name": "成都天府教育科技有限公司", "remark": "电费分摊"}
    rows = [twice, twice, {"day": date(2028, 3, 9), "credit": "10.00", "name": "某公司", "remark": "押金"}]
    xlsx = imports.import_statement(tenant, bank, "0309.xlsx", icbc_xlsx(rows), "table", profile)
    assert xlsx.counts["new"] == 3
    again = imports.import_statement(tenant, bank, "0309-again.xlsx", icbc_xlsx(rows[1:]), "table", profile)
    assert again.counts == {"new": 0, "known": 2, "debits": 0, "matched": 0}
    db.session.commit()
    assert count(db, StatementLine) == 6


def test_s3_2_1_a_statement_of_another_account_or_without_transactions_is_refused(db, world, bank):
    tenant = world.tenant("alpha")
    line = (date(2028, 3, 5), "C", "8000.00", "", "服务费")
    try:
        imports.import_statement(tenant, bank, "x.sta", mt940([line], account="9558800200112233"), "mt940")
        raise AssertionError("imported another account's statement")
    except StatementError as exc:
        assert "9558800200112233" in str(exc)
    db.session.rollback()
    assert count(db, BankStatement) == 0 and count(db, StatementLine) == 0


def test_s3_2_1_without_a_bank_reference_the_time_of_day_tells_identical_transfers_apart(db, world, bank):
    from datetime import time

    tenant = world.tenant("alpha")
    profile = imports.add_preset(tenant, "icbc")
    morning = {
        "day": date(2028, 3, 8),
        "credit": "99.00",
        "name": "成都天府教育科技有限公司",
        "remark": "电费分摊",
        "time": time(10, 15, 0),
    }
    afternoon = {**morning, "time": time(15, 40, 0)}

    # Two files cut at noon, each with one of two identical transfers of the day: two lines, not one.
    def counts(filename, *rows):
        return imports.import_statement(tenant, bank, filename, icbc_xlsx(list(rows)), "table", profile).counts

    assert counts("am.xlsx", morning)["new"] == 1
    assert counts("pm.xlsx", afternoon)["new"] == 1
    assert counts("day.xlsx", morning, afternoon) == {"new": 0, "known": 2, "debits": 0, "matched": 0}
    # A line taken from a file without times (or before times were kept) is known by its time-less fingerprint.
    evening = {**morning, "day": date(2028, 3, 9), "remark": "房租"}
    assert counts("date-only.xlsx", {key: value for key, value in evening.items() if key != "time"})["new"] == 1
    assert counts("timed.xlsx", {**evening, "time": time(19, 0)})["known"] == 1
    db.session.commit()
    assert count(db, StatementLine) == 3


def test_s3_2_1_the_very_same_file_again_is_refused_naming_when_it_was_imported(db, world, bank, clock):
    from datetime import UTC, datetime

    from plugins.payments_bank.services import save_account

    tenant = world.tenant("alpha")
    data = ccb_csv(
        [{"day": date(2028, 3, 5), "credit": "1,500.00", "name": "杭州青禾物流股份有限公司", "serial": "C1"}]
    )
    profile = imports.add_preset(tenant, "ccb")
    clock.set(datetime(2028, 3, 6, 1, 30, tzinfo=UTC))
    imports.import_statement(tenant, bank, "建行0305.csv", data, "table", profile)
    db.session.commit()
    clock.set(datetime(2028, 3, 9, 2, tzinfo=UTC))
    try:
        imports.import_statement(tenant, bank, "copy.csv", data, "table", profile)
        raise AssertionError("imported the same file twice")
    except StatementError as exc:
        when = datetime(2028, 3, 6, 1, 30, tzinfo=UTC).astimezone(ZoneInfo(tenant.timezone))
        assert str(exc) == (
            f"This file was imported already on {when:%Y-%m-%d %H:%M} (as 建行0305.csv): nothing was written."
        )
    db.session.rollback()
    assert count(db, BankStatement) == 1
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "payments_bank.statement_imported")
        )
        == 1
    )
    # The same table export for another account (it names none) is that account's statement.
    other = save_account(
        tenant,
        {
            "bank_name": "中国建设银行",
            "branch": "",
            "account_name": "阿尔法",
            "account_number": "31050161373600001234",
            "currency": "CNY",
            "is_default": False,
        },
    )
    assert imports.import_statement(tenant, other, "建行0305.csv", data, "table", profile).counts["new"] == 1


def test_s3_2_1_a_statement_is_taken_only_for_exactly_the_account_it_names(db, world, bank):
    tenant = world.tenant("alpha")
    line = (date(2028, 3, 5), "C", "8000.00", "R1", "服务费")
    for other in (bank.account_number[1:], bank.account_number + "9", bank.account_number[:-1]):  # ICBKCNBJ/…
        try:
            imports.import_statement(tenant, bank, "x.sta", mt940([line], account=other), "mt940")
            raise AssertionError(f"imported the statement of {other} for {bank.account_number}")
        except StatementError as exc:
            assert other in str(exc)
    spaced = " ".join(bank.account_number[i : i + 4] for i in range(0, len(bank.account_number), 4))
    assert imports.import_statement(tenant, bank, "y.sta", mt940([line], account=spaced), "mt940").counts["new"] == 1
    camt = camt053([{"day": date(2028, 3, 6), "amount": "1.00", "ref": "R2"}], account=bank.account_number)
    assert imports.import_statement(tenant, bank, "z.xml", camt, "camt053").counts["new"] == 1


def upload(client, data, filename, fmt, account_id):
    return client.post_form(
        f"{BASE}/statements/import",
        {"account_id": str(account_id), "format": fmt, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_s3_2_1_billing_staff_import_a_ccb_csv_through_the_preset(db, client, world, bank):
    client.sign_in(world.person("alpha", "vendor_billing").email)
    assert "No profiles yet" in client.get(f"{BASE}/profiles").get_data(as_text=True)
    assert client.post_form(f"{BASE}/profiles/presets", {"preset": "ccb"}).status_code == 302
    profile = db.session.scalar(select(ImportProfile))
    assert (profile.header_row, profile.columns["reference"]) == (3, "交易流水号")
    form = client.get(f"{BASE}/statements/import").get_data(as_text=True)
    assert f'value="profile:{profile.id}"' in form and "MT940" in form and "CAMT.053" in form
    data = ccb_csv(
        [
            {
                "day": date(2028, 3, 5),
                "credit": "1,500.00",
                "name": "杭州青禾物流股份有限公司",
                "remark": "货款",
                "serial": "CCB-0001",
            },
            {"day": date(2028, 3, 5), "debit": "25.00", "summary": "手续费", "serial": "CCB-0002"},
        ]
    )
    response = upload(client, data, "建行明细.csv", f"profile:{profile.id}", bank.id)
    assert response.status_code == 302
    statement = db.session.scalar(select(BankStatement))
    assert (statement.filename, statement.format, statement.lines_new, statement.debits_skipped) == (
        "建行明细.csv",
        "csv",
        1,
        1,
    )
    assert statement.imported_by_id == world.person("alpha", "vendor_billing").id and len(statement.sha256) == 64
    page = client.get(response.location).get_data(as_text=True)
    assert "1 new line(s), 0 matched at once; 0 already known; 1 debit(s) skipped." in page
    assert "杭州青禾物流股份有限公司" in page and "CCB-0001" in page and "Waiting" in page
    listing = client.get(f"{BASE}/statements").get_data(as_text=True)
    assert "建行明细.csv" in listing and "1 line waits for you." in listing
    assert "杭州青禾物流股份有限公司" in client.get(f"{BASE}/unmatched").get_data(as_text=True)
    again = upload(client, data, "再次.csv", f"profile:{profile.id}", bank.id)  # the same file again: refused
    assert again.status_code == 422 and "This file was imported already on" in again.get_data(as_text=True)
    assert count(db, StatementLine) == 1 and count(db, BankStatement) == 1
    response = client.post_form(f"{BASE}/accounts/{bank.id}/delete")  # its statements' lines refer to it
    assert "Statements were imported for this account" in client.get(response.location).get_data(as_text=True)
    assert count(db, BankStatement) == 1 and db.session.get(type(bank), bank.id) is not None


def test_s3_2_1_a_bad_file_is_refused_with_the_line_and_nothing_is_written(db, client, world, bank):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    broken = b":20:X\r\n:25:0200001219200012345\r\n:61:28031X0305C8000,00NTRFNONREF\r\n"
    response = upload(client, broken, "broken.sta", "mt940", bank.id)
    assert response.status_code == 422
    assert "Line 3 cannot be read as MT940" in response.get_data(as_text=True)
    response = upload(client, camt053([{"day": date(2028, 3, 5), "amount": "1.00"}]), "v.xml", "mt940", bank.id)
    assert response.status_code == 422 and "not an MT940 statement" in response.get_data(as_text=True)
    assert count(db, BankStatement) == 0 and count(db, StatementLine) == 0
    assert not db.session.scalar(select(AuditEvent.id).where(AuditEvent.action.startswith("payments_bank.statement")))
    other = world.tenant("beta")
    assert upload(client, broken, "x.sta", "mt940", 10_000 + other.id).status_code == 422  # not a choice of alpha


def test_s3_2_1_import_profiles_are_edited_and_checked(db, client, world, bank):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    data = {
        "name": "农业银行 ABC",
        "header_row": "2",
        "date_format": "%Y%m%d",
        "date": "交易日期",
        "credit": "",
        "amount": "",
        "remark": "附言",
    }
    response = client.post_form(f"{BASE}/profiles/new", data)
    assert response.status_code == 422
    assert "Name the credit amount column, or a signed amount column." in response.get_data(as_text=True)
    response = client.post_form(f"{BASE}/profiles/new", {**data, "date_format": "%H:%M"})
    assert "Use a date format with %Y, %m and %d." in response.get_data(as_text=True)
    assert client.post_form(f"{BASE}/profiles/new", {**data, "amount": "交易金额"}).status_code == 302
    profile = db.session.scalar(select(ImportProfile))
    assert profile.columns["amount"] == "交易金额" and profile.header_row == 2
    page = client.get(f"{BASE}/profiles/{profile.id}").get_data(as_text=True)
    assert 'value="交易金额"' in page and 'value="附言"' in page
    client.post_form(f"{BASE}/profiles/{profile.id}", {**data, "amount": "金额", "name": "ABC"})
    db.session.expire_all()
    assert (profile.name, profile.columns["amount"]) == ("ABC", "金额")
    assert client.post_form(f"{BASE}/profiles/{profile.id}/delete").status_code == 302
    assert count(db, ImportProfile) == 0


def test_s3_2_1_statements_list_in_keyset_pages(db, client, world, bank):
    tenant = world.tenant("alpha")
    for n in range(27):
        imports.import_statement(
            tenant, bank, f"s{n:02d}.sta", mt940([(date(2028, 3, 1), "C", f"{n + 1}.00", f"REF{n}", "x")]), "mt940"
        )
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_billing").email)
    page = client.get(f"{BASE}/statements").get_data(as_text=True)
    assert "s26.sta" in page and "s02.sta" in page and "s01.sta" not in page
    last = db.session.scalar(select(BankStatement.id).where(BankStatement.filename == "s02.sta"))
    more = client.get(f"{BASE}/statements?after={last}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "s01.sta" in more and "s00.sta" in more and "<html" not in more
    assert (
        db.session.scalar(
            select(func.count()).select_from(StatementLine).where(StatementLine.status == LineStatus.UNMATCHED)
        )
        == 27
    )
