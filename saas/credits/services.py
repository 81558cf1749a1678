"""Service credits (§8.2 for the vendor): proposed from the vendor's recorded breaches at the end of each billing
period, per service line of the fee schedule; confirmed or waived by billing staff; a confirmed credit goes once on
the contract's next invoice as a negative line, through the billing-lines hooks."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import selectinload

from saas.billing.payments import lock
from saas.billing.periods import Period, periods_between
from saas.billing.services import BILLABLE
from saas.contracts.models import Contract, ContractLine, ServiceKind
from saas.core import audit, events
from saas.core.bulk import among, insert_new
from saas.core.clock import local_date, now
from saas.core.errors import ServiceError
from saas.core.mail import both_languages
from saas.core.models import Tenant, User
from saas.core.plugins import BillingLine
from saas.credits.models import CreditPolicy, CreditRule, CreditStatus, ServiceCredit
from saas.credits.rules import credit_amount, unperformed_fee
from saas.extensions import db
from saas.requests.models import RequestKind, ServiceRequest, SlaBreach

S = CreditStatus
TRANSITIONS = {S.PROPOSED: {S.CONFIRMED, S.WAIVED}, S.CONFIRMED: {S.BILLED}, S.BILLED: set(), S.WAIVED: set()}
STATUS_LABELS = {
    S.PROPOSED: _l("Proposed"),
    S.CONFIRMED: _l("Confirmed"),
    S.BILLED: _l("Billed"),
    S.WAIVED: _l("Waived"),
}
RULE_LABELS = {
    CreditRule.WHOLE_FEE: _l("The line's whole fee for the period"),
    CreditRule.SHARE_OF_REQUESTS: _l("The fee's share of the line's requests that breached"),
    CreditRule.PER_BREACH: _l("A fixed share of the fee per breach, capped at the fee"),
}
#: Which line of the fee schedule a request's breaches concern: the service its kind of request is provided under.
#: General requests (§4.1) are handled under remote support (§2.1.1).
SERVICE_OF_REQUEST = {
    RequestKind.REMOTE_SUPPORT: ServiceKind.REMOTE_SUPPORT,
    RequestKind.ONSITE_SUPPORT: ServiceKind.ONSITE_SUPPORT,
    RequestKind.FAULT: ServiceKind.FAULT_HANDLING,
    RequestKind.CONSULTATION: ServiceKind.CONSULTING,
    RequestKind.TRAINING: ServiceKind.TRAINING,
    RequestKind.UPGRADE: ServiceKind.UPGRADE,
    RequestKind.GENERAL: ServiceKind.REMOTE_SUPPORT,
}
#: Periods whose end is further back than this are not credited any more by the nightly job (a late first run of
#: the job on an old installation would otherwise bring back years of breaches at once).
LOOKBACK_DAYS = 93
#: The key prefix of the credit lines handed to the billing run (saas_billing_lines): "credits.credit:12".
LINE_KEY = "credits.credit:"


class CreditError(ServiceError):
    """A credit cannot move this way (a waived one confirmed, a billed one waived, a waiver without reason)."""


def policy_of(contract: Contract) -> CreditPolicy:
    """The contract's credit rule (unsaved, the whole-fee default, when the vendor has not chosen one)."""
    row = db.session.scalar(select(CreditPolicy).where(CreditPolicy.contract_id == contract.id))
    return row or CreditPolicy(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        rule=CreditRule.WHOLE_FEE,
        per_breach_share=Decimal("0.1000"),
    )


def save_policy(contract: Contract, rule: str, per_breach_share: Decimal, actor: User) -> CreditPolicy:
    """Choose the contract's credit rule; it applies to the periods credited from now on (proposed credits stay)."""
    if rule not in CreditRule.__members__.values():
        raise CreditError(_("Choose one of the credit rules."))
    if not Decimal(0) < per_breach_share <= Decimal(1):
        raise CreditError(_("The share per breach is more than 0% and at most 100%."))
    row = db.session.scalar(select(CreditPolicy).where(CreditPolicy.contract_id == contract.id).with_for_update())
    if row is None:
        row = CreditPolicy(tenant_id=contract.tenant_id, client_id=contract.client_id, contract_id=contract.id)
        db.session.add(row)
    row.rule, row.per_breach_share, row.updated_by_id, row.updated_at = rule, per_breach_share, actor.id, now()
    audit.record(
        "credits.policy_saved",
        tenant_id=contract.tenant_id,
        target=contract,
        actor=actor,
        rule=rule,
        per_breach_share=str(per_breach_share),
    )
    db.session.flush()
    return row


