"""Matching statement lines to clients' payments (§3.2.1): by reference, by name and amount, or by a person.

A matched line becomes a payment recorded through the core (saas.billing.payments), which allocates it and
keeps any overpayment as the client's credit. A line is matched once: it is locked while it is decided, and
a line already decided is left as it is.
"""

import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func, select

from plugins.payments_bank.models import LineStatus, StatementLine
from plugins.payments_bank.reference import invoice_mentions
from saas.billing import payments
from saas.billing.models import Invoice, Payment
from saas.core import audit
from saas.core.bulk import among
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.models import Client, Tenant
from saas.extensions import db

NAME = "payments_bank"
#: How many waiting lines reconcile reads at a time (it goes through all of a tenant's, a batch after another).
RECONCILE_BATCH = 500


def lock_line(line_id: int) -> StatementLine | None:
    """The line, locked until commit and read afresh: whoever comes second sees what the first decided."""
    return db.session.scalar(
        select(StatementLine)
        .where(StatementLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def match_automatically(line: StatementLine) -> bool:
    """Match a waiting line if it is certain: a reference in its remark, or the one client and invoice it fits."""
    line = lock_line(line.id)
    if line is None or line.status != LineStatus.UNMATCHED:
        return False
    invoice = invoice_quoted(line)
    if invoice is not None:
        if invoice.currency != line.currency:
            return False  # a person decides what money in another currency pays
        _pay(line, invoice.client_id, invoice, "reference", [invoice])
        return True
    invoice = invoice_by_name_and_amount(line)
    if invoice is not None:
        _pay(line, invoice.client_id, invoice, "name_and_amount", [invoice])
        return True
    return False


def invoice_quoted(line: StatementLine) -> Invoice | None:
    """The first of this tenant's invoices the remark names by RF reference or number (drafts are not known).

    A reference that can be read as two of the tenant's invoices names neither: a person decides.
    """
    mentions = invoice_mentions(line.remark)
    numbers = {number for mention in mentions for number in mention}
    if not numbers:
        return None
    known = {
        i.number: i
        for i in db.session.scalars(
            select(Invoice).where(
                Invoice.tenant_id == line.tenant_id, Invoice.number.in_(numbers), Invoice.status != "draft"
            )
        )
    }
    for mention in mentions:
        named = [known[number] for number in mention if number in known]
        if len(named) == 1:
            return named[0]
    return None


def name_variants(name: str) -> set[str]:
    """A counterparty name as clients' legal names may be written: as is, half-width and full-width brackets."""
    plain = unicodedata.normalize("NFKC", " ".join((name or "").split()))
    return {v for v in (name.strip(), plain, plain.replace("(", "（").replace(")", "）")) if v}


def client_named(tenant_id: int, name: str) -> Client | None:
    """The one client of the tenant whose legal name is the counterparty's; None when none or several."""
    variants = name_variants(name)
    if not variants:
        return None
    rows = db.session.scalars(
        select(Client).where(Client.tenant_id == tenant_id, Client.legal_name.in_(variants)).limit(2)
    ).all()
    return rows[0] if len(rows) == 1 else None


def invoice_by_name_and_amount(line: StatementLine) -> Invoice | None:
    """Without a reference: the one open invoice, of the one client named as the payer, whose balance is the amount."""
    client = client_named(line.tenant_id, line.counterparty_name)
    if client is None:
        return None
    rows = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.client_id == client.id,
            Invoice.currency == line.currency,
            Invoice.status.in_(payments.OPEN_INVOICES),
            Invoice.balance == line.amount,
        )
        .limit(2)
    ).all()
    return rows[0] if len(rows) == 1 else None


def open_invoices(client_id: int, currency: str) -> list[Invoice]:
    """A client's open invoices in a currency, oldest first: what a person may say a line pays."""
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.currency == currency, Invoice.status.in_(payments.OPEN_INVOICES))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()


def match_manually(line: StatementLine, client_id: int, invoice_id: int | None, user) -> Payment | None:
    """A person says whose money a line is (and optionally which invoice it pays; else the oldest first).

    Returns the payment, or None when the line was decided meanwhile (a second click, a reconcile).
    """
    line = lock_line(line.id)
    if line.status != LineStatus.UNMATCHED:
        return None
    client = Client.get_in(line.tenant_id, client_id)
    if client is None:
        raise ServiceError(_("Choose one of your clients."))
    invoice = None
    if invoice_id:
        invoice = Invoice.get_in(line.tenant_id, invoice_id, client.id)
        if invoice is None or invoice not in open_invoices(client.id, line.currency):
            raise ServiceError(_("Choose an open invoice of this client in %(currency)s.", currency=line.currency))
    return _pay(line, client.id, invoice, "manual", None, user)


