"""The billing cycle (§3.1): what a contract owes per period, invoices made once with gapless numbers, runs."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from saas.billing.models import (
    BillingRun,
    BillingSettings,
    CreditEntry,
    Invoice,
    InvoiceLine,
    InvoiceNumber,
    InvoiceStatus,
)
from saas.billing.periods import Period, period, periods_between
from saas.contracts.models import ChangeKind, ChangeStatus, Contract, ContractChange, ContractStatus
from saas.contracts.services import term_end
from saas.core import events
from saas.core.bulk import among, insert_many
from saas.core.clock import local_today, now
from saas.core.counters import locked_counter
from saas.core.models import Tenant
from saas.core.money import quantize
from saas.core.plugins import BillingLine, plugin_manager
from saas.extensions import db

#: Contracts whose periods may still need billing: in force, or ended with a last period to bill.
BILLABLE = (ContractStatus.ACTIVE, ContractStatus.EXPIRING, ContractStatus.EXPIRED, ContractStatus.TERMINATED)


@dataclass(frozen=True)
class FeeLine:
    service_id: int | None
    description: str
    quantity: Decimal
    monthly_fee: Decimal
    #: The change agreement that set this schedule ("HT-2026-0001-A1"), or "" for the original.
    change: str = ""


@dataclass
class Draft:
    """An invoice worked out but not written: its period and lines (what a dry run shows)."""

    contract: Contract
    period: Period
    lines: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line["amount"] for line in self.lines), Decimal(0))


def in_force(contract: Contract) -> tuple[date, date]:
    """[from, until) the contract is in force: from both signatures or the effective date, to its end (§1.2, §10)."""
    start = max(contract.effective_date, contract.signed_on or contract.effective_date)
    stop = term_end(contract)
    if contract.terminated_on is not None:
        stop = min(stop, contract.terminated_on + timedelta(days=1))
    return start, stop


def _rows(rows: list[dict], change: str) -> list[FeeLine]:
    return [
        FeeLine(r["service_id"], r["description"], Decimal(str(r["quantity"])), Decimal(str(r["monthly_fee"])), change)
        for r in rows
    ]


def schedule(contract: Contract, amendments: list[ContractChange]) -> list[tuple[date, list[FeeLine]]]:
    """The fee schedule over time (§3.1.3, §10.2): (from day, lines) steps, the original first.

    Signed amendments that changed the fee lines take effect on their effective date; the original schedule
    is what the first of them replaced (the contract's lines today are the result of them all).
    """
    steps = [a for a in amendments if "lines" in (a.changes or {})]
    steps.sort(key=lambda a: (a.effective_date, a.id))
    if not steps:
        return [
            (
                contract.effective_date,
                _rows(
                    [
                        {
                            "service_id": ln.service_id,
                            "description": ln.description,
                            "quantity": ln.quantity,
                            "monthly_fee": ln.monthly_fee,
                        }
                        for ln in contract.lines
                    ],
                    "",
                ),
            )
        ]
    result = [(contract.effective_date, _rows(steps[0].changes["lines"]["old"], ""))]
    for amendment in steps:
        result.append((amendment.effective_date, _rows(amendment.changes["lines"]["new"], amendment.number)))
    return result


def draft_invoice(contract: Contract, p: Period, amendments: list[ContractChange]) -> Draft:
    """The lines of one period: each fee line for the days its fee applied while the contract was in force.

    A fee that changes mid-period, or a contract that starts or ends mid-period, is prorated by days; each
    line is rounded once, half-up, to the currency's minor unit.
    """
    start, stop = in_force(contract)
    steps = schedule(contract, amendments)
    # days each distinct fee line applied in the period: a line no amendment touched stays one line
    applied: dict[tuple, list] = {}
    for i, (step_from, lines) in enumerate(steps):
        step_to = steps[i + 1][0] if i + 1 < len(steps) else date.max
        seg_from, seg_to = max(step_from, start, p.start), min(step_to, stop, p.end)
        if seg_to <= seg_from:
            continue
        for line in lines:
            key = (line.service_id, line.description, line.quantity, line.monthly_fee)
            entry = applied.setdefault(key, [line, 0, seg_from, seg_to])
            entry[1] += (seg_to - seg_from).days
            entry[2], entry[3] = min(entry[2], seg_from), max(entry[3], seg_to)
    draft = Draft(contract, p)
    for line, days, first, after_last in applied.values():
        amount = quantize(line.quantity * line.monthly_fee * days / p.days, contract.currency)
        description = line.description
        if days < p.days:
            description = f"{line.description} ({first.isoformat()} – {(after_last - timedelta(days=1)).isoformat()})"
        draft.lines.append(
            {
                "kind": "fee",
                "description": description[:300],
                "quantity": line.quantity,
                "unit_price": line.monthly_fee,
                "days": days,
                "period_days": p.days,
                "amount": amount,
                "source": {"service_id": line.service_id, "change": line.change},
            }
        )
    return draft


def due_periods(contract: Contract, today: date, billed_until: date | None = None, final: bool = False) -> list[Period]:
    """The contract's periods that have ended by `today` (local) and overlap its time in force; `final` (the
    settlement at the agreement's end, §10.4) takes the last, cut-short period as well once the contract ended."""
    start, stop = in_force(contract)
    # a period ended by today began before it: the periods after today are never listed
    return [
        p
        for p in periods_between(contract.effective_date, max(start, billed_until or start), min(stop, today))
        if p.end <= today or (final and stop <= today)
    ]


def _amendments(contract_ids: list[int]) -> dict[int, list[ContractChange]]:
    rows = db.session.scalars(
        select(ContractChange).where(
            among(ContractChange.contract_id, contract_ids),
            ContractChange.kind == ChangeKind.AMENDMENT,
            ContractChange.status == ChangeStatus.SIGNED,
        )
    )
    grouped: dict[int, list[ContractChange]] = {}
    for change in rows:
        grouped.setdefault(change.contract_id, []).append(change)
    return grouped


def _billed_until(contract_ids: list[int]) -> dict[int, date]:
    """The end of the last billed period per contract (periods are billed in order)."""
    return dict(
        db.session.execute(
            select(Invoice.contract_id, func.max(Invoice.period_end))
            .where(among(Invoice.contract_id, contract_ids))
            .group_by(Invoice.contract_id)
        ).all()
    )


def drafts_for(contracts: list[Contract], today: date, final: bool = False) -> list[Draft]:
    """Every invoice the contracts owe by `today`, not yet made (a fixed number of queries for any number)."""
    ids = [c.id for c in contracts]
    amendments, billed = _amendments(ids), _billed_until(ids)
    drafts = []
    for contract in contracts:
        for p in due_periods(contract, today, billed.get(contract.id), final):
            drafts.append(draft_invoice(contract, p, amendments.get(contract.id, [])))
    return drafts


def lock_numbers(tenant_id: int, year: int, series: str = "INV") -> InvoiceNumber:
    """The tenant's counter for a series and year, locked until commit: numbers are taken in order, without gaps."""
    return locked_counter(InvoiceNumber, tenant_id=tenant_id, series=series, year=year)


def bill(tenant: Tenant, contract_ids: list[int], today: date, *, settle: bool = False) -> int:
    """Make the invoices these contracts owe by `today`, in the caller's transaction; returns how many.

    The counter row is locked first, so concurrent chunks of one tenant take turns; what is already billed
    is skipped, and the unique (contract, period) key refuses anything that slips through. A chunk that dies
    before its commit leaves nothing behind: no invoice, no number taken.

    `settle` makes the final account of contracts that have ended (§10.4): the last, cut-short period is billed
    at once, and whatever still waits either way (penalties, credits, damages, extras) goes on it; with no period
    left, on a settlement of its own dated today (once a day, by the unique key).
    """
    counter = lock_numbers(tenant.id, today.year)
    contracts = db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.lines))
        .where(Contract.tenant_id == tenant.id, among(Contract.id, contract_ids), Contract.status.in_(BILLABLE))
        .order_by(Contract.id)
    ).all()
    drafts = [d for d in drafts_for(contracts, today, final=settle) if d.lines]
    if settle:
        billed = {d.contract.id for d in drafts}
        drafts += [settlement_draft(c, today) for c in contracts if c.id not in billed]
    if drafts:
        # by contract and from the first period drafted (a tuple IN of hundreds of pairs costs more to build)
        taken = set(
            db.session.execute(
                select(Invoice.contract_id, Invoice.period_start).where(
                    among(Invoice.contract_id, sorted({d.contract.id for d in drafts})),
                    Invoice.period_start >= min(d.period.start for d in drafts),
                )
            ).all()
        )
        drafts = [d for d in drafts if (d.contract.id, d.period.start) not in taken]
    if not drafts:
        return 0
    extras = _add_extra_lines(tenant, drafts, today)
    drafts = [d for d in drafts if d.lines]  # a settlement with nothing owed either way is no document
    if not drafts:
        return 0
    final = {d.contract.id: d for d in drafts} if settle else {}
    status = InvoiceStatus.DRAFT if settings_of(tenant).review_invoices else InvoiceStatus.ISSUED
    first = counter.last_value + 1
    invoices = []
    for offset, d in enumerate(drafts):
        total = d.total
        invoices.append(
            {
                "tenant_id": tenant.id,
                "client_id": d.contract.client_id,
                "contract_id": d.contract.id,
                "number": f"INV-{today.year}-{first + offset:06d}",
                "status": status,
                "currency": d.contract.currency,
                "period_index": d.period.index,
                "period_start": d.period.start,
                "period_end": d.period.end,
                "issue_date": today,
                "due_date": today + timedelta(days=d.contract.payment_net_days),
                "subtotal": total,
                "total": total,
                "balance": max(total, Decimal(0)),
                "run_day": today,
                "kind": "settlement" if final.get(d.contract.id) is d else "period",
                "created_at": now(),
            }
        )
    ids = _insert_invoices(invoices)
    lines = [
        {
            "tenant_id": tenant.id,
            "client_id": d.contract.client_id,
            "invoice_id": invoice_id,
            "position": position,
            **line,
        }
        for invoice_id, d in zip(ids, drafts, strict=True)
        for position, line in enumerate(d.lines)
    ]
    if db.session.get_bind().dialect.name == "postgresql":
        insert_many(InvoiceLine, lines)
    else:
        db.session.execute(insert(InvoiceLine), lines)
    db.session.execute(
        update(InvoiceNumber).where(InvoiceNumber.id == counter.id).values(last_value=first + len(drafts) - 1)
    )
    if extras:
        invoice_of = {d.contract.id: i for i, d in zip(ids, drafts, strict=True)}  # the contract's last draft
        plugin_manager().for_tenant(tenant).saas_billing_lines_billed(
            tenant=tenant, billed={line.key: invoice_of[line.contract_id] for line in extras}
        )
    if status == InvoiceStatus.ISSUED:
        issued(tenant, ids)
    return len(drafts)