def _line_for(lines: list[ContractLine], request_kind: str) -> ContractLine | None:
    """The first line of the fee schedule whose service the request was provided under, or None."""
    kind = SERVICE_OF_REQUEST.get(request_kind)
    for line in sorted(lines, key=lambda x: (x.position, x.id)):
        if line.service is not None and line.service.kind == kind:
            return line
    return None


def _period_of(contract: Contract, day: date) -> Period:
    return periods_between(contract.effective_date, day, day + timedelta(days=1))[0]


def propose_credits(tenant: Tenant, today: date) -> int:
    """Propose the §8.2 credit of every service line and ended billing period with breaches of the vendor, in the
    caller's transaction; returns how many were proposed.

    A fixed number of queries per tenant, whatever the number of breaches; the unique (line, period) key keeps a
    re-run, or two runs at once, from proposing anything twice. Contracts whose penalty rate is nil owe none.
    """
    since = today - timedelta(days=LOOKBACK_DAYS + 31)
    since_utc = datetime.combine(since, time.min).replace(tzinfo=now().tzinfo)
    breaches = db.session.execute(
        select(
            SlaBreach.id,
            SlaBreach.contract_id,
            SlaBreach.request_id,
            SlaBreach.kind,
            SlaBreach.clause,
            SlaBreach.due_at,
            SlaBreach.met_at,
            ServiceRequest.kind.label("request_kind"),
            ServiceRequest.number,
        )
        .join(ServiceRequest, ServiceRequest.id == SlaBreach.request_id)
        .where(SlaBreach.tenant_id == tenant.id, SlaBreach.due_at >= since_utc)
        .order_by(SlaBreach.id)
    ).all()
    if not breaches:
        return 0
    contracts = {
        c.id: c
        for c in db.session.scalars(
            select(Contract)
            .options(selectinload(Contract.lines).selectinload(ContractLine.service))
            .where(
                Contract.tenant_id == tenant.id,
                among(Contract.id, sorted({b.contract_id for b in breaches})),
                Contract.status.in_(BILLABLE),
                Contract.penalty_rate > 0,
            )
        )
    }
    groups: dict[tuple[int, Period], list] = defaultdict(list)
    for b in breaches:
        contract = contracts.get(b.contract_id)
        if contract is None:
            continue
        period = _period_of(contract, local_date(tenant, b.due_at))
        line = _line_for(contract.lines, b.request_kind)
        if line is None or period.end > today or period.end < today - timedelta(days=LOOKBACK_DAYS):
            continue
        groups[(line.id, period)].append(b)
    if not groups:
        return 0
    taken = set(
        db.session.execute(
            select(ServiceCredit.contract_line_id, ServiceCredit.period_start).where(
                among(ServiceCredit.contract_line_id, sorted({line_id for line_id, _p in groups}))
            )
        ).all()
    )
    groups = {key: rows for key, rows in groups.items() if (key[0], key[1].start) not in taken}
    if not groups:
        return 0
    lines = {line.id: line for c in contracts.values() for line in c.lines}
    policies = {
        p.contract_id: p
        for p in db.session.scalars(
            select(CreditPolicy).where(
                among(CreditPolicy.contract_id, sorted({lines[k[0]].contract_id for k in groups}))
            )
        )
    }
    requests_of = _requests_with_deadlines(tenant, contracts, {k[1] for k in groups}, lines)
    detected = now()
    rows = []
    for (line_id, period), found in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1].start)):
        line = lines[line_id]
        contract = contracts[line.contract_id]
        policy = policies.get(contract.id)
        rule = policy.rule if policy else CreditRule.WHOLE_FEE
        share = policy.per_breach_share if policy else Decimal("0.1000")
        line_fee = line.quantity * line.monthly_fee
        breached = {b.request_id for b in found}
        requests = len(requests_of.get((line_id, period.start), set()) | breached)
        exact = unperformed_fee(
            rule,
            line_fee,
            breaches=len(found),
            requests=requests,
            breached_requests=len(breached),
            per_breach_share=share,
        )
        rows.append(
            {
                "tenant_id": tenant.id,
                "client_id": contract.client_id,
                "contract_id": contract.id,
                "contract_line_id": line_id,
                "period_index": period.index,
                "period_start": period.start,
                "period_end": period.end,
                "clause": "8.2",
                "rule": rule,
                "line_fee": line_fee,
                "breaches": len(found),
                "requests": requests,
                "breached_requests": len(breached),
                "per_breach_share": share if rule == CreditRule.PER_BREACH else None,
                "basis": exact.quantize(Decimal("0.01")),
                "rate": contract.penalty_rate,
                "amount": credit_amount(exact, contract.penalty_rate, contract.currency),
                "currency": contract.currency,
                "evidence": [
                    {
                        "breach_id": b.id,
                        "request_id": b.request_id,
                        "request": b.number,
                        "kind": b.kind,
                        "clause": b.clause,
                        "due_at": b.due_at.isoformat(),
                        "met_at": b.met_at.isoformat() if b.met_at else None,
                    }
                    for b in found
                ],
                "status": S.PROPOSED,
                "note": "",
                "created_at": detected,
            }
        )
    inserted = insert_new(ServiceCredit, rows, ("contract_line_id", "period_start"), ("id",))
    if inserted and events.wanted(tenant.id, "credit.proposed"):
        new = db.session.scalars(
            select(ServiceCredit)
            .options(selectinload(ServiceCredit.contract), selectinload(ServiceCredit.line))
            .where(ServiceCredit.id.in_([row.id for row in inserted]))
            .order_by(ServiceCredit.id)
        ).all()
        events.publish_many(tenant.id, "credit.proposed", [event_data(c) for c in new])
    return len(inserted)


