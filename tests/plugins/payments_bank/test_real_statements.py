"""§3.2.1 statements in the shapes real banks send, imported through the screens as billing staff would.

Placeholder and shared references, files of several accounts, reversals, accounts printed with a BIC, dots or a
currency, lines in another currency, and amounts no account holds (bank_files.py has the shapes).
"""

import html
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from plugins.payments_bank.models import BankAccount, BankStatement, StatementLine
from tests.plugins.payments_bank import bank_files
from tests.plugins.payments_bank.samples import ACCOUNT, camt053, ccb_csv

BASE = "/t/alpha/p/payments_bank"


@pytest.fixture
def staff(client, world, bank):
    """alpha's billing staff, signed in; alpha has its CNY account (the `bank` fixture) and enabled the plugin."""
    client.sign_in(world.person("alpha", "vendor_billing").email)
    return client


def add_account(client, db, number: str, currency: str) -> BankAccount:
    """Add an account through the account form, as a person types it."""
    response = client.post_form(
        f"{BASE}/accounts/new",
        {"bank_name": "Bank", "branch": "", "account_name": "Alpha", "account_number": number, "currency": currency},
    )
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))
    return db.session.scalar(select(BankAccount).order_by(BankAccount.id.desc()).limit(1))


def account_of(world, db, number: str, currency: str) -> BankAccount:
    """Another account of alpha's, kept as the account form would keep it."""
    from plugins.payments_bank.services import save_account

    account = save_account(
        world.tenant("alpha"),
        {
            "bank_name": "Bank",
            "branch": "",
            "account_name": "Alpha",
            "account_number": number,
            "currency": currency,
            "is_default": False,
        },
    )
    db.session.commit()
    return account


def upload(client, data: bytes, filename: str, fmt: str, account_id: int):
    return client.post_form(
        f"{BASE}/statements/import",
        {"account_id": str(account_id), "format": fmt, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def imported(client, data: bytes, filename: str, fmt: str, account_id: int) -> str:
    """Import a file that must be taken; the statement page shown after it (its flashes included), unescaped."""
    response = upload(client, data, filename, fmt, account_id)
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))
    return html.unescape(client.get(response.location).get_data(as_text=True))


def refused(client, data: bytes, filename: str, fmt: str, account_id: int) -> str:
    response = upload(client, data, filename, fmt, account_id)
    assert response.status_code == 422
    return html.unescape(response.get_data(as_text=True))


def amounts(db, account_id: int | None = None) -> list:
    db.session.expire_all()
    stmt = select(StatementLine.amount).order_by(StatementLine.id)
    if account_id is not None:
        stmt = stmt.where(StatementLine.account_id == account_id)
    return [str(a) for a in db.session.scalars(stmt)]


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_s3_2_1_nonref_placeholder_references_never_make_a_line_known(db, world, staff):
    account = account_of(world, db, bank_files.POSTFINANCE_ACCOUNT, "CHF")
    page = imported(staff, bank_files.postfinance(), "postfinance.sta", "mt940", account.id)
    assert "3 new line(s), 0 matched at once; 0 already known; 1 debit(s) skipped." in page
    assert amounts(db) == ["79.70", "149.50", "10.10"]
    # Another day's NONREF credit of that account is another line; the days already taken are not taken again.
    later = bank_files.postfinance(second_day="131219", extra=" 2")
    assert "1 new line(s), 0 matched at once; 2 already known" in imported(
        staff, later, "later.sta", "mt940", account.id
    )
    assert amounts(db) == ["79.70", "149.50", "10.10", "10.10"]


def test_s3_2_1_lines_stored_under_a_placeholder_reference_before_are_still_known_by_content(db, world, staff):
    """Imports before this rule stored the first NONREF credit as ref:<account>:NONREF: re-importing that file
    takes the two credits it lost, and not the one it has."""
    from plugins.payments_bank.models import LineStatus

    account = account_of(world, db, bank_files.POSTFINANCE_ACCOUNT, "CHF")
    tenant = world.tenant("alpha")
    old = BankStatement(
        tenant_id=tenant.id,
        account_id=account.id,
        filename="old.sta",
        format="mt940",
        sha256="0" * 64,
        lines_new=1,
        lines_known=2,
    )
    db.session.add(old)
    db.session.flush()
    first = (
        "GIRO AUS ONLINE-SIC 80532 AUFTRAGGEBER: ANNA MUSTER BEISPIELWEG  10 8000 ZUERICH 131209CH98765432 "
        "MITTEILUNGEN: RECHNUNG 2013-0412"
    )
    db.session.add(
        StatementLine(
            tenant_id=tenant.id,
            statement_id=old.id,
            account_id=account.id,
            fingerprint=f"ref:{account.id}:NONREF",
            position=6,
            booked_on=date(2013, 12, 9),
            amount="79.70",
            currency="CHF",
            remark=first,
            bank_reference="NONREF",
            status=LineStatus.UNMATCHED,
        )
    )
    db.session.commit()
    page = imported(staff, bank_files.postfinance(), "postfinance.sta", "mt940", account.id)
    assert "2 new line(s), 0 matched at once; 1 already known; 1 debit(s) skipped." in page
    assert amounts(db) == ["79.70", "149.50", "10.10"]


