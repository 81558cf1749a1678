"""§3.2.1 reading bank statements: MT940, CAMT.053 v2 and v8, Chinese banks' CSV (GB18030, CRLF) and XLSX exports.

Parsing is pure: bytes in, normalised lines out, or a StatementError naming the line or row.
"""

from datetime import date
from decimal import Decimal

import pytest

from plugins.payments_bank.statements import PRESETS, Profile, StatementError, parse
from tests.plugins.payments_bank.samples import ACCOUNT, CAMT_V2, CAMT_V8, camt053, ccb_csv, icbc_xlsx, mt940


def test_s3_2_1_mt940_lines_with_their_86_details():
    data = mt940(
        [
            (
                date(2028, 3, 5),
                "C",
                "8000.00",
                "20280305000123",
                "/NAME/上海明远制造有限公司/ACCT/31001500000050012345/REMI/RF18 2028 0000 01 一月服务费",
            ),
            (date(2028, 3, 5), "D", "120.50", "", "手续费"),
            (date(2028, 3, 6), "C", "1500.00", "", "货款 INV-2028-000002"),
        ]
    )
    statement = parse(data, "mt940")
    assert statement.account == f"ICBKCNBJ/{ACCOUNT}" and statement.format == "mt940"
    first, fee, third = statement.lines
    assert (first.booked_on, first.amount, first.currency) == (date(2028, 3, 5), Decimal("8000.00"), "CNY")
    assert (first.counterparty_name, first.counterparty_account) == ("上海明远制造有限公司", "31001500000050012345")
    assert (first.remark, first.reference) == ("RF18 2028 0000 01 一月服务费", "20280305000123")
    assert fee.amount == Decimal("-120.50")
    assert (third.remark, third.counterparty_name, third.reference) == ("货款 INV-2028-000002", "", "")
    assert [line.position for line in statement.lines] == [5, 7, 9]  # the :61: line in the file


@pytest.mark.parametrize("version", [CAMT_V2, CAMT_V8])
def test_s3_2_1_camt053_versions_2_and_8(version):
    data = camt053(
        [
            {
                "day": date(2028, 3, 5),
                "amount": "8000.00",
                "name": "上海明远制造有限公司",
                "remark": "RF18 2028 0000 01",
                "ref": "CAMT-0001",
            },
            {
                "day": date(2028, 3, 6),
                "amount": "35.00",
                "credit": False,
                "name": "",
                "remark": "账户管理费",
                "ref": "CAMT-0002",
            },
        ],
        version=version,
    )
    statement = parse(data, "camt053")
    assert (statement.account, statement.currency) == (ACCOUNT, "CNY")
    payer, fee = statement.lines
    assert (payer.booked_on, payer.amount, payer.counterparty_name) == (
        date(2028, 3, 5),
        Decimal("8000.00"),
        "上海明远制造有限公司",
    )
    assert (payer.remark, payer.reference, payer.counterparty_account) == (
        "RF18 2028 0000 01",
        "CAMT-0001",
        "6222020200112233445",
    )
    assert fee.amount == Decimal("-35.00")


def test_s3_2_1_ccb_csv_in_gb18030_with_crlf_through_the_preset():
    data = ccb_csv(
        [
            {
                "day": date(2028, 3, 5),
                "credit": "8,000.00",
                "name": "上海明远制造有限公司",
                "remark": "RF18 2028 0000 01",
                "serial": "CCB202803050001",
            },
            {"day": date(2028, 3, 5), "debit": "25.00", "summary": "手续费", "serial": "CCB202803050002"},
        ]
    )
    assert b"\r\n" in data and "对方户名".encode("gb18030") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    statement = parse(data, "table", PRESETS["ccb"][1], "明细.csv")
    payer, fee = statement.lines  # the title rows and the 合计 row are not lines
    assert (payer.booked_on, payer.amount, payer.currency) == (date(2028, 3, 5), Decimal("8000.00"), "CNY")
    assert (payer.counterparty_name, payer.reference, payer.position) == ("上海明远制造有限公司", "CCB202803050001", 4)
    assert payer.remark == "转账 RF18 2028 0000 01"  # 摘要+备注
    assert fee.amount == Decimal("-25.00")


def test_s3_2_1_utf8_csv_with_bom_and_columns_by_number():
    text = '\ufeff日期,收入,支出,付款人,附言\r\n2028/03/05,"1,234.50",,杭州青禾物流股份有限公司,服务费\r\n'
    profile = Profile(
        columns={"date": "1", "credit": "2", "debit": "3", "counterparty_name": "4", "remark": "5"},
        date_format="%Y/%m/%d",
    )
    [line] = parse(text.encode("utf-8"), "table", profile).lines
    assert (line.booked_on, line.amount, line.counterparty_name, line.remark, line.currency) == (
        date(2028, 3, 5),
        Decimal("1234.50"),
        "杭州青禾物流股份有限公司",
        "服务费",
        "",
    )