def event_data(credit: ServiceCredit) -> dict:
    """What a webhook tells of a credit: its id, agreement, line, period, amount and status."""
    return {
        "credit": {
            "id": credit.id,
            "contract": credit.contract.number,
            "client_id": credit.client_id,
            "service_line": credit.line.description,
            "period_start": credit.period_start.isoformat(),
            "amount": f"{credit.amount:f}",
            "currency": credit.currency,
            "status": credit.status,
            "breaches": credit.breaches,
        }
    }


def _decided(credit: ServiceCredit) -> None:
    if events.wanted(credit.tenant_id, "credit.decided"):  # the data loads the line: only when an endpoint listens
        events.publish(credit.tenant_id, "credit.decided", event_data(credit))


def _requests_with_deadlines(tenant, contracts, periods, lines) -> dict[tuple[int, date], set[int]]:
    """{(line id, period start): ids of the line's requests with a deadline in that period} (one query)."""
    start = min(p.start for p in periods)
    stop = max(p.end for p in periods) + timedelta(days=1)
    start_utc = datetime.combine(start - timedelta(days=1), time.min).replace(tzinfo=now().tzinfo)
    stop_utc = datetime.combine(stop, time.min).replace(tzinfo=now().tzinfo)
    deadlines = (ServiceRequest.response_due_at, ServiceRequest.arrival_due_at, ServiceRequest.resolution_due_at)
    rows = db.session.execute(
        select(ServiceRequest.id, ServiceRequest.contract_id, ServiceRequest.kind, *deadlines).where(
            ServiceRequest.tenant_id == tenant.id,
            among(ServiceRequest.contract_id, sorted(contracts)),
            or_(*(d.between(start_utc, stop_utc) for d in deadlines)),
        )
    ).all()
    found: dict[tuple[int, date], set[int]] = defaultdict(set)
    wanted = {(line_id, p.start) for line_id in lines for p in periods}
    for r in rows:
        contract = contracts[r.contract_id]
        line = _line_for(contract.lines, r.kind)
        if line is None:
            continue
        for due in (r.response_due_at, r.arrival_due_at, r.resolution_due_at):
            if due is not None:
                key = (line.id, _period_of(contract, local_date(tenant, due)).start)
                if key in wanted:
                    found[key].add(r.id)
    return found


