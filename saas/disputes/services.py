"""Disputes (§9): opened by either party about a credit, a penalty, an invoice, a breach or anything else; they
climb negotiation → mediation → arbitration → litigation, each step with its venue from the agreement, a deadline,
minutes and a result; both parties' admins are reminded 7 days and 1 day before a deadline, once each; an invoice
amount under dispute is held; the resolution is applied through the services that own the subject."""

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from saas.billing.models import Invoice
from saas.billing.payments import OPEN_INVOICES, lock
from saas.billing.penalty_models import LatePenalty
from saas.claims import services as claims
from saas.claims.models import Claim
from saas.contracts.models import Contract
from saas.core import audit, events
from saas.core.bulk import among
from saas.core.clock import local_today, now
from saas.core.counters import locked_counter
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, Tenant, User
from saas.core.money import quantize
from saas.credits.models import ServiceCredit
from saas.disputes.models import (
    CLAUSES,
    LADDER,
    Dispute,
    DisputeNumber,
    DisputeStatus,
    DisputeStep,
    Outcome,
    Stage,
    Subject,
)
from saas.extensions import db
from saas.materials.models import MaterialsPenalty
from saas.requests.models import SlaBreach

STAGE_LABELS = {
    Stage.NEGOTIATION: _l("Negotiation (§9.1)"),
    Stage.MEDIATION: _l("Mediation (§9.2)"),
    Stage.ARBITRATION: _l("Arbitration (§9.3)"),
    Stage.LITIGATION: _l("Litigation (§9.4)"),
}
SUBJECT_LABELS = {
    Subject.CREDIT: _l("A service credit"),
    Subject.PENALTY: _l("A late-payment penalty"),
    Subject.MATERIALS: _l("A penalty for materials not supplied"),
    Subject.INVOICE: _l("An invoice"),
    Subject.BREACH: _l("A recorded breach"),
    Subject.CLAIM: _l("A claim for damages"),
    Subject.OTHER: _l("Something else"),
}
STATUS_LABELS = {
    DisputeStatus.OPEN: _l("Under way"),
    DisputeStatus.RESOLVED: _l("Resolved"),
    DisputeStatus.WITHDRAWN: _l("Withdrawn"),
}
OUTCOME_LABELS = {
    Outcome.FOR_CLIENT: _l("In Party A's (the client's) favour"),
    Outcome.FOR_VENDOR: _l("In Party B's (the vendor's) favour"),
    Outcome.SETTLED: _l("Settled between the parties"),
}
#: Days each step runs before its deadline, until the vendor sets another when the step opens.
DEFAULT_DAYS = {Stage.NEGOTIATION: 30, Stage.MEDIATION: 60, Stage.ARBITRATION: 120, Stage.LITIGATION: 365}
#: Days before a step's deadline on which both parties' admins are reminded, once each.
REMINDER_DAYS = (7, 1)


class DisputeError(ServiceError):
    """A dispute that cannot be opened, moved or resolved this way; the message says why."""


def _number(tenant: Tenant, today: date) -> str:
    counter = locked_counter(DisputeNumber, tenant_id=tenant.id, year=today.year)
    counter.last_value += 1
    return f"ZY-{today.year}-{counter.last_value:04d}"


def venue(contract: Contract, stage: str) -> str:
    """Where a step takes place, from the agreement's terms: the mediation committee (§9.2) and the court (§9.4)
    at Party B's locality; an arbitration commission is named by the parties when the dispute gets there."""
    return {Stage.MEDIATION: contract.mediation_venue, Stage.LITIGATION: contract.court_venue}.get(stage, "")


