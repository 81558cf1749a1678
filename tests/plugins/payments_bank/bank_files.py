"""Statement files in the shapes real banks send, written for these tests (names and numbers are made up).

Each reproduces a layout of the public sample files that statement libraries test with: the mt940 library's
PostFinance (a SWIFT envelope, two statements, NONREF bank references), Rabobank (several :25: accounts with dots
and the currency glued on), Raiffeisen Hungary (:25: BIC/account/currency), mBank (an IBAN, PLN) and a reversal of
a credit (RC); the CAMT.053 batch of OCA's account_statement_import_camt tests (two transactions sharing one
AcctSvcrRef) and a file of several Stmt elements, as genkgo/camt has.
"""

POSTFINANCE_ACCOUNT = "123456789"


def postfinance(second_day: str = "131218", extra: str = "") -> bytes:
    """PostFinance: envelope blocks {1:}{2:}{3:}{4: around two statements; three credits and a debit, every one
    with the bank reference NONREF and the supplementary details on the next line."""
    return f"""{{1:F01POFICHBEAXXX0000000000}}{{2:I940XXXXXXXXXXXXN}}{{3:{{108:140407CH00000000}}}}{{4:
:20:2014040708285927
:25:{POSTFINANCE_ACCOUNT}
:28C:999/1
:60F:C131130CHF0,
:61:1312091209C79,7FMSC01916//NONREF
20131209007602198765432000000012
:86:GIRO AUS ONLINE-SIC 80532 AUFTRAGGEBER: ANNA MUSTER BEISPIELWEG
 10 8000 ZUERICH 131209CH98765432 MITTEILUNGEN: RECHNUNG 2013-0412
:61:1312091209C149,5FMSC01916//NONREF
20131209007602187654321000000012
:86:GIRO AUS ONLINE-SIC 81379 AUFTRAGGEBER: BEAT BEISPIEL MUSTERGASSE
 12 3000 BERN 131209CH87654321
:62M:C140407CHF229,2
-}}{{1:F01POFICHBEAXXX0000000000}}{{2:I940XXXXXXXXXXXXN}}{{3:{{108:140407CH00000000}}}}{{4:
:20:2014040708285928
:25:{POSTFINANCE_ACCOUNT}
:28C:999/2
:60M:C140407CHF229,2
:61:1312161216D79,9FMSC01916//NONREF
20131216007602112345678000000012
:86:GIRO AUS ONLINE-SIC 80701 AUFTRAGGEBER: CARLA KUNDIN SEESTRASSE
 111 6000 LUZERN 131216CH12345678 MITTEILUNGEN: 1 SONNENSCHIRM
:61:{second_day}{second_day[2:]}C10,1FMSC01651//NONREF
20131216816204000100125000000012
:86:EINZAHLUNGSSCHEIN{extra}
:62F:C140407CHF159,6
-}}{{5:{{MAC:00000000}}{{CHK:000000000000}}}}
""".replace("\n", "\r\n").encode("ascii")


RABOBANK_ACCOUNT, RABOBANK_OTHER = "1291.99.348", "1526.89.184"


def rabobank(first: str = RABOBANK_ACCOUNT, second: str = RABOBANK_OTHER) -> bytes:
    """Rabobank: a :940: header, then one statement per day and account; the account written 1291.99.348EUR;
    amounts padded with zeros to 15 characters; a statement without lines. One credit is the first account's."""
    return f""":940:
:20:940A110615
:25:{first}EUR
:28:00000/00
:60F:C110614EUR000000000473,17
:61:110527D000000001213,28N0440121470966      W.P. JANSEN
:86:TERUGBOEKING NIET AKKOORD MET AFSCHRIJVING
:61:110615C000000000750,00N5410121470977      VAN DIJK ADVIES BV
:86:FACTUUR 2011-0042
:62F:C110615EUR000000000009,89

:20:940A110616
:25:{first}EUR
:28:00000/00
:60F:C110615EUR000000000009,89
:62F:C110616EUR000000000009,89

:20:940A120829
:25:{second}EUR
:28:00000/00
:60F:C120828EUR000000004196,12
:61:120829C000000000088,10N541P000029225      KPN - MOBIEL
:86:TERUGBETALING 173787046000009
:61:120829C000000000006,20N541P000029226      NS-UTRECHT
:86:RESTITUTIE 117
:62F:C120829EUR000000004290,42
""".replace("\n", "\r\n").encode("ascii")


RAIFFEISEN_ACCOUNT = "123456789150ABCDEF002"


def raiffeisen(currency: str = "HUF") -> bytes:
    """Raiffeisen Hungary: :25: BIC/account/currency, the funds code F after the mark, the transaction type on the
    :61: and its text on the next line."""
    return f""":20:STARTUMS
:25:UBRTHUHB/{RAIFFEISEN_ACCOUNT}/{currency}
:28C:0072

:60F:C180417{currency}25170637,10
:61:180417CF2066637,00N527
Csoportos atutalas joovairasa
:86:CAB18D1700041116
109876543210000012345678
PELDA HUNGARY KFT.
UV, napi osszevont utalas, 2018.04
:61:180417DF14790,00N031
Bankon beluli atutalas
:86:BBK18D0000188142
123777040156667300100001
MINTA S.R.O.
:62F:C180417{currency}27221847,10
""".replace("\n", "\r\n").encode("ascii")


