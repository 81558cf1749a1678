"""Reading bank statements (§3.2.1): MT940, CAMT.053 and the CSV/XLSX exports of Chinese banks.

Pure code: bytes in, normalised lines out (Decimal amounts, dates); no database. A file that cannot be read
raises StatementError with a translated message naming the line or row, so nothing of it is written.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plugins.payments_bank import account_numbers
from saas.core.errors import ServiceError
from saas.core.parsing import InvalidAmount, parse_amount

FORMATS = {"mt940": "MT940", "camt053": "CAMT.053"}
#: The columns an import profile maps, with their labels (a profile names a column by header or number).
COLUMNS = {
    "date": _l("Date"),
    "credit": _l("Credit amount"),
    "debit": _l("Debit amount"),
    "amount": _l("Signed amount"),
    "counterparty_name": _l("Counterparty name"),
    "counterparty_account": _l("Counterparty account"),
    "remark": _l("Remark / purpose"),
    "reference": _l("Bank transaction reference"),
    "currency": _l("Currency"),
}
#: Currencies as Chinese banks write them.
CURRENCY_NAMES = {
    "人民币": "CNY",
    "人民币元": "CNY",
    "RMB": "CNY",
    "美元": "USD",
    "港币": "HKD",
    "港元": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
}
CAMT_NAMESPACES = tuple(f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v:02d}" for v in range(2, 9))
MAX_BYTES = 10 * 1024 * 1024


class StatementError(ServiceError):
    """The file is not a statement this importer can read; the message says where."""


@dataclass(frozen=True)
class Line:
    """One booked transaction; `amount` is positive for money in (a credit), negative for money out."""

    booked_on: date
    amount: Decimal
    currency: str
    counterparty_name: str = ""
    counterparty_account: str = ""
    remark: str = ""
    #: The bank's own reference for the transaction, when the file gives one (it identifies the line).
    reference: str = ""
    #: Where it was in the file (line or row number), for people checking it against the bank's.
    position: int = 0
    #: The bank undoing an earlier entry (CAMT RvslInd): never a client's payment, whatever its direction.
    reversal: bool = False
    #: The time of day it was booked ("10:22:33") when the file gives one (ICBC 交易时间, CAMT BookgDt/DtTm), else "".
    time: str = ""
    #: The account the file says the line is on (MT940 :25:, CAMT Stmt/Acct), as printed; "" for a table export.
    account: str = ""
    #: The currency the file gives that account (CAMT Acct/Ccy), "" when it gives none.
    account_currency: str = ""

    @property
    def is_client_credit(self) -> bool:
        """Money in that may be a client's payment: a credit that is not a reversal."""
        return self.amount > 0 and not self.reversal


@dataclass
class Statement:
    """What a file held: its lines and, when the file says so, the account and currency it is for.

    A file may hold the statements of several accounts (MT940 :25: blocks, CAMT Stmt elements): `accounts` lists
    each (account as printed, its currency if the file gives one) in file order, and each line says its account.
    """

    format: str
    lines: list[Line] = field(default_factory=list)
    account: str = ""
    currency: str = ""
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def add_account(self, account: str, currency: str = "") -> None:
        if (account, currency) not in self.accounts:
            self.accounts.append((account, currency))
        self.account = self.account or account
        self.currency = self.currency or currency


@dataclass(frozen=True)
class Profile:
    """How to read one bank's table export: where the header is, the date format, and the column of each field.

    `columns` maps a field of COLUMNS to a header name ("交易日期") or a 1-based column number ("3"); text
    fields may join several columns with "+" ("摘要+用途").
    """

    columns: dict
    header_row: int = 1
    date_format: str = "%Y-%m-%d"


#: Ready-made profiles for exports of real Chinese banks; a tenant copies one and adjusts it.
PRESETS = {
    "icbc": (
        "中国工商银行 ICBC 账户明细 (CSV/XLSX)",
        Profile(
            header_row=1,
            date_format="%Y-%m-%d",
            columns={
                "date": "交易时间",
                "credit": "贷方发生额",
                "debit": "借方发生额",
                "counterparty_name": "对方单位名称",
                "counterparty_account": "对方账号",
                "remark": "摘要+用途",
                "reference": "",
                "currency": "币种",
            },
        ),
    ),
    "ccb": (
        "中国建设银行 CCB 交易明细 (CSV/XLSX)",
        Profile(
            header_row=3,
            date_format="%Y%m%d",
            columns={
                "date": "交易日期",
                "credit": "贷方发生额（收入）",
                "debit": "借方发生额（支取）",
                "counterparty_name": "对方户名",
                "counterparty_account": "对方账号",
                "remark": "摘要+备注",
                "reference": "交易流水号",
                "currency": "币种",
            },
        ),
    ),
}