def subject_of(tenant: Tenant, kind: str, ident: int | None, client_id: int | None):
    """(contract, label, invoice to hold, amount, currency) of a dispute's subject in this tenant (and client)."""
    # The label is kept as it was when the dispute opened, in no language: the subject's kind names it for readers.
    if kind == Subject.CREDIT:
        row = ServiceCredit.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such service credit."))
        label = f"{row.amount} {row.currency} · {row.line.description} · {row.period_start.isoformat()}"
        return row.contract, label, None, row.amount, row.currency
    if kind == Subject.PENALTY:
        row = LatePenalty.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such penalty."))
        return (
            row.contract,
            f"{row.amount} {row.currency} · {row.breach.invoice_number}",
            None,
            row.amount,
            row.currency,
        )
    if kind == Subject.MATERIALS:
        row = MaterialsPenalty.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such penalty."))
        return (
            row.contract,
            f"{row.amount} {row.currency} · #{row.breach.evidence.get('request')}",
            None,
            row.amount,
            row.currency,
        )
    if kind == Subject.INVOICE:
        row = Invoice.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such invoice."))
        return row.contract, row.number, row, row.balance, row.currency
    if kind == Subject.BREACH:
        row = SlaBreach.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such breach."))
        contract = db.session.get(Contract, row.contract_id)
        return contract, f"§{row.clause} · #{row.evidence.get('request')}", None, None, contract.currency
    if kind == Subject.CLAIM:
        row = Claim.get_in(tenant, ident, client_id)
        if row is None:
            raise DisputeError(_("There is no such claim."))
        claims.check_disputable(row)
        return row.contract, claims.subject_label(row), None, row.total, row.currency
    raise DisputeError(_("Say what the dispute is about."))