def set_aside(line: StatementLine, reason: str, user) -> bool:
    """A person says a line is not a client payment (interest, a refund…); False when it was decided meanwhile."""
    line = lock_line(line.id)
    if line.status != LineStatus.UNMATCHED:
        return False
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why this is not a client payment."))
    line.status, line.reason, line.decided_at = LineStatus.IGNORED, reason, now()
    line.decided_by_id = getattr(user, "id", None)
    audit.record(
        "payments_bank.line_set_aside", tenant_id=line.tenant_id, target=line, amount=str(line.amount), reason=reason
    )
    return True


def payment_reference(line: StatementLine) -> str:
    """The payment's reference: unique per line, and readable on the invoice (the bank's own reference first)."""
    return f"{line.bank_reference[:100] or line.booked_on.isoformat()} #{line.id}"


def _pay(line: StatementLine, client_id: int, invoice: Invoice | None, how: str, invoices, user=None) -> Payment:
    """Record the line as the client's payment through the core and let the core allocate it."""
    tenant = db.session.get(Tenant, line.tenant_id)
    details = {
        "line_id": line.id,
        "statement_id": line.statement_id,
        "account_id": line.account_id,
        "counterparty": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "remark": line.remark,
        "bank_reference": line.bank_reference,
        "matched": how,
    }
    payment, _created = payments.record(
        tenant,
        client_id,
        NAME,
        payment_reference(line),
        line.amount,
        line.currency,
        invoice_id=invoice.id if invoice else None,
        received_on=line.booked_on,
        data=details,
        note=line.remark[:500],
    )
    payments.succeed(payment, invoices)
    line.status, line.client_id, line.payment_id, line.matched_how = LineStatus.MATCHED, client_id, payment.id, how
    line.decided_at = now()
    line.decided_by_id = user.id if user is not None else None
    audit.record(
        "payments_bank.line_matched",
        tenant_id=line.tenant_id,
        target=line,
        payment=payment.id,
        client=client_id,
        how=how,
        amount=str(line.amount),
    )
    db.session.flush()
    return payment


def reconcile(tenant: Tenant) -> int:
    """Try again the waiting lines that could match now (their invoice issued since, or the client's other invoice
    of that amount paid otherwise); returns how many matched. Commits nothing: the job does.

    Every waiting line is looked at, in keyset batches of RECONCILE_BATCH: a few queries a batch find which could
    match, and only those are locked and tried, so lines that never match cost little and hide no newer line.
    """
    matched, after = 0, 0
    while True:
        rows = db.session.execute(
            select(
                StatementLine.id,
                StatementLine.remark,
                StatementLine.counterparty_name,
                StatementLine.amount,
                StatementLine.currency,
            )
            .where(
                StatementLine.tenant_id == tenant.id,
                StatementLine.status == LineStatus.UNMATCHED,
                StatementLine.id > after,
            )
            .order_by(StatementLine.id)
            .limit(RECONCILE_BATCH)
        ).all()
        for line_id in could_match(tenant.id, rows):
            matched += match_automatically(db.session.get(StatementLine, line_id))
        if len(rows) < RECONCILE_BATCH:
            return matched
        after = rows[-1].id


def could_match(tenant_id: int, rows) -> list[int]:
    """The ids of the lines (id, remark, counterparty_name, amount, currency) that match_automatically could match
    now: their remark names an issued invoice of the tenant, or their payer's name is a client's with an open
    invoice of that amount and currency. It decides; this only spares it the lines that cannot."""
    quoted = {row.id: {n for mention in invoice_mentions(row.remark) for n in mention} for row in rows}
    named = {row.id: name_variants(row.counterparty_name) for row in rows}
    numbers, names = set().union(*quoted.values()), set().union(*named.values())
    issued, owed = set(), set()
    if numbers:
        issued = set(
            db.session.scalars(
                select(Invoice.number).where(
                    Invoice.tenant_id == tenant_id, among(Invoice.number, numbers), Invoice.status != "draft"
                )
            )
        )
    if names:
        owed = {
            tuple(r)
            for r in db.session.execute(
                select(Client.legal_name, Invoice.currency, Invoice.balance)
                .join(Invoice, Invoice.client_id == Client.id)
                .where(
                    Client.tenant_id == tenant_id,
                    among(Client.legal_name, names),
                    Invoice.status.in_(payments.OPEN_INVOICES),
                )
            )
        }
    return [
        row.id
        for row in rows
        if quoted[row.id] & issued or any((name, row.currency, row.amount) in owed for name in named[row.id])
    ]


def waiting_count(tenant: Tenant) -> int:
    """How many lines wait for a person."""
    return db.session.scalar(
        select(func.count(StatementLine.id)).where(
            StatementLine.tenant_id == tenant.id, StatementLine.status == LineStatus.UNMATCHED
        )
    )