def _move(credit: ServiceCredit, to: CreditStatus) -> bool:
    """Change a locked credit's status; False when a second click finds it done already, CreditError if refused."""
    if credit.status == to or (to == S.CONFIRMED and credit.status == S.BILLED):
        return False
    if to not in TRANSITIONS[CreditStatus(credit.status)]:
        raise CreditError(
            _("This credit was waived: it can no longer be confirmed.")
            if to == S.CONFIRMED
            else _("This credit was confirmed: it goes on the next invoice and can no longer be waived.")
        )
    credit.status = to
    return True


def confirm(credit: ServiceCredit, actor: User, note: str = "") -> bool:
    """Confirm a proposed credit: it goes on the contract's next invoice. False if it was confirmed already."""
    credit = lock(ServiceCredit, credit.id)  # two clicks or two people take turns
    if not _move(credit, S.CONFIRMED):
        return False
    credit.note, credit.decided_by_id, credit.decided_at = note.strip(), actor.id, now()
    audit.record(
        "credits.credit_confirmed", tenant_id=credit.tenant_id, target=credit, actor=actor, amount=str(credit.amount)
    )
    db.session.flush()
    _decided(credit)
    return True


def waive(credit: ServiceCredit, actor: User, reason: str) -> bool:
    """Give up a proposed credit, for a reason the client sees; nothing is credited. False if waived already."""
    reason = reason.strip()
    if not reason:
        raise CreditError(_("Say why the credit is waived."))
    credit = lock(ServiceCredit, credit.id)
    if not _move(credit, S.WAIVED):
        return False
    credit.note, credit.decided_by_id, credit.decided_at = reason, actor.id, now()
    audit.record(
        "credits.credit_waived",
        tenant_id=credit.tenant_id,
        target=credit,
        actor=actor,
        amount=str(credit.amount),
        reason=reason,
    )
    db.session.flush()
    _decided(credit)
    return True


def uphold(credit: ServiceCredit, actor: User, reason: str) -> bool:
    """A dispute decided for the client (§9): the credit stands, confirmed even if billing staff had waived it, and
    goes on the next invoice; False when it was confirmed or billed already."""
    credit = lock(ServiceCredit, credit.id)
    if credit.status in (S.CONFIRMED, S.BILLED):
        return False
    credit.status, credit.note, credit.decided_by_id, credit.decided_at = S.CONFIRMED, reason, actor.id, now()
    audit.record(
        "credits.credit_upheld", tenant_id=credit.tenant_id, target=credit, actor=actor, amount=str(credit.amount)
    )
    db.session.flush()
    _decided(credit)
    return True


def line_description(line: ContractLine, period_start: date, period_end: date, breaches: int) -> str:
    """The credit's line on the next invoice, in both languages: the service line, the period and the clauses."""
    last = period_end - timedelta(days=1)
    return both_languages(
        lambda: ngettext(
            "Service credit (§8.2) for %(line)s, %(start)s to %(end)s: %(num)d breach of the agreed service (§8.1)",
            "Service credit (§8.2) for %(line)s, %(start)s to %(end)s: %(num)d breaches of the agreed service (§8.1)",
            breaches,
            line=line.description,
            start=period_start.isoformat(),
            end=last.isoformat(),
        ),
        " / ",
    )