def settlement_draft(contract: Contract, today: date) -> Draft:
    """An empty settlement of an ended contract whose periods are all billed: dated today, a period of no days,
    for the lines still waiting (§10.4)."""
    _start, stop = in_force(contract)
    last = periods_between(contract.effective_date, stop - timedelta(days=1), stop)[0]
    return Draft(contract, Period(last.index, today, today), [])


def _add_extra_lines(tenant: Tenant, drafts: list[Draft], today: date) -> list[BillingLine]:
    """Put the lines other domains and plugins have waiting (penalties, add-ons, fees, credits) on each contract's
    last invoice of this run; returns them, to be marked billed once the invoices have ids."""
    last = {d.contract.id: d for d in drafts}
    waiting = (
        plugin_manager().for_tenant(tenant).saas_billing_lines(tenant=tenant, contract_ids=sorted(last), today=today)
    )
    extras = [line for group in waiting for line in group if line.contract_id in last]
    for line in sorted(extras, key=lambda x: x.key):
        d = last[line.contract_id]
        amount = quantize(line.amount, d.contract.currency)
        quantity = line.quantity if line.quantity is not None else Decimal(1)
        d.lines.append(
            {
                "kind": line.kind,
                "description": line.description[:300],
                "quantity": quantity,
                "unit_price": quantize(amount / quantity, d.contract.currency) if quantity else amount,
                "days": d.period.days,
                "period_days": d.period.days,
                "amount": amount,
                "source": {**line.source, "key": line.key},
            }
        )
    return extras