def test_s3_2_1_icbc_xlsx_with_date_and_number_cells():
    data = icbc_xlsx(
        [
            {
                "day": date(2028, 3, 5),
                "credit": "8000.10",
                "name": "上海明远制造有限公司",
                "remark": "RF18 2028 0000 01",
            },
            {"day": date(2028, 3, 7), "debit": "12.00", "summary": "手续费"},
        ]
    )
    payer, fee = parse(data, "table", PRESETS["icbc"][1], "detail.xlsx").lines
    assert (payer.booked_on, payer.amount, payer.counterparty_name) == (
        date(2028, 3, 5),
        Decimal("8000.10"),
        "上海明远制造有限公司",
    )
    assert (payer.remark, payer.counterparty_account, payer.currency) == (
        "网银转账 RF18 2028 0000 01",
        "31001500000050012345",
        "CNY",
    )
    assert fee.amount == Decimal("-12.00")


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "mt940", "empty"),
        (b"hello", "mt940", "not an MT940"),
        (b":20:X\r\n:25:123456\r\n:60F:C280301CNY1,00\r\n:61:28031X0305C8000,00NTRFNONREF\r\n", "mt940", "Line 4"),
        (b"<Document><unclosed></Document>", "camt053", "Line 1"),
        (b'<?xml version="1.0"?><Document xmlns="urn:other"/>', "camt053", "not a CAMT.053"),
        (camt053([{"day": date(2028, 3, 5), "amount": "abc"}]), "camt053", "not a number"),
    ],
)
def test_s3_2_1_unreadable_files_are_refused_naming_the_line(data, fmt, message):
    with pytest.raises(StatementError, match=message):
        parse(data, fmt)


def test_s3_2_1_bad_rows_of_a_table_are_named():
    profile = PRESETS["ccb"][1]
    bad_amount = ccb_csv([{"day": date(2028, 3, 5), "credit": "八千", "serial": "1"}])
    with pytest.raises(StatementError, match="Row 4: 八千 is not an amount"):
        parse(bad_amount, "table", profile)
    bad_date = ccb_csv([{"day": date(2028, 3, 5), "credit": "1.00", "serial": "1"}]).replace(b"20280305", b"2028-3-5")
    with pytest.raises(StatementError, match="Row 4: .* is not a date"):
        parse(bad_date, "table", profile)
    with pytest.raises(StatementError, match="Row 3 has no column 交易流水号"):
        parse(bad_date.replace("交易流水号".encode("gb18030"), b"serial"), "table", profile)
    with pytest.raises(StatementError, match="not an XLSX"):
        parse(b"PK\x03\x04broken", "table", profile, "x.xlsx")
    with pytest.raises(StatementError, match="neither UTF-8 nor GB18030"):
        parse(b"\xff\xfe\x00\x81\x30", "table", profile)


@pytest.mark.parametrize("version", [CAMT_V2, CAMT_V8])
def test_s3_2_1_camt053_a_reversal_keeps_its_direction_and_is_marked(version):
    data = camt053(
        [
            {"day": date(2028, 3, 5), "amount": "8000.00", "remark": "RF18 2028 0000 01", "ref": "CAMT-0001"},
            # The bank takes the credit back (a DBIT reversal) and returns a fee it had charged (a CRDT reversal).
            {
                "day": date(2028, 3, 6),
                "amount": "8000.00",
                "credit": False,
                "reversal": True,
                "remark": "RF18 2028 0000 01",
                "ref": "CAMT-0002",
            },
            {
                "day": date(2028, 3, 6),
                "amount": "35.00",
                "reversal": True,
                "remark": "账户管理费冲正",
                "ref": "CAMT-0003",
            },
        ],
        version=version,
    )
    payer, taken_back, fee_returned = parse(data, "camt053").lines
    assert (payer.amount, payer.reversal, payer.is_client_credit) == (Decimal("8000.00"), False, True)
    assert (taken_back.amount, taken_back.reversal, taken_back.is_client_credit) == (Decimal("-8000.00"), True, False)
    assert (fee_returned.amount, fee_returned.reversal, fee_returned.is_client_credit) == (
        Decimal("35.00"),
        True,
        False,
    )


@pytest.mark.parametrize("version", [CAMT_V2, CAMT_V8])
def test_s3_2_1_camt053_entries_not_booked_are_not_lines(version):
    data = camt053(
        [
            {"day": date(2028, 3, 5), "amount": "8000.00", "remark": "RF18 2028 0000 01", "ref": "CAMT-0001"},
            {"day": date(2028, 3, 6), "amount": "1500.00", "status": "PDNG", "ref": "CAMT-0002"},
            {"day": date(2028, 3, 6), "amount": "300.00", "status": "INFO", "ref": "CAMT-0003"},
        ],
        version=version,
    )
    assert [line.reference for line in parse(data, "camt053").lines] == ["CAMT-0001"]