def parse(data: bytes, fmt: str, profile: Profile | None = None, filename: str = "") -> Statement:
    """Read a statement file in one of FORMATS, or a table export (CSV or XLSX) through a profile."""
    if not data:
        raise StatementError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise StatementError(_("The file is larger than 10 MB."))
    if fmt == "mt940":
        return parse_mt940(data)
    if fmt == "camt053":
        return parse_camt053(data)
    if profile is None:
        raise StatementError(_("Choose the statement's format."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return parse_table(xlsx_rows(data), profile, "xlsx")
    return parse_table(csv_rows(data), profile, "csv")


# Amounts and references


def file_amount(text: str, line: int, shown: str, unreadable: str) -> Decimal:
    """An unsigned amount of an MT940 or CAMT file, through the one amount parser: more than two decimals is
    refused (as for a table export), never rounded, and an amount no account holds (1E+30, NaN, 20 digits) is
    refused too; `unreadable` is the message for text that is no number at all."""
    try:
        return parse_amount(text, places=2, negative=False)
    except InvalidAmount as exc:
        if exc.reason == "too_many_decimals":
            message = _(
                "Line %(line)d: %(value)s has more than two decimals: an amount is never rounded on import.",
                line=line,
                value=shown[:40],
            )
        elif exc.reason == "too_large":
            message = _("Line %(line)d: %(value)s is larger than any amount a bank books.", line=line, value=shown[:40])
        else:
            message = unreadable
        raise StatementError(message) from None


#: What banks write where they have no reference for a line (MT940 NONREF, SEPA NOTPROVIDED, …): no identity.
PLACEHOLDER_REFERENCES = frozenset(
    {"NONREF", "NONE", "NOREF", "NOTPROVIDED", "NOTAVAILABLE", "NA", "N/A", "NULL", "UNKNOWN", "无", "空"}
)


def is_placeholder(reference: str) -> bool:
    """Whether a reference is no reference: empty, a placeholder word (also numbered within a batch, NONREF/2), or
    nothing but zeros and punctuation ("0", "-", "000000")."""
    text = "".join((reference or "").split()).upper()
    base = re.sub(r"/\d+$", "", text)
    return not re.sub(r"[\W0_]", "", base) or base in PLACEHOLDER_REFERENCES or text in PLACEHOLDER_REFERENCES


# MT940


def parse_mt940(data: bytes) -> Statement:
    """A SWIFT MT940 statement: each :61: line a transaction, its :86: the details (free text or /NAME/…/REMI/).

    A file may hold several statements, each opened by :20: with its own :25: account (a bank's export of all
    of a customer's accounts): each is read alone, so every line keeps the account it is on.
    """
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    if ":61:" not in text or ":25:" not in text:
        raise StatementError(_("This is not an MT940 statement: it has no :25: account or :61: transactions."))
    statement = Statement("mt940")
    account = ""
    for first, block in _mt940_blocks(text):
        transactions = _mt940_transactions(block, first)
        # A statement without its own :25: continues the account of the one before.
        account = str(transactions.data.get("account_identification") or account).strip()
        statement.add_account(account)
        suffix = account_numbers.parse(account).currency
        for (position, mark, amount), transaction in zip(
            _mt940_checked(block, first, transactions), transactions, strict=True
        ):
            statement.lines.append(_mt940_line(transaction.data, position, mark, amount, account, suffix))
    statement.currency = next((line.currency for line in statement.lines if line.currency), "")
    return statement


def _mt940_blocks(text: str):
    """(number of its first line, text) of each statement of a file: a :20: opens one. A header before the first
    (a SWIFT envelope, {1:…}{4:) is no statement."""
    line = 1
    for chunk in re.split(r"(?m)^(?=:20:)", text):
        if ":25:" in chunk or ":61:" in chunk:
            yield line, chunk
        line += chunk.count("\n")


def _mt940_transactions(block: str, first: int):
    """The mt940 library's reading of one statement, with a reversal of a credit (RC) signed as the money going out
    that it is, and marks in lower case read as marks."""
    import mt940

    transactions = mt940.models.Transactions(options=mt940.Options(reversal_sign=True, case_insensitive_marks=True))
    try:
        transactions.parse(block)
    except Exception as exc:  # noqa: BLE001 (mt940 raises RuntimeError with the text it could not read)
        bad = next((a for a in getattr(exc, "args", ())[2:3] if isinstance(a, str)), "")
        raise StatementError(
            _("Line %(line)d cannot be read as MT940: %(text)s", line=first - 1 + _line_of(block, bad), text=bad[:60])
        ) from exc
    return transactions


#: The start of a :61: line as SWIFT writes it (6!n[4!n]2a[1!a]15d1!a3!c): value date, entry date, the debit/credit
#: mark (C, D, RC reversing a credit, RD reversing a debit), the funds code, the amount and the transaction type.
MT940_STATEMENT_LINE = re.compile(
    r"\d{6}(?:\d{4}|\s{4})?(?P<mark>R?[DC])[A-Z]?[\n ]?(?P<amount>[\d,]+)"
    r"(?P<type>[A-Z][A-Z0-9 ]{3})?",
    re.IGNORECASE,
)


def _mt940_checked(block: str, first: int, transactions) -> list[tuple[int, str, Decimal]]:
    """Each :61: line of a statement as written (its line number, its mark, its amount), checked against what the
    library read: it reads at most 15 characters of an amount, and joins a line without a transaction type to the
    next one, so an amount it cut or a line it lost is refused here rather than booked wrong."""
    rows = block.split("\n")
    written = []
    for index, row in enumerate(rows):
        if not row.startswith(":61:"):
            continue
        following = rows[index + 1] if index + 1 < len(rows) and not rows[index + 1].startswith(":") else ""
        number, value = first + index, row[4:] + "\n" + following
        unreadable = _("Line %(line)d cannot be read as MT940: %(text)s", line=number, text=row[4:64])
        found = MT940_STATEMENT_LINE.match(value)
        if found is None or found["type"] is None:
            raise StatementError(unreadable)
        amount = file_amount(found["amount"].replace(",", "."), number, found["amount"], unreadable)
        written.append((number, found["mark"].upper(), amount, unreadable))
    if len(written) != len(transactions):  # a :61: the library did not keep as a transaction of its own
        raise StatementError(
            written[min(len(transactions), len(written) - 1)][3]
            if written
            else _("Line %(line)d cannot be read as MT940: %(text)s", line=first, text="")
        )
    for (_number, mark, amount, unreadable), transaction in zip(written, transactions, strict=True):
        if transaction.data["amount"].amount != (-amount if mark in ("D", "RC") else amount):
            raise StatementError(unreadable)
    return [(number, mark, amount) for number, mark, amount, _unreadable in written]


def _mt940_line(row: dict, position: int, mark: str, amount: Decimal, account: str, suffix: str) -> Line:
    """A Line from one transaction the library read: D and RC (undoing a credit) take money out; RC and RD (the
    bank undoing an earlier entry) are reversals, never a client's payment."""
    currency = row["amount"].currency
    details = _mt940_details(row.get("transaction_details") or "")
    customer = (row.get("customer_reference") or "").strip()
    return Line(
        booked_on=_plain_date(row.get("entry_date") or row["date"]),
        amount=-amount if mark in ("D", "RC") else amount,
        currency=(currency or suffix or "").upper(),
        counterparty_name=details.get("name", ""),
        counterparty_account=details.get("account", ""),
        remark=details.get("remark") or ("" if is_placeholder(customer) else customer),
        reference=(row.get("bank_reference") or "").strip(),
        position=position,
        reversal=mark.startswith("R"),
        account=account,
    )


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line of `text` where `fragment` starts (0 when not found)."""
    at = text.find(fragment) if fragment else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


#: Structured :86: details: /NAME/…/ACCT/…/REMI/… (SWIFT and many banks); the free text otherwise.
MT940_CODES = {"NAME": "name", "ACCT": "account", "IBAN": "account", "REMI": "remark", "USTD": "remark"}


def _mt940_details(text: str) -> dict:
    """The counterparty and the remark of a :86: field."""
    text = " ".join(text.split("\n")).strip()
    parts = re.split(r"/([A-Z]{2,4})/", "/" + text) if re.match(r"/?[A-Z]{2,4}/", text) else []
    if len(parts) < 3:
        return {"remark": text}
    found: dict = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=False):
        key = MT940_CODES.get(code)
        if key and value.strip():
            found[key] = (found.get(key, "") + " " + value.strip()).strip()
    return found if found else {"remark": text}


def _plain_date(value) -> date:
    return date(value.year, value.month, value.day)


# CAMT.053


def parse_camt053(data: bytes) -> Statement:
    """An ISO 20022 CAMT.053 bank-to-customer statement, versions 001.02 to 001.08."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            _("Line %(line)d is not well-formed XML: %(error)s", line=exc.lineno or 0, error=exc.msg)
        ) from exc
    ns = etree.QName(root).namespace
    if ns not in CAMT_NAMESPACES:
        raise StatementError(_("This is not a CAMT.053 statement (versions 001.02 to 001.08)."))
    n = {"c": ns}
    statement = Statement("camt053")
    stmts = root.findall("c:BkToCstmrStmt/c:Stmt", n)
    if not stmts:
        raise StatementError(_("The CAMT.053 file holds no statement (Stmt)."))
    for stmt in stmts:  # one per account (and per period): each entry is on its statement's account
        account = _text(stmt, "c:Acct/c:Id/c:IBAN", n) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", n)
        currency = _text(stmt, "c:Acct/c:Ccy", n).upper()
        statement.add_account(account, currency)
        for entry in stmt.iterfind("c:Ntry", n):
            statement.lines.extend(
                replace(line, account=account, account_currency=currency) for line in _camt_entry(entry, n)
            )
    return statement


def _camt_entry(entry, n) -> list[Line]:
    """The lines of one Ntry: one per transaction detail (a batch booking has several), else the entry itself.

    Only booked entries (Sts BOOK; Sts/Cd in v8) are lines: pending or information-only ones are not yet money.
    CdtDbtInd is the entry's direction, reversals included (a DBIT reversal takes back an earlier credit).
    """
    where = entry.sourceline or 0
    status = _text(entry, "c:Sts", n) or _text(entry, "c:Sts/c:Cd", n) or _text(entry, "c:Sts/c:Prtry", n)
    if status.upper() != "BOOK":
        return []
    written = _text(entry, "c:Amt", n)
    amount = file_amount(
        written, where, written, _("Line %(line)d: the entry's amount (Amt) is not a number.", line=where)
    )
    currency = entry.find("c:Amt", n).get("Ccy", "").upper()
    sign = Decimal(1) if _text(entry, "c:CdtDbtInd", n) == "CRDT" else Decimal(-1)
    reversal = _text(entry, "c:RvslInd", n).lower() in ("true", "1")
    raw_date = (
        _text(entry, "c:BookgDt/c:Dt", n) or _text(entry, "c:BookgDt/c:DtTm", n)[:10] or _text(entry, "c:ValDt/c:Dt", n)
    )
    time = _time_of(_text(entry, "c:BookgDt/c:DtTm", n)[10:])
    try:
        booked_on = date.fromisoformat(raw_date)
    except ValueError:
        raise StatementError(_("Line %(line)d: the entry has no booking date (BookgDt).", line=where)) from None
    entry_ref = _text(entry, "c:AcctSvcrRef", n)
    details = entry.findall("c:NtryDtls/c:TxDtls", n)
    if len(details) <= 1:
        return [
            _camt_line(
                details[0] if details else None,
                n,
                booked_on,
                sign * amount,
                currency,
                entry_ref,
                where,
                entry,
                reversal,
                time,
            )
        ]
    lines = []
    for index, tx in enumerate(details):
        tx_amount = _text(tx, "c:AmtDtls/c:TxAmt/c:Amt", n) or _text(tx, "c:Amt", n)
        at = tx.sourceline or where
        part = file_amount(
            tx_amount, at, tx_amount, _("Line %(line)d: a transaction's amount is missing or not a number.", line=at)
        )
        lines.append(
            _camt_line(
                tx,
                n,
                booked_on,
                sign * part,
                currency,
                f"{entry_ref}/{index + 1}" if entry_ref else "",
                tx.sourceline or where,
                entry,
                reversal,
                time,
            )
        )
    return lines


def _camt_line(tx, n, booked_on, amount, currency, entry_ref, where, entry, reversal=False, time="") -> Line:
    """A Line from one TxDtls: the payer for a credit, the payee for a debit; the unstructured remittance."""
    party = "Dbtr" if amount > 0 else "Cdtr"
    name = account = remark = reference = ""
    if tx is not None:
        # v2: RltdPties/Dbtr/Nm; v8: RltdPties/Dbtr/Pty/Nm
        name = _text(tx, f"c:RltdPties/c:{party}/c:Nm", n) or _text(tx, f"c:RltdPties/c:{party}/c:Pty/c:Nm", n)
        account = _text(tx, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN", n) or _text(
            tx, f"c:RltdPties/c:{party}Acct/c:Id/c:Othr/c:Id", n
        )
        remark = " ".join(t.strip() for t in tx.xpath("c:RmtInf/c:Ustrd/text()", namespaces=n) if t.strip())
        structured = _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", n)
        remark = " ".join(p for p in (structured, remark) if p)
        reference = _text(tx, "c:Refs/c:AcctSvcrRef", n) or _text(tx, "c:Refs/c:TxId", n)
    remark = remark or _text(entry, "c:AddtlNtryInf", n)
    return Line(booked_on, amount, currency, name, account, remark, reference or entry_ref, where, reversal, time)


def _text(node, path, n) -> str:
    found = node.find(path, n)
    return (found.text or "").strip() if found is not None else ""


# Tables: CSV and XLSX exports


def decode(data: bytes) -> str:
    """Text of a bank file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StatementError(_("Line %(line)d is neither UTF-8 nor GB18030 text.", line=line)) from None


def csv_rows(data: bytes) -> list[list]:
    """The rows of a CSV export (comma or tab separated, CRLF or LF line ends)."""
    text = decode(data)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def xlsx_rows(data: bytes) -> list[list]:
    """The rows of the first sheet of an XLSX export, as cell values (dates, numbers, text)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (openpyxl raises zip, XML and key errors alike for a damaged file)
        raise StatementError(_("This is not an XLSX workbook that can be read.")) from exc
    try:
        sheet = book.worksheets[0]
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def parse_table(rows: list[list], profile: Profile, fmt: str) -> Statement:
    """Lines of a table export read through a profile; rows without a date and amount (totals, notes) are skipped."""
    if len(rows) < profile.header_row:
        raise StatementError(
            _(
                "Row %(row)d should hold the column headers, but the file has %(count)d rows.",
                row=profile.header_row,
                count=len(rows),
            )
        )
    header = [_cell_text(c) for c in rows[profile.header_row - 1]]
    index = {key: _columns(spec, header, profile.header_row) for key, spec in profile.columns.items() if spec}
    if "date" not in index or not ({"credit", "amount"} & index.keys()):
        raise StatementError(_("The profile must name the date column and a credit or signed amount column."))
    statement = Statement(fmt)
    for number, row in enumerate(rows[profile.header_row :], profile.header_row + 1):
        if not any(_cell_text(c) for c in row):
            continue
        raw_date = _pick(row, index["date"])
        if not _cell_text(raw_date) or _cell_text(raw_date).startswith(("合计", "总计", "Total")):
            continue  # a totals or footer row
        amount = _row_amount(row, index, number)
        if amount is None:
            continue
        currency = _cell_text(_pick(row, index.get("currency", [])))
        statement.lines.append(
            Line(
                booked_on=_row_date(raw_date, profile.date_format, number),
                amount=amount,
                currency=CURRENCY_NAMES.get(currency, currency.upper()[:3]),
                counterparty_name=_joined(row, index.get("counterparty_name", [])),
                counterparty_account=_joined(row, index.get("counterparty_account", [])).replace(" ", ""),
                remark=_joined(row, index.get("remark", [])),
                reference=_joined(row, index.get("reference", [])),
                position=number,
                time=_row_time(raw_date),
            )
        )
    return statement


def _columns(spec: str, header: list[str], header_row: int) -> list[int]:
    """The 0-based columns a profile's spec names: header names or 1-based numbers, joined with '+'."""
    found = []
    for part in (p.strip() for p in str(spec).split("+")):
        if part.isdigit():
            found.append(int(part) - 1)
            continue
        wanted = _normal(part)
        matches = [i for i, name in enumerate(header) if _normal(name) == wanted]
        if not matches:
            raise StatementError(_("Row %(row)d has no column %(column)s.", row=header_row, column=part))
        found.append(matches[0])
    return found


def _normal(text: str) -> str:
    """A header as compared: full-width brackets and spaces folded (（收入） = (收入))."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text)).lower()


def _pick(row: list, columns: list[int]):
    return row[columns[0]] if columns and columns[0] < len(row) else ""


def _joined(row: list, columns: list[int]) -> str:
    parts = (_cell_text(row[c]) for c in columns if c < len(row))
    return " ".join(p for p in parts if p)


def _cell_text(value) -> str:
    if isinstance(value, float):
        return _float_text(value)
    return str(value).strip() if value is not None else ""


def _float_text(value: float) -> str:
    """A spreadsheet number as the digits shown (repr is the shortest text that reads back the same)."""
    return repr(value) if value != int(value) else str(int(value))


def _row_amount(row, index, number) -> Decimal | None:
    """The row's signed amount: credit minus debit, or the signed column; None when the row moves no money."""
    if "amount" in index:
        return _money(_pick(row, index["amount"]), number) or None
    credit = _money(_pick(row, index["credit"]), number)
    debit = _money(_pick(row, index.get("debit", [])), number)
    if credit and debit:
        raise StatementError(_("Row %(row)d has both a credit and a debit amount.", row=number))
    return (credit or -abs(debit)) or None


def _money(value, number) -> Decimal:
    """A cell's amount: '12,345.60', '¥12345.6', a spreadsheet number; empty or '-' is zero.

    More than two decimals is no amount a bank books: the profile reads another column (a rate, a balance in
    another unit), which rounding would hide. Exponents (1E+20), NaN and more digits than an account holds are
    refused by the one amount parser (saas.core.parsing), like every amount the application reads.
    """
    text = str(value) if isinstance(value, int | Decimal) else re.sub(r"[,\s¥￥]|CNY|RMB", "", _cell_text(value))
    if text in ("", "-", "--"):
        return Decimal(0)
    try:
        return parse_amount(text, places=2)
    except InvalidAmount as exc:
        if exc.reason == "too_many_decimals":
            raise StatementError(
                _(
                    "Row %(row)d: %(value)s has more than two decimals: check which column the "
                    "profile reads as the amount.",
                    row=number,
                    value=text[:40],
                )
            ) from None
        if exc.reason == "too_large":
            raise StatementError(
                _("Row %(row)d: %(value)s is larger than any amount a bank books.", row=number, value=text[:40])
            ) from None
        raise StatementError(_("Row %(row)d: %(value)s is not an amount.", row=number, value=text[:40])) from None


def _row_time(value) -> str:
    """The time of day a date cell gives after its date (2026-01-15 10:22:33), as HH:MM:SS; "" when none."""
    if isinstance(value, datetime):
        return _time_of(value.strftime("%H:%M:%S"))
    return _time_of(_cell_text(value)) if not isinstance(value, date) else ""


def _time_of(text: str) -> str:
    """The first time of day in a text (T10:22:33+08:00, 9:30), as HH:MM:SS; midnight, which a date-only cell
    reads as, is no time."""
    found = re.search(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?", text or "")
    if found is None:
        return ""
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}" if (hours, minutes, seconds) != (0, 0, 0) else ""


def _row_date(value, date_format: str, number: int) -> date:
    """A cell's date in the profile's format; a time after the date is read by _row_time (2026-01-15 10:22:33)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for candidate in (text, text.split(" ")[0], text.split("T")[0]):
        try:
            return datetime.strptime(candidate, date_format).date()
        except ValueError:
            continue
    raise StatementError(
        _(
            "Row %(row)d: %(value)s is not a date in the format %(format)s.",
            row=number,
            value=text[:40],
            format=date_format,
        )
    )
