"""Realistic statement files, built in code: MT940, CAMT.053 (v2 and v8), a CCB CSV in GB18030, an ICBC XLSX."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from plugins.payments_bank.demo import ICBC_HEADERS

ACCOUNT = "0200001219200012345"


def mt940(lines: list[tuple], account: str = ACCOUNT) -> bytes:
    """An MT940 statement: lines are (date, 'C' or 'D', amount, bank reference or '', :86: text)."""
    rows = [
        ":20:STMT" + lines[0][0].strftime("%y%m%d"),
        f":25:ICBKCNBJ/{account}",
        ":28C:00012/001",
        ":60F:C" + lines[0][0].strftime("%y%m%d") + "CNY100000,00",
    ]
    for day, mark, amount, reference, details in lines:
        ref = f"//{reference}" if reference else ""
        rows.append(f":61:{day:%y%m%d}{day:%m%d}{mark}{amount.replace('.', ',')}NTRFNONREF{ref}")
        rows.append(f":86:{details}")
    rows.append(":62F:C" + lines[-1][0].strftime("%y%m%d") + "CNY110000,00")
    return ("\r\n".join(rows) + "\r\n-").encode("utf-8")


CAMT_V2 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CAMT_V8 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053(entries: list[dict], version: str = CAMT_V2, account: str = ACCOUNT) -> bytes:
    """A CAMT.053 statement: entries are dicts of day, amount, credit (bool), name, remark, ref, and optionally
    reversal (bool) and status (BOOK unless said)."""
    party = "<Dbtr><Nm>{name}</Nm></Dbtr>" if version == CAMT_V2 else "<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>"
    ntries = []
    for e in entries:
        kind = "CRDT" if e.get("credit", True) else "DBIT"
        reversal = "\n        <RvslInd>true</RvslInd>" if e.get("reversal") else ""
        status = e.get("status", "BOOK")
        ntries.append(f"""
      <Ntry>
        <Amt Ccy="CNY">{e["amount"]}</Amt>
        <CdtDbtInd>{kind}</CdtDbtInd>{reversal}
        <Sts>{status if version == CAMT_V2 else f"<Cd>{status}</Cd>"}</Sts>
        <BookgDt><Dt>{e["day"].isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{e["day"].isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{e.get("ref", "")}</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>TRF</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{e.get("ref", "")}</AcctSvcrRef></Refs>
          <RltdPties>{party.format(name=e.get("name", ""))}
            <DbtrAcct><Id><Othr><Id>{e.get("from", "6222020200112233445")}</Id></Othr></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{e.get("remark", "")}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>CAMT-20280305</MsgId><CreDtTm>2028-03-05T08:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-20280305</Id>
      <CreDtTm>2028-03-05T08:00:00</CreDtTm>
      <Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>{"".join(ntries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


CCB_HEADERS = [
    "账号",
    "账户名称",
    "交易时间",
    "借方发生额（支取）",
    "贷方发生额（收入）",
    "余额",
    "币种",
    "对方户名",
    "对方账号",
    "对方开户机构",
    "交易日期",
    "摘要",
    "备注",
    "交易流水号",
]


def ccb_csv(rows: list[dict], encoding: str = "gb18030") -> bytes:
    """A CCB account-detail export: two title rows, the headers on row 3, CRLF, GB18030; rows are dicts of day,
    credit or debit, name, remark, serial."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["中国建设银行单位账户交易明细"])
    writer.writerow([f"账号：{ACCOUNT}", "户名：阿尔法信息技术有限公司", "起止日期：20280301-20280331"])
    writer.writerow(CCB_HEADERS)
    for r in rows:
        credit, debit = r.get("credit", ""), r.get("debit", "")
        writer.writerow(
            [
                ACCOUNT,
                "阿尔法信息技术有限公司",
                f"{r['day']:%Y%m%d} 09:30:00",
                debit,
                credit,
                "1,000,000.00",
                "人民币",
                r.get("name", ""),
                "6217000010001234567",
                "中国建设银行上海分行",
                f"{r['day']:%Y%m%d}",
                r.get("summary", "转账"),
                r.get("remark", ""),
                r.get("serial", ""),
            ]
        )
    writer.writerow(["合计", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    return out.getvalue().encode(encoding)


def icbc_xlsx(rows: list[dict]) -> bytes:
    """An ICBC account-detail export as XLSX: real date-time and number cells (rows may give the time of day)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(ICBC_HEADERS)
    for r in rows:
        credit, debit = r.get("credit"), r.get("debit")
        when = datetime.combine(r["day"], r.get("time", datetime.min.time()))
        sheet.append(
            [
                "",
                ACCOUNT,
                "31001500000050012345",
                when,
                "贷" if credit else "借",
                float(debit) if debit else None,
                float(credit) if credit else None,
                "",
                r.get("summary", "网银转账"),
                r.get("remark", ""),
                r.get("name", ""),
                123456.78,
                "人民币",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


D = date
M = Decimal