def settings_of(tenant: Tenant) -> BillingSettings:
    """The tenant's billing settings (the defaults until it saves its own; nothing is written here)."""
    row = db.session.scalar(select(BillingSettings).where(BillingSettings.tenant_id == tenant.id))
    return row or BillingSettings(tenant_id=tenant.id, review_invoices=False, reminder_days="-3,1,7,30")


def issued(tenant: Tenant, invoice_ids: list[int]) -> None:
    """What follows an invoice's issue: a credit-only invoice becomes the client's credit, the client's unapplied
    credit pays what it can (§3.2), and the invoice is mailed to the client's billing contacts after the commit."""
    from saas.billing import notify, payments

    if not invoice_ids:
        return
    # two small queries find the few invoices that need more; most chunks have none
    for invoice in db.session.scalars(select(Invoice).where(among(Invoice.id, invoice_ids), Invoice.total < 0)):
        payments.credit_from_invoice(invoice)
    clients = set(db.session.scalars(select(Invoice.client_id).where(among(Invoice.id, invoice_ids)).distinct()))
    with_credit = set(
        db.session.scalars(
            select(CreditEntry.client_id)
            .where(among(CreditEntry.client_id, clients))
            .group_by(CreditEntry.client_id)
            .having(func.sum(CreditEntry.amount) > 0)
        )
    )
    if with_credit:
        for invoice in db.session.scalars(
            select(Invoice)
            .where(among(Invoice.id, invoice_ids), Invoice.client_id.in_(with_credit))
            .order_by(Invoice.id)
        ).all():
            payments.apply_credit(invoice)
    notify.note_issued(invoice_ids)
    if events.wanted(tenant.id, "invoice.issued"):
        issued_now = db.session.scalars(select(Invoice).where(among(Invoice.id, invoice_ids)).order_by(Invoice.id))
        events.publish_many(tenant.id, "invoice.issued", [invoice_event_data(i) for i in issued_now])