def open_dispute(
    tenant: Tenant,
    party: str,
    actor: User,
    *,
    subject: str,
    subject_id: int | None,
    contract: Contract | None,
    summary: str,
    amount: Decimal | None = None,
    deadline: date | None = None,
    client_id: int | None = None,
) -> Dispute:
    """Open a dispute at negotiation (§9.1); an invoice's disputed amount is held from now on. In the caller's
    transaction; a second open dispute about the same subject is refused."""
    summary = (summary or "").strip()
    if not summary:
        raise DisputeError(_("Say what is disputed and why."))
    held = None
    if subject == Subject.OTHER:
        if contract is None:
            raise DisputeError(_("Choose the agreement the dispute is under."))
        label, currency, subject_id = contract.number, contract.currency, None
    else:
        contract, label, held, default_amount, currency = subject_of(tenant, subject, subject_id, client_id)
        amount = default_amount if amount is None else amount
    if held is not None:
        if held.status not in OPEN_INVOICES:
            raise DisputeError(_("Only an invoice still owed can be disputed: credit a paid or void one instead."))
        if amount is None or amount <= 0 or amount > held.balance:
            raise DisputeError(
                _(
                    "The amount in dispute is more than zero and at most what is owed (%(balance)s).",
                    balance=held.balance,
                )
            )
    if amount is not None:
        if amount <= 0:
            raise DisputeError(_("The amount in dispute must be more than zero."))
        if quantize(amount, currency) != amount:
            raise DisputeError(_("Give the amount in the currency's smallest unit at most."))
    today = local_today(tenant)
    deadline = deadline or today + timedelta(days=DEFAULT_DAYS[Stage.NEGOTIATION])
    if deadline <= today:
        raise DisputeError(_("The deadline must be after today."))
    dispute = Dispute(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        number=_number(tenant, today),
        contract_id=contract.id,
        subject=subject,
        subject_id=subject_id,
        subject_label=str(label)[:200],
        held_invoice_id=held.id if held is not None else None,
        amount=amount,
        currency=currency,
        raised_by_party=party,
        raised_by_id=actor.id,
        summary=summary,
        status=DisputeStatus.OPEN,
        stage=Stage.NEGOTIATION,
        opened_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:
        raise DisputeError(_("A dispute about this is open already: follow it there.")) from None
    _open_step(dispute, contract, Stage.NEGOTIATION, today, deadline, venue(contract, Stage.NEGOTIATION))
    if subject == Subject.CLAIM:  # the claim waits for the dispute's resolution
        claims.disputed(Claim.get_in(tenant, subject_id), party, actor, dispute.number)
    audit.record("disputes.opened", tenant_id=tenant.id, target=dispute, actor=actor, number=dispute.number)
    db.session.flush()
    _publish(dispute, "dispute.opened")
    return dispute


def _publish(dispute: Dispute, event_type: str) -> None:
    """Tell the tenant's webhooks of the dispute as it now stands (when any endpoint listens)."""
    if not events.wanted(dispute.tenant_id, event_type):
        return
    events.publish(
        dispute.tenant_id,
        event_type,
        {
            "dispute": {
                "id": dispute.id,
                "number": dispute.number,
                "contract": dispute.contract.number,
                "client_id": dispute.client_id,
                "subject": dispute.subject,
                "subject_id": dispute.subject_id,
                "status": dispute.status,
                "stage": dispute.stage,
                "outcome": dispute.outcome or None,
                "deadline": dispute.current_step.deadline.isoformat() if dispute.current_step else None,
            }
        },
    )


def _open_step(dispute: Dispute, contract: Contract, stage: str, today: date, deadline: date, where: str) -> None:
    db.session.add(
        DisputeStep(
            tenant_id=dispute.tenant_id,
            client_id=dispute.client_id,
            dispute_id=dispute.id,
            stage=stage,
            clause=CLAUSES[stage],
            venue=where,
            opened_on=today,
            deadline=deadline,
        )
    )
    db.session.flush()
    db.session.expire(dispute, ["steps"])


def _locked(dispute: Dispute) -> Dispute:
    dispute = lock(Dispute, dispute.id)
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeError(_("This dispute is closed."))
    return dispute


def escalate(dispute: Dispute, actor: User, *, result: str, deadline: date | None, where: str = "") -> DisputeStep:
    """The current step did not settle it: close it with its result and open the next step of the ladder (§9.2
    after §9.1, §9.3 after §9.2, §9.4 after §9.3); no step is skipped and none comes after litigation."""
    dispute = _locked(dispute)
    position = LADDER.index(Stage(dispute.stage))
    if position == len(LADDER) - 1:
        raise DisputeError(_("Litigation is the last step: the court's judgment resolves the dispute."))
    result = (result or "").strip()
    if not result:
        raise DisputeError(_("Say how this step ended."))
    following = LADDER[position + 1]
    where = (where or "").strip() or venue(dispute.contract, following)
    if not where:
        raise DisputeError(_("Name where the %(stage)s takes place.", stage=STAGE_LABELS[following]))
    today = local_today(dispute.contract.tenant)
    deadline = deadline or today + timedelta(days=DEFAULT_DAYS[following])
    if deadline <= today:
        raise DisputeError(_("The deadline must be after today."))
    current = dispute.current_step
    current.closed_on, current.result = today, result[:200]
    dispute.stage = following
    _open_step(dispute, dispute.contract, following, today, deadline, where[:200])
    audit.record(
        "disputes.escalated",
        tenant_id=dispute.tenant_id,
        target=dispute,
        actor=actor,
        number=dispute.number,
        stage=following,
    )
    db.session.flush()
    _publish(dispute, "dispute.changed")
    return dispute.current_step


def record_minutes(dispute: Dispute, actor: User, minutes: str) -> None:
    """Add to the minutes of the current step (meetings, offers, the committee's record), with who and when."""
    dispute = _locked(dispute)
    minutes = (minutes or "").strip()
    if not minutes:
        raise DisputeError(_("Write the minutes."))
    step = dispute.current_step
    stamp = f"[{now().strftime('%Y-%m-%d %H:%M')} UTC · {actor.name}]"
    step.minutes = f"{step.minutes}\n\n{stamp}\n{minutes}".strip()
    audit.record("disputes.minutes", tenant_id=dispute.tenant_id, target=dispute, actor=actor, number=dispute.number)
    db.session.flush()


def resolve(dispute: Dispute, actor: User, *, outcome: str, note: str, amount: Decimal | None = None) -> Dispute:
    """Resolve the dispute at its current step and apply the outcome through the services owning its subject:
    a held invoice amount decided or settled for the client is credited (credit note); a credit decided for the
    client stands (confirmed, or confirmed again after a waiver), for the vendor it is waived; a penalty the other
    way round. The hold ends."""
    from saas.billing import late
    from saas.billing.corrections import issue_credit_note
    from saas.credits import services as credits
    from saas.materials import penalties as materials_penalties

    dispute = _locked(dispute)
    if outcome not in Outcome.__members__.values():
        raise DisputeError(_("Choose the outcome."))
    note = (note or "").strip()
    if not note:
        raise DisputeError(_("Say what was decided or agreed."))
    tenant = dispute.contract.tenant
    reason = _("Dispute %(number)s: %(note)s", number=dispute.number, note=note)[:500]
    if dispute.subject == Subject.INVOICE and outcome in (Outcome.FOR_CLIENT, Outcome.SETTLED):
        credit = dispute.amount if outcome == Outcome.FOR_CLIENT else amount
        if credit is None or credit <= 0 or credit > (dispute.amount or 0):
            raise DisputeError(_("Give the amount agreed, at most the amount in dispute."))
        issue_credit_note(db.session.get(Invoice, dispute.held_invoice_id), credit, reason, actor)
    elif dispute.subject == Subject.CREDIT:
        row = ServiceCredit.get_in(tenant, dispute.subject_id)
        if outcome == Outcome.FOR_CLIENT:
            credits.uphold(row, actor, reason)
        elif outcome == Outcome.FOR_VENDOR and row.status == "proposed":
            credits.waive(row, actor, reason)
    elif dispute.subject == Subject.PENALTY:
        row = LatePenalty.get_in(tenant, dispute.subject_id)
        if row.status == "proposed":
            (late.waive(row, actor, reason) if outcome == Outcome.FOR_CLIENT else late.confirm(row, actor, reason))
    elif dispute.subject == Subject.MATERIALS:
        row = MaterialsPenalty.get_in(tenant, dispute.subject_id)
        if row.status == "proposed":
            (
                materials_penalties.waive(row, actor, reason)
                if outcome == Outcome.FOR_CLIENT
                else materials_penalties.confirm(row, actor, reason)
            )
    elif dispute.subject == Subject.CLAIM:
        row = Claim.get_in(tenant, dispute.subject_id)
        favours = {Outcome.FOR_CLIENT: "A", Outcome.FOR_VENDOR: "B"}.get(outcome)
        claims.decided(
            row,
            actor,
            for_claimant=None if favours is None else favours == row.claimant_party,
            amount=amount,
            dispute_number=dispute.number,
        )
    today = local_today(tenant)
    step = dispute.current_step
    step.closed_on, step.result = today, str(OUTCOME_LABELS[outcome])[:200]
    dispute.status, dispute.outcome, dispute.outcome_note = DisputeStatus.RESOLVED, outcome, note
    dispute.resolved_at, dispute.resolved_by_id = now(), actor.id
    audit.record(
        "disputes.resolved",
        tenant_id=dispute.tenant_id,
        target=dispute,
        actor=actor,
        number=dispute.number,
        outcome=outcome,
    )
    db.session.flush()
    _publish(dispute, "dispute.changed")
    return dispute


def withdraw(dispute: Dispute, actor: User, party: str, reason: str) -> Dispute:
    """The party that raised the dispute gives it up; the hold ends and nothing is applied."""
    dispute = _locked(dispute)
    if party != dispute.raised_by_party:
        raise DisputeError(_("Only the party that raised a dispute withdraws it."))
    reason = (reason or "").strip()
    if not reason:
        raise DisputeError(_("Say why the dispute is withdrawn."))
    step = dispute.current_step
    step.closed_on, step.result = local_today(dispute.contract.tenant), str(_("Withdrawn"))
    dispute.status, dispute.outcome_note, dispute.resolved_at, dispute.resolved_by_id = (
        DisputeStatus.WITHDRAWN,
        reason,
        now(),
        actor.id,
    )
    if dispute.subject == Subject.CLAIM:  # the claim is back where it was before the dispute
        claims.dispute_withdrawn(Claim.get_in(dispute.tenant_id, dispute.subject_id), actor, dispute.number)
    audit.record("disputes.withdrawn", tenant_id=dispute.tenant_id, target=dispute, actor=actor, number=dispute.number)
    db.session.flush()
    _publish(dispute, "dispute.changed")
    return dispute


def held_amounts(tenant: Tenant, invoice_ids: list[int]) -> dict[int, Decimal]:
    """{invoice id: amount held} of these invoices, from the open disputes about them (one query)."""
    if not invoice_ids:
        return {}
    rows = db.session.execute(
        select(Dispute.held_invoice_id, func.sum(Dispute.amount))
        .where(
            Dispute.tenant_id == tenant.id,
            Dispute.status == DisputeStatus.OPEN,
            among(Dispute.held_invoice_id, invoice_ids),
        )
        .group_by(Dispute.held_invoice_id)
    ).all()
    return {invoice_id: Decimal(total) for invoice_id, total in rows}


def open_about(tenant: Tenant, subject: str, subject_id: int) -> Dispute | None:
    """The open dispute about this subject, if any."""
    return db.session.scalar(
        select(Dispute).where(
            Dispute.tenant_id == tenant.id,
            Dispute.subject == subject,
            Dispute.subject_id == subject_id,
            Dispute.status == DisputeStatus.OPEN,
        )
    )


def list_disputes(
    tenant: Tenant, *, status: str = "", client_id: int | None = None, after: int | None = None, limit: int = 25
):
    """One page of disputes, newest first (keyset on id); returns (rows, next_after)."""
    stmt = (
        select(Dispute)
        .options(selectinload(Dispute.contract), selectinload(Dispute.client))
        .where(Dispute.tenant_id == tenant.id)
    )
    if client_id is not None:
        stmt = stmt.where(Dispute.client_id == client_id)
    if status:
        stmt = stmt.where(Dispute.status == status)
    if after:
        stmt = stmt.where(Dispute.id < after)
    rows = db.session.scalars(stmt.order_by(Dispute.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def admins_of_both(dispute: Dispute) -> list[tuple[User, bool]]:
    """The vendor's admins and the client's admins: (user, is_vendor)."""
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership)
        .where(
            Membership.tenant_id == dispute.tenant_id,
            User.active,
            (Membership.role == Role.VENDOR_ADMIN)
            | ((Membership.role == Role.CLIENT_ADMIN) & (Membership.client_id == dispute.client_id)),
        )
        .order_by(User.id)
    ).all()
    return [(user, role == Role.VENDOR_ADMIN) for user, role in rows]


def remind_deadlines(tenant: Tenant, today: date) -> int:
    """Mail both parties' admins 7 days and 1 day before each open step's deadline, once each (a day missed is
    caught up the next day, never sent twice); returns how many reminders went out."""
    steps = db.session.scalars(
        select(DisputeStep)
        .join(Dispute, Dispute.id == DisputeStep.dispute_id)
        .where(
            DisputeStep.tenant_id == tenant.id,
            Dispute.status == DisputeStatus.OPEN,
            DisputeStep.closed_on.is_(None),
            DisputeStep.deadline <= today + timedelta(days=max(REMINDER_DAYS)),
            DisputeStep.deadline >= today,
        )
        .with_for_update(of=DisputeStep)
    ).all()
    sent = 0
    for step in steps:
        left = (step.deadline - today).days
        for days, field in ((7, "reminded_7_at"), (1, "reminded_1_at")):
            if left <= days and getattr(step, field) is None and (days == 1 or left > 1):
                _mail_reminder(step, days)
                setattr(step, field, now())
                sent += 1
    db.session.flush()
    return sent


def _mail_reminder(step: DisputeStep, days: int) -> None:
    dispute = step.dispute
    slug = dispute.contract.tenant.slug

    def text_for(is_vendor):
        page = "disputes.detail" if is_vendor else "portal_disputes.portal_detail"
        link = external_url(page, tenant=slug, dispute_id=dispute.id)
        subject = both_languages(
            lambda: _(
                "Dispute %(number)s: %(stage)s ends on %(day)s",
                number=dispute.number,
                stage=STAGE_LABELS[step.stage],
                day=step.deadline.isoformat(),
            ),
            " / ",
        )
        body = both_languages(
            lambda: _(
                "The %(stage)s of dispute %(number)s (%(about)s) under agreement %(contract)s reaches its deadline "
                "on %(day)s. See it here: %(link)s",
                stage=STAGE_LABELS[step.stage],
                number=dispute.number,
                about=dispute.subject_label,
                contract=dispute.contract.number,
                day=step.deadline.isoformat(),
                link=link,
            )
        )
        return subject, body

    mail_people(
        admins_of_both(dispute),
        key=f"dispute-deadline:{step.id}:{days}",
        tenant_id=dispute.tenant_id,
        text_for=text_for,
    )