def test_s3_2_1_the_time_of_day_is_read_where_the_file_gives_one():
    from datetime import time

    xlsx = icbc_xlsx(
        [
            {"day": date(2028, 3, 5), "credit": "99.00", "time": time(10, 15, 7)},
            {"day": date(2028, 3, 5), "credit": "99.00"},
        ]
    )  # a date-only cell reads as midnight
    assert [line.time for line in parse(xlsx, "table", PRESETS["icbc"][1], "d.xlsx").lines] == ["10:15:07", ""]
    text = "交易时间,贷方发生额\r\n2028-03-05 09:30:00,1.00\r\n2028-03-05,2.00\r\n"
    lines = parse(text.encode(), "table", Profile(columns={"date": "交易时间", "credit": "贷方发生额"})).lines
    assert [(line.booked_on, line.time) for line in lines] == [(date(2028, 3, 5), "09:30:00"), (date(2028, 3, 5), "")]
    camt = camt053([{"day": date(2028, 3, 5), "amount": "1.00"}]).replace(
        b"<BookgDt><Dt>2028-03-05</Dt>", b"<BookgDt><DtTm>2028-03-05T14:02:11+08:00</DtTm>"
    )
    [line] = parse(camt, "camt053").lines
    assert (line.booked_on, line.time) == (date(2028, 3, 5), "14:02:11")


def test_s3_2_1_an_amount_with_more_than_two_decimals_is_refused_not_rounded():
    rate = "交易日期,贷方发生额,附言\r\n2028-03-05,6.8312,汇率\r\n"
    profile = Profile(columns={"date": "交易日期", "credit": "贷方发生额", "remark": "附言"})
    with pytest.raises(StatementError, match="Row 2: 6.8312 has more than two decimals"):
        parse(rate.encode(), "table", profile)
    xlsx = icbc_xlsx([{"day": date(2028, 3, 5), "credit": "8000.125"}])
    with pytest.raises(StatementError, match="Row 2: 8000.125 has more than two decimals"):
        parse(xlsx, "table", PRESETS["icbc"][1], "d.xlsx")
    for bad in ("NaN", "Infinity"):
        with pytest.raises(StatementError, match=f"Row 2: {bad} is not an amount"):
            parse(rate.replace("6.8312", bad).encode(), "table", profile)
    [line] = parse(rate.replace("6.8312", '"1,234.50"').encode(), "table", profile).lines
    assert line.amount == Decimal("1234.50")


@pytest.mark.parametrize(
    ("printed", "number", "currency", "same"),
    [
        ("ICBKCNBJ/0200001219200012345", "0200 0012 1920 0012 345", "CNY", True),  # a BIC before the account
        ("UBRTHUHB/123456789150ABCDEF002/HUF", "123456789150ABCDEF002", "HUF", True),  # BIC/account/currency
        ("UBRTHUHB/123456789150ABCDEF002/HUF", "123456789150ABCDEF002", "EUR", False),  # that number's HUF account
        ("1291.99.348EUR", "1291.99.348", "EUR", True),  # Rabobank: dots, the currency glued on
        ("1291.99.348EUR", "129199348", "EUR", True),
        ("1291.99.348EUR", "1291.99.34", "EUR", False),
        (
            "PL29114010810000267002001002",
            "11401081 0000 2670 0200 1002",
            "PLN",
            True,
        ),  # an IBAN and its domestic number
        ("PL29114010810000267002001002", "PL29 1140 1081 0000 2670 0200 1002", "PLN", True),
        ("PL29114010810000267002001003", "114010810000267002001003", "PLN", False),  # no IBAN: its check digits fail
        ("NL69INGB0123456789EUR", "NL69INGB0123456789", "EUR", True),
        ("SC18SSCB11010000000000001497USD", "SC18SSCB11010000000000001497USD", "USD", True),  # the IBAN ends in USD
        ("10020030/1234567890", "1234567890", "EUR", True),  # a bank code before the account
        ("0200001219200012345", "020000121920001234", "CNY", False),
    ],
)
def test_s3_2_1_account_numbers_are_compared_in_normal_form(printed, number, currency, same):
    from plugins.payments_bank.account_numbers import same_account

    assert same_account(printed, number, currency) is same


@pytest.mark.parametrize(
    ("reference", "placeholder"),
    [
        ("NONREF", True),
        ("nonref", True),
        ("NOTPROVIDED", True),
        ("NONREF/2", True),
        ("0", True),
        ("000000", True),
        ("-", True),
        ("", True),
        ("MB170119012058", False),
        ("20280305000123", False),
        ("R1/2", False),
        ("1", False),
    ],
)
def test_s3_2_1_placeholder_references_are_no_references(reference, placeholder):
    from plugins.payments_bank.statements import is_placeholder

    assert is_placeholder(reference) is placeholder