def invoice_event_data(invoice: Invoice) -> dict:
    """What a webhook is told of an issued invoice: its number, ids, period and amounts (money as strings)."""
    return {
        "invoice": {
            "id": invoice.id,
            "number": invoice.number,
            "client_id": invoice.client_id,
            "contract_id": invoice.contract_id,
            "status": invoice.status,
            "currency": invoice.currency,
            "total": str(invoice.total),
            "balance": str(invoice.balance),
            "period_start": invoice.period_start.isoformat(),
            "period_end": invoice.period_end.isoformat(),
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
        }
    }


def _insert_invoices(rows: list[dict]) -> list[int]:
    """Insert the invoices in one statement; their ids in the order of the rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        return db.session.scalars(insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True), rows).all()
    # RETURNING does not promise the order of the rows: map the ids back by the unique (contract, period)
    returned = insert_many(Invoice, rows, "RETURNING id, contract_id, period_start").all()
    ids = {(contract_id, period_start): invoice_id for invoice_id, contract_id, period_start in returned}
    return [ids[row["contract_id"], row["period_start"]] for row in rows]


def contracts_to_bill(tenant: Tenant, today: date) -> list[int]:
    """Ids of the tenant's contracts with a period ended by `today` and not billed yet, in id order."""
    last = (
        select(Invoice.contract_id, func.max(Invoice.period_end).label("billed_until"))
        .where(Invoice.tenant_id == tenant.id)
        .group_by(Invoice.contract_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Contract.id,
            Contract.effective_date,
            Contract.signed_on,
            Contract.ends_on,
            Contract.terminated_on,
            last.c.billed_until,
        )
        .outerjoin(last, last.c.contract_id == Contract.id)
        .where(Contract.tenant_id == tenant.id, Contract.status.in_(BILLABLE), Contract.effective_date < today)
        .order_by(Contract.id)
    ).all()
    due = []
    for contract_id, effective, signed_on, ends_on, terminated_on, billed_until in rows:
        stop = min(ends_on, terminated_on + timedelta(days=1)) if terminated_on else ends_on
        start = max(effective, signed_on or effective)
        begin = max(start, billed_until or start)
        if begin >= stop:
            continue
        # something to bill when the first period not yet billed has ended by today (the one containing `start`)
        first = (
            periods_between(effective, start, start + timedelta(days=1))[0]
            if billed_until is None
            else period(effective, _index_ending(effective, billed_until))
        )
        if first.end <= today:
            due.append(contract_id)
    return due


def _index_ending(anchor: date, end: date) -> int:
    """The index of the period that starts on `end` (the one after the period ending there)."""
    months = (end.year - anchor.year) * 12 + end.month - anchor.month
    for index in (months - 1, months, months + 1):
        if index >= 0 and period(anchor, index).start == end:
            return index
    raise ValueError(f"{end} is not a period boundary of {anchor}")