def billing_lines(tenant: Tenant, contract_ids: list[int]) -> list[BillingLine]:
    """The confirmed credits of these contracts not billed yet, as negative invoice lines of kind credit."""
    credits = db.session.scalars(
        select(ServiceCredit)
        .options(selectinload(ServiceCredit.line))
        .where(
            ServiceCredit.tenant_id == tenant.id,
            among(ServiceCredit.contract_id, contract_ids),
            ServiceCredit.status == S.CONFIRMED,
            ServiceCredit.billed_invoice_id.is_(None),
        )
        .order_by(ServiceCredit.id)
    ).all()
    return [
        BillingLine(
            c.contract_id,
            f"{LINE_KEY}{c.id}",
            "credit",
            line_description(c.line, c.period_start, c.period_end, c.breaches),
            -c.amount,
            source={"credit_id": c.id, "clause": "8.2", "period_start": c.period_start.isoformat()},
        )
        for c in credits
    ]


def mark_billed(tenant: Tenant, billed: dict[str, int]) -> int:
    """Mark the credits that went on an invoice as billed with that invoice's id, in the run's transaction."""
    rows = [
        {"c_id": int(key.removeprefix(LINE_KEY)), "c_invoice": invoice_id}
        for key, invoice_id in billed.items()
        if key.startswith(LINE_KEY)
    ]
    if not rows:
        return 0
    table = ServiceCredit.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("c_id"), table.c.tenant_id == tenant.id, table.c.status == S.CONFIRMED)
        .values(status=S.BILLED, billed_invoice_id=bindparam("c_invoice"), billed_at=now()),
        rows,
    )
    return len(rows)


def list_credits(
    tenant: Tenant,
    *,
    status: str = "",
    client_id: int | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 25,
):
    """One page of the tenant's (or one client's) credits, proposed first, then newest first; (rows, next_after).

    Keyset on (rank, id), rank 0 for proposed and 1 for the rest; `next_after` is that pair or None.
    """
    rank = case((ServiceCredit.status == S.PROPOSED, 0), else_=1)
    stmt = (
        select(ServiceCredit, rank.label("rank"))
        .options(
            selectinload(ServiceCredit.client),
            selectinload(ServiceCredit.contract),
            selectinload(ServiceCredit.line),
            selectinload(ServiceCredit.decided_by),
            selectinload(ServiceCredit.billed_invoice),
        )
        .where(ServiceCredit.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(ServiceCredit.client_id == client_id)
    if status:
        stmt = stmt.where(ServiceCredit.status == status)
    if after:
        stmt = stmt.where((rank > after[0]) | ((rank == after[0]) & (ServiceCredit.id < after[1])))
    rows = db.session.execute(stmt.order_by(rank, ServiceCredit.id.desc()).limit(limit + 1)).all()
    more = rows[limit - 1] if len(rows) > limit else None
    return [r[0] for r in rows[:limit]], ((more[1], more[0].id) if more else None)


def of_contract(contract: Contract) -> list[ServiceCredit]:
    """A contract's credits, newest period first."""
    return db.session.scalars(
        select(ServiceCredit)
        .options(selectinload(ServiceCredit.line), selectinload(ServiceCredit.billed_invoice))
        .where(ServiceCredit.contract_id == contract.id, ServiceCredit.tenant_id == contract.tenant_id)
        .order_by(ServiceCredit.period_start.desc(), ServiceCredit.id)
    ).all()


def totals_by_clause(contract: Contract, year: int) -> dict[str, dict[str, Decimal]]:
    """What the vendor's breaches cost in `year`, per breach clause: {"8.1.2": {"proposed": …, "confirmed": …,
    "billed": …}}. A credit resting on breaches of several clauses is shared among them by its breaches."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    credits = db.session.scalars(
        select(ServiceCredit).where(
            ServiceCredit.contract_id == contract.id,
            ServiceCredit.tenant_id == contract.tenant_id,
            func.extract("year", ServiceCredit.period_start) == year,
            ServiceCredit.status != S.WAIVED,
        )
    ).all()
    for credit in credits:
        clauses = [e["clause"] for e in credit.evidence] or ["8.1"]
        for clause in set(clauses):
            share = credit.amount * clauses.count(clause) / len(clauses)
            totals[clause][credit.status] += share
    return {clause: dict(by_status) for clause, by_status in totals.items()}