def test_s3_2_1_a_reference_two_lines_of_a_camt_batch_share_names_neither(db, world, staff):
    account = account_of(world, db, "CH93 0076 2011 6238 5295 7", "CHF")
    page = imported(staff, bank_files.camt_batch(), "camt053.xml", "camt053", account.id)
    assert "2 new line(s), 0 matched at once; 0 already known; 0 debit(s) skipped." in page
    assert amounts(db) == ["2187.00", "1296.00"]
    # The same statement sent again (another message id, so another file): nothing twice.
    again = imported(staff, bank_files.camt_batch("20170324000000000000001"), "again.xml", "camt053", account.id)
    assert "0 new line(s), 0 matched at once; 2 already known" in again
    assert count(db, StatementLine) == 2


def test_s3_2_1_a_reference_the_bank_gives_again_to_another_line_does_not_hide_it(db, staff, bank):
    """A profile reading a column that restarts in every export (序号 1, 2…) as the reference: the line under "1"
    in the second export is another day's, another amount, so another line."""
    from plugins.payments_bank.models import ImportProfile

    assert staff.post_form(f"{BASE}/profiles/presets", {"preset": "ccb"}).status_code == 302
    profile = db.session.scalar(select(ImportProfile))
    march_5 = ccb_csv([{"day": date(2028, 3, 5), "credit": "1,500.00", "name": "杭州青禾物流", "serial": "1"}])
    march_6 = ccb_csv([{"day": date(2028, 3, 6), "credit": "300.00", "name": "成都天府教育", "serial": "1"}])
    imported(staff, march_5, "0305.csv", f"profile:{profile.id}", bank.id)
    page = imported(staff, march_6, "0306.csv", f"profile:{profile.id}", bank.id)
    assert "1 new line(s), 0 matched at once; 0 already known" in page
    assert amounts(db) == ["1500.00", "300.00"]


def test_s3_2_1_an_mt940_file_of_several_accounts_books_only_the_chosen_accounts_lines(db, world, staff):
    account = account_of(world, db, bank_files.RABOBANK_ACCOUNT, "EUR")
    page = imported(staff, bank_files.rabobank(), "rabo.sta", "mt940", account.id)
    assert "1 new line(s), 0 matched at once; 0 already known; 1 debit(s) skipped." in page
    assert "2 line(s) of other accounts in the file were not taken: 1526.89.184EUR." in page
    assert amounts(db) == ["750.00"]
    statement = db.session.scalar(select(BankStatement))
    assert (statement.lines_other_accounts, statement.debits_skipped) == (2, 1)
    # Imported for the other account too, the same file gives that account its own two lines.
    other = account_of(world, db, "1526 89 184", "EUR")
    imported(staff, bank_files.rabobank(), "rabo.sta", "mt940", other.id)
    assert amounts(db, other.id) == ["88.10", "6.20"] and amounts(db, account.id) == ["750.00"]


def test_s3_2_1_a_file_of_only_other_accounts_is_refused_naming_each_of_them(db, staff, bank):
    page = refused(staff, bank_files.rabobank(), "rabo.sta", "mt940", bank.id)
    assert (
        f"This file holds the statements of the accounts 1291.99.348EUR and 1526.89.184EUR; none of them is "
        f"{ACCOUNT} (CNY)."
    ) in page
    staff.post_form("/language", {"lang": "zh_Hans_CN"})
    page = refused(staff, bank_files.rabobank(), "rabo.sta", "mt940", bank.id)
    assert "1291.99.348EUR和1526.89.184EUR" in page and "This file holds" not in page
    assert count(db, BankStatement) == 0 and count(db, StatementLine) == 0


def test_s3_2_1_a_camt_file_of_several_statements_books_only_the_chosen_accounts_entries(db, world, staff):
    ours, theirs = "PL61109010140000071219812874", bank_files.MBANK_IBAN
    data = bank_files.camt_statements(
        (theirs, "PLN", [("100.00", "PLN", "A-1"), ("200.00", "PLN", "A-2")]),
        (ours, "PLN", [("300.00", "PLN", "B-1")]),
        (ours, "EUR", [("400.00", "EUR", "C-1")]),
    )
    account = account_of(world, db, ours, "PLN")
    page = imported(staff, data, "camt.xml", "camt053", account.id)
    assert "1 new line(s)" in page
    assert f"3 line(s) of other accounts in the file were not taken: {theirs} (PLN) and {ours} (EUR)." in page
    assert amounts(db) == ["300.00"]


def test_s3_2_1_mt940_reversals_are_never_taken_as_client_payments(db, staff, bank):
    page = imported(staff, bank_files.reversals(ACCOUNT), "reversals.sta", "mt940", bank.id)
    # The credit is taken; the bank taking it back (RC, money out) and undoing a fee (RD, money in) are not payments.
    assert "1 new line(s), 0 matched at once; 0 already known; 2 debit(s) skipped." in page
    assert amounts(db) == ["204.88"]