MBANK_IBAN = "PL29114010810000267002001002"


def mbank() -> bytes:
    """mBank: the account as an IBAN, PLN, bank references MB…, the :61: continued by a text line."""
    return f"""
:20:ST170119CYC/1
:25:{MBANK_IBAN}
:28C:1/1
:60F:C170119PLN0,40
:61:1701190119CN1250,00NTRFNONREF//MB170119012058
911-TRANSAKCJA IPH
:86:911 TRANSAKCJA COLLECT; ID IPH: XX000000000001; Z RACH.:
56114010810000267002001001; OD: JAN NOWAK
UL. NIJAKA 1 M 2 31-234 KRAKOW; TYT.: FAKTURA 2017/01/004 ;
:62F:C170119PLN1250,40
-
""".replace("\n", "\r\n").encode("ascii")


def reversals(account: str) -> bytes:
    """A credit, the bank taking it back (RC: reversal of a credit) and returning a fee it had charged (RD)."""
    return f""":20:940S170302
:25:{account}
:28C:00031/001
:60F:C170301CNY100000,00
:61:1703020302C204,88NTRF20170302ABC//R0302001
:86:/NAME/上海明远制造有限公司/REMI/服务费
:61:1703030303RC204,88NTRF20170302ABC//R0303001
:86:/REMI/冲正 退回 R0302001
:61:1703030303RD35,00NCHGNONREF//R0303002
:86:/REMI/手续费冲正
:62F:C170303CNY100035,00
-""".replace("\n", "\r\n").encode("utf-8")


def mt940_amount(account: str, amount: str) -> bytes:
    """One credit of an amount as written in the :61: line."""
    return f""":20:STMT280305
:25:ICBKCNBJ/{account}
:28C:00012/001
:60F:C280305CNY0,00
:61:2803050305C{amount}NTRF//R20280305001
:86:/NAME/上海明远制造有限公司/REMI/服务费
:62F:C280305CNY0,00
-""".replace("\n", "\r\n").encode("utf-8")


CAMT_V4 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"
CAMT_IBAN = "CH9300762011623852957"


def camt_batch(message_id: str = "20170323312345678900000") -> bytes:
    """OCA's batch: one booked entry of 3,483.00 whose two transactions (2,187.00 and 1,296.00) carry the same
    AcctSvcrRef as the other, and a TxDtls Amt without AmtDtls (v4); the Acct has no Ccy."""
    tx = """
          <TxDtls>
            <Refs><AcctSvcrRef>123456CHCAFEBABE</AcctSvcrRef><Prtry><Tp>01</Tp><Ref>123456CHCAFEBABE</Ref></Prtry></Refs>
            <Amt Ccy="CHF">{amount}</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Nm>Banque Exemple SA</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>{payer}</IBAN></Id></DbtrAcct></RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>"""
    details = tx.format(amount="2187.00", payer="CH5604835012345678009", ref="302388292000011111111111111") + tx.format(
        amount="1296.00", payer="CH3608387000001080173", ref="302388292000022222222222222"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT_V4}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2017-03-23T14:47:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>20170323123456789012345</Id>
      <CreDtTm>2017-03-23T14:47:00</CreDtTm>
      <Acct><Id><IBAN>{CAMT_IBAN}</IBAN></Id><Ownr><Nm>Exemple Sarl</Nm></Ownr></Acct>
      <Ntry>
        <NtryRef>012345678</NtryRef>
        <Amt Ccy="CHF">3483.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <RvslInd>false</RvslInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2017-03-22</Dt></BookgDt>
        <ValDt><Dt>2017-03-23</Dt></ValDt>
        <AcctSvcrRef>20170323001234567891234567891234</AcctSvcrRef>
        <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>{details}
        </NtryDtls>
        <AddtlNtryInf>CREDIT GROUPE BVR TRAITEMENT DU 22.03.2017</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def camt_statements(*statements: tuple[str, str, list[tuple[str, str, str]]]) -> bytes:
    """A CAMT.053 v2 file of several Stmt: each (IBAN, currency, [(amount, currency of the Amt, ref)])."""
    stmts = []
    for number, (iban, currency, entries) in enumerate(statements, 1):
        ntries = "".join(
            f"""
      <Ntry>
        <Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2028-03-0{number}</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef></Refs>
          <RltdPties><Dbtr><Nm>上海明远制造有限公司</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>服务费 {ref}</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>"""
            for amount, ccy, ref in entries
        )
        stmts.append(f"""
    <Stmt>
      <Id>STMT-{number}</Id><CreDtTm>2028-03-05T08:00:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{ntries}
    </Stmt>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>CAMT-MULTI</MsgId><CreDtTm>2028-03-05T08:00:00</CreDtTm></GrpHdr>{"".join(stmts)}
  </BkToCstmrStmt>
</Document>
""".encode()