def chunk_key(contract_ids: list[int]) -> str:
    """A chunk's name in its run and in its job id: the same contracts give the same name on a re-run."""
    return f"{contract_ids[0]}-{contract_ids[-1]}-{len(contract_ids)}"


def plan_run(tenant: Tenant, today: date | None = None) -> tuple[BillingRun, list[tuple[list[int], int]]]:
    """Record today's run of a tenant and split the contracts to bill into chunks: [(contract ids, attempt)].

    The run keeps each chunk's outcome by name. A re-run of the day plans what is left to bill; a chunk that
    was planned before and never reported (its worker died, or it still waits) gets the next attempt number,
    so its job is queued again under a new id. Running a chunk twice is safe: the second finds it billed.
    """
    today = today or local_today(tenant)
    ids = contracts_to_bill(tenant, today)
    size = current_app.config["BILLING_CHUNK_SIZE"]
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    run = db.session.scalar(
        select(BillingRun).where(BillingRun.tenant_id == tenant.id, BillingRun.run_day == today).with_for_update()
    )
    if run is None:
        run = BillingRun(tenant_id=tenant.id, run_day=today, started_at=now(), detail={})
        db.session.add(run)
    before = run.detail or {}
    # forget what was planned and never reported unless it is planned again (its contracts are still unbilled)
    detail = {key: part for key, part in before.items() if part.get("invoices") is not None}
    planned = []
    for chunk in chunks:
        key = chunk_key(chunk)
        attempt = before[key].get("attempt", 1) + 1 if key in before else 1
        detail[key] = {"contracts": len(chunk), "invoices": None, "attempt": attempt}
        planned.append((chunk, attempt))
    _tally(run, detail)
    if chunks:
        run.finished_at = None
    elif run.finished_at is None:
        run.finished_at = now()  # nothing (left) to bill today
    db.session.flush()
    return run, planned


def chunk_done(run_id: int, contract_ids: list[int], created: int) -> None:
    """Record a finished chunk on its run, first report first: a second run of the chunk (which found everything
    billed) does not overwrite it. The run is finished when every chunk planned has reported."""
    run = db.session.scalar(
        select(BillingRun).where(BillingRun.id == run_id).with_for_update().execution_options(populate_existing=True)
    )
    detail = dict(run.detail or {})
    key = chunk_key(contract_ids)
    part = detail.get(key) or {"contracts": len(contract_ids), "invoices": None, "attempt": 1}
    if part["invoices"] is None:
        detail[key] = {**part, "invoices": created}
    _tally(run, detail)
    if run.chunks_done == run.chunks and run.finished_at is None:
        run.finished_at = now()


def _tally(run: BillingRun, detail: dict) -> None:
    """The run's counts, from its chunks' outcomes."""
    run.detail = detail
    run.chunks = len(detail)
    run.chunks_done = sum(1 for part in detail.values() if part["invoices"] is not None)
    run.contracts = sum(part["contracts"] for part in detail.values())
    run.invoices_created = sum(part["invoices"] or 0 for part in detail.values())


def dry_run(tenant: Tenant, today: date | None = None, limit: int = 200) -> list[Draft]:
    """What the next run would bill, written nowhere (the first `limit` contracts)."""
    today = today or local_today(tenant)
    ids = contracts_to_bill(tenant, today)[:limit]
    contracts = db.session.scalars(
        select(Contract).options(selectinload(Contract.lines)).where(Contract.id.in_(ids)).order_by(Contract.id)
    ).all()
    return [d for d in drafts_for(contracts, today) if d.lines]


def list_invoices(
    tenant: Tenant,
    *,
    client_id: int | None = None,
    status: str = "",
    contract_id: int | None = None,
    after: int | None = None,
    limit: int = 25,
    issued_only: bool = False,
):
    """One page of invoices, newest first (keyset on id); returns (rows, next_after). Clients see no drafts."""
    stmt = select(Invoice).options(selectinload(Invoice.client), selectinload(Invoice.contract))
    stmt = stmt.where(Invoice.tenant_id == tenant.id)
    if client_id:
        stmt = stmt.where(Invoice.client_id == client_id)
    if contract_id:
        stmt = stmt.where(Invoice.contract_id == contract_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if issued_only:
        stmt = stmt.where(Invoice.status != InvoiceStatus.DRAFT)
    if after:
        stmt = stmt.where(Invoice.id < after)
    rows = db.session.scalars(stmt.order_by(Invoice.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