def test_s3_2_1_an_account_printed_with_bic_and_currency_is_the_account(db, staff):
    form = staff.get(f"{BASE}/accounts/new").get_data(as_text=True)
    for code in ("HUF", "CHF", "PLN", "RUB", "CNY"):
        assert f'value="{code}"' in form
    assert 'value="BHD"' not in form  # three decimals: a line's amount holds two
    account = add_account(staff, db, bank_files.RAIFFEISEN_ACCOUNT, "HUF")
    page = imported(staff, bank_files.raiffeisen(), "raiffeisen.sta", "mt940", account.id)
    assert "1 new line(s), 0 matched at once; 0 already known; 1 debit(s) skipped." in page
    assert amounts(db) == ["2066637.00"]
    # The same number in euros is another account of that customer: not this one.
    page = refused(staff, bank_files.raiffeisen("EUR"), "eur.sta", "mt940", account.id)
    assert f"This statement is for account UBRTHUHB/{bank_files.RAIFFEISEN_ACCOUNT}/EUR, not" in page


def test_s3_2_1_an_account_number_with_dots_is_kept_as_printed_and_matches_its_statement(db, staff):
    account = add_account(staff, db, "1291.99.348", "EUR")
    assert account.account_number == "1291.99.348"  # as the bank prints it
    page = imported(staff, bank_files.rabobank(), "rabo.sta", "mt940", account.id)
    assert "1 new line(s)" in page and amounts(db) == ["750.00"]


def test_s3_2_1_an_account_entered_as_its_domestic_number_matches_its_iban(db, staff):
    account = add_account(staff, db, "11401081 0000 2670 0200 1002", "PLN")
    page = imported(staff, bank_files.mbank(), "mbank.sta", "mt940", account.id)
    assert "1 new line(s)" in page and amounts(db) == ["1250.00"]


def test_s3_2_1_lines_in_another_currency_than_the_accounts_are_flagged(db, staff, bank):
    data = camt053(
        [
            {"day": date(2028, 3, 5), "amount": "8000.00", "ref": "CAMT-1"},
            {"day": date(2028, 3, 5), "amount": "1200.00", "ref": "CAMT-2"},
        ]
    )
    data = data.replace(b'<Amt Ccy="CNY">1200.00', b'<Amt Ccy="USD">1200.00')
    page = imported(staff, data, "usd.xml", "camt053", bank.id)
    assert "2 new line(s)" in page
    assert "1 new line(s) are not in CNY, the account's currency: check them before matching them." in page
    assert "1 new line(s) not in CNY, the account's currency" in page  # kept on the statement's page
    db.session.expire_all()
    assert db.session.scalar(select(StatementLine.currency).where(StatementLine.amount == 1200)) == "USD"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("NaN", "the entry's amount (Amt) is not a number"),
        ("Infinity", "the entry's amount (Amt) is not a number"),
        ("1E+30", "the entry's amount (Amt) is not a number"),
        ("1E+999999", "the entry's amount (Amt) is not a number"),
        ("100.005", "100.005 has more than two decimals: an amount is never rounded on import."),
        ("10000000000000000.00", "10000000000000000.00 is larger than any amount a bank books."),
    ],
)
def test_s3_2_1_a_camt_amount_no_account_holds_is_refused_with_its_line(db, staff, bank, amount, message):
    data = camt053([{"day": date(2028, 3, 5), "amount": amount, "ref": "CAMT-1"}])
    page = refused(staff, data, "bad.xml", "camt053", bank.id)
    assert f"Line 9: {message}" in page
    assert count(db, BankStatement) == 0 and count(db, StatementLine) == 0


def test_s3_2_1_an_mt940_amount_longer_than_the_format_holds_is_refused_not_cut(db, staff, bank):
    page = refused(staff, bank_files.mt940_amount(ACCOUNT, "99999999999999999999,99"), "big.sta", "mt940", bank.id)
    assert "Line 5: 99999999999999999999,99 is larger than any amount a bank books." in page
    page = refused(staff, bank_files.mt940_amount(ACCOUNT, "100,005"), "rounded.sta", "mt940", bank.id)
    assert "Line 5: 100,005 has more than two decimals" in page
    assert count(db, StatementLine) == 0
    imported(staff, bank_files.mt940_amount(ACCOUNT, "99999999999999,"), "largest.sta", "mt940", bank.id)
    assert amounts(db) == ["99999999999999.00"]


def test_s3_2_1_a_table_amount_in_exponent_form_is_refused_not_a_500(db, staff, bank):
    from plugins.payments_bank.models import ImportProfile

    staff.post_form(f"{BASE}/profiles/presets", {"preset": "ccb"})
    profile = db.session.scalar(select(ImportProfile))
    for written, message in (
        ("1E+20", "Row 4: 1E+20 is not an amount."),
        ("10000000000000000.00", "Row 4: 10000000000000000.00 is larger than any amount"),
    ):
        data = ccb_csv([{"day": date(2028, 3, 5), "credit": written, "serial": "C1"}])
        assert message in refused(staff, data, "big.csv", f"profile:{profile.id}", bank.id)
    assert count(db, StatementLine) == 0
