"""Change agreements signed by both parties: amendments (§10.2, Annex 10) and terminations (§10.3, §10.4)."""

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.contracts import services, signing
from saas.contracts.models import (
    TERM_FIELDS,
    ChangeKind,
    ChangeStatus,
    Contract,
    ContractChange,
    ContractLine,
    ContractStatus,
)
from saas.core import audit
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.money import quantize, round_half_up
from saas.extensions import db

IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.EXPIRING)


def open_change(contract: Contract) -> ContractChange | None:
    """The change agreement waiting for signatures, if any (one at a time)."""
    return db.session.scalar(
        select(ContractChange).where(
            ContractChange.contract_id == contract.id, ContractChange.status == ChangeStatus.AWAITING_SIGNATURES
        )
    )


def list_changes(contract: Contract) -> list[ContractChange]:
    """Every change agreement of a contract, oldest first: the contract's version history."""
    return db.session.scalars(
        select(ContractChange).where(ContractChange.contract_id == contract.id).order_by(ContractChange.id)
    ).all()


def _new_change(contract: Contract, kind: ChangeKind, effective_date, reason: str, changes: dict, actor):
    if contract.status not in IN_FORCE:
        raise ServiceError(_("Only a contract in force can be amended or terminated."))
    if open_change(contract) is not None:
        raise ServiceError(_("Another change agreement is waiting for signatures: sign or withdraw it first."))
    count = db.session.scalar(
        select(func.count(ContractChange.id)).where(
            ContractChange.contract_id == contract.id, ContractChange.kind == kind
        )
    )
    letter = "A" if kind == ChangeKind.AMENDMENT else "T"
    change = ContractChange(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        kind=kind,
        number=f"{contract.number}-{letter}{count + 1}",
        effective_date=effective_date,
        reason=reason.strip(),
        changes=changes,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    db.session.flush()
    until = _confidentiality_until(contract, effective_date if kind == ChangeKind.TERMINATION else None)
    signing.freeze(
        contract,
        change.subject,
        lambda lang: signing.render(
            f"contracts/document/change_{lang}.html",
            contract,
            lang,
            change=change,
            term_labels=_term_labels(lang),
            confidentiality_until=until,
        ),
    )
    services.record_event(contract, f"{kind}_proposed", actor, note=change.number)
    audit.record(f"contracts.{kind}_proposed", tenant_id=contract.tenant_id, target=change, number=change.number)
    return change


def _term_labels(language: str) -> dict:
    from flask_babel import force_locale

    from saas.contracts.forms import TERM_LABELS

    with force_locale(language):
        return {name: str(label) for name, label in TERM_LABELS.items()}


def propose_termination(contract: Contract, last_day, reason: str, actor=None) -> ContractChange:
    """A termination agreement by mutual consent (§10.3): the contract ends after `last_day` once both sign."""
    if last_day < local_today(contract.tenant) and not reason.strip():
        raise ServiceError(_("A termination with a past date needs a reason."))
    _before_term_end(contract, last_day)
    return _new_change(contract, ChangeKind.TERMINATION, last_day, reason, {}, actor)


def _same(old, new) -> bool:
    """Equal as values: 0.1 and 0.1000 are the same rate, "" and None the same empty venue."""
    if isinstance(old, (int, Decimal)) and new not in (None, ""):
        return Decimal(str(old)) == Decimal(str(new))
    return (old or "") == (new or "")


def _line_rows(lines, currency: str) -> list[dict]:
    """Fee lines as rounded, comparable, JSON-ready values."""
    return [
        {
            "service_id": row["service_id"],
            "description": row["description"],
            "quantity": str(round_half_up(row["quantity"], 2)),
            "monthly_fee": str(quantize(row["monthly_fee"], currency)),
        }
        for row in lines
    ]


def propose_amendment(contract: Contract, terms: dict, lines: list[dict], effective_date, reason: str, actor=None):
    """A change agreement (§10.2): the terms and fee lines that differ, old → new, from `effective_date`."""
    diff = {
        name: [str(getattr(contract, name)), str(terms[name])]
        for name in TERM_FIELDS
        if not _same(getattr(contract, name), terms[name])
    }
    current = [
        {
            "service_id": ln.service_id,
            "description": ln.description,
            "quantity": ln.quantity,
            "monthly_fee": ln.monthly_fee,
        }
        for ln in contract.lines
    ]
    old_lines, new_lines = _line_rows(current, contract.currency), _line_rows(lines, contract.currency)
    changes = {"terms": diff}
    if new_lines != old_lines:
        changes["lines"] = {"old": old_lines, "new": new_lines}
    if not diff and "lines" not in changes:
        raise ServiceError(_("The amendment changes nothing."))
    if effective_date < contract.effective_date or effective_date >= services.term_end(contract):
        raise ServiceError(_("An amendment takes effect within the contract's term."))
    return _new_change(contract, ChangeKind.AMENDMENT, effective_date, reason, changes, actor)


def withdraw_change(change: ContractChange, actor=None) -> None:
    """Withdraw a change agreement nobody has signed yet."""
    if change.status != ChangeStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This change agreement is no longer open."))
    if signing.signatures_for(change.contract, change.subject):
        raise ServiceError(_("A party has signed this version: it can no longer be taken back."))
    change.status = ChangeStatus.WITHDRAWN
    services.record_event(change.contract, f"{change.kind}_withdrawn", actor, note=change.number)


def sign_change(change: ContractChange, party: str, user, document_id: int, seen_sha256: str, ip="", agent=""):
    """Sign a change agreement; the second signature applies it."""
    signing.lock(change.contract)
    db.session.refresh(change)
    if change.status != ChangeStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This change agreement is no longer open."))
    contract = change.contract
    if contract.status not in IN_FORCE:
        raise ServiceError(_("Only a contract in force can be amended or terminated."))
    if not signing.sign_subject(contract, change.subject, party, user, document_id, seen_sha256, ip, agent):
        return
    change.status = ChangeStatus.SIGNED
    change.signed_on = local_today(contract.tenant)
    if change.kind == ChangeKind.TERMINATION:
        contract.terminated_on = change.effective_date
        services.transition(contract, ContractStatus.TERMINATED, user, kind="terminated", note=change.number)
    else:
        _apply_amendment(change, user)


def _apply_amendment(change: ContractChange, user) -> None:
    """Write the signed changes into the contract: the only path by which signed terms change (§10.2)."""
    contract = change.contract
    db.session.info["applying_change"] = change.id
    try:
        for name, (_old, new) in change.changes.get("terms", {}).items():
            column = Contract.__table__.c[name]
            value = Decimal(new) if name == "penalty_rate" else (int(new) if column.type.python_type is int else new)
            setattr(contract, name, value)
        if "lines" in change.changes:
            contract.lines.clear()
            db.session.flush()
            for position, row in enumerate(change.changes["lines"]["new"]):
                contract.lines.append(
                    ContractLine(
                        tenant_id=contract.tenant_id,
                        client_id=contract.client_id,
                        position=position,
                        service_id=row["service_id"],
                        description=row["description"],
                        quantity=Decimal(row["quantity"]),
                        monthly_fee=Decimal(row["monthly_fee"]),
                    )
                )
        contract.ends_on = services.term_end(contract)
        services.record_event(contract, "amended", user, note=change.number)
        today = local_today(contract.tenant)
        if contract.status == ContractStatus.EXPIRING and today < services.renewal_window_start(contract):
            services.transition(contract, ContractStatus.ACTIVE, user, kind="renewal_window_left")
        db.session.flush()
    finally:
        db.session.info.pop("applying_change", None)


def how_terminated(contract: Contract) -> str | None:
    """The history entry that ended the contract: "terminated" (a signed termination) or "terminated_for_breach"."""
    from saas.contracts.models import ContractEvent

    return db.session.scalar(
        select(ContractEvent.kind)
        .where(
            ContractEvent.contract_id == contract.id,
            ContractEvent.kind.in_(("terminated", "terminated_for_breach")),
        )
        .order_by(ContractEvent.id.desc())
        .limit(1)
    )


def confidentiality_ends(contract: Contract):
    """The day the confidentiality duty ends (§7.2): the years after the contract's end or termination."""
    return _confidentiality_until(contract, contract.terminated_on)


def _confidentiality_until(contract: Contract, terminated_on=None):
    from saas.core.clock import add_months

    return add_months(terminated_on or services.last_day(contract), 12 * contract.confidentiality_years)


def _before_term_end(contract: Contract, last_day) -> None:
    """A termination's last day comes before the term would end anyway."""
    if last_day >= services.term_end(contract):
        raise ServiceError(
            _(
                "The contract ends on %(day)s anyway; a termination must come before.",
                day=services.last_day(contract).isoformat(),
            )
        )


def check_termination_day(contract: Contract, last_day) -> None:
    """Refuse a unilateral termination's last day unless the contract is in force, the day is today or later and
    before the term would end anyway."""
    if contract.status not in IN_FORCE:
        raise ServiceError(_("Only a contract in force can be amended or terminated."))
    if last_day < local_today(contract.tenant):
        raise ServiceError(_("A termination for breach takes effect today or later."))
    _before_term_end(contract, last_day)


def terminate_for_breach(contract: Contract, last_day, actor, note: str) -> None:
    """End the contract after `last_day` on one party's notice of termination for the other's breach (§10.3):
    no signatures; the notices domain checks that the cure deadline passed. Open change agreements lapse."""
    signing.lock(contract)
    db.session.refresh(contract)
    check_termination_day(contract, last_day)
    pending = open_change(contract)
    if pending is not None:
        pending.status = ChangeStatus.WITHDRAWN
        services.record_event(contract, f"{pending.kind}_withdrawn", actor, note=pending.number)
    with db.session.no_autoflush:  # the end day and the status reach the flush guard together
        contract.terminated_on = last_day
        services.transition(contract, ContractStatus.TERMINATED, actor, kind="terminated_for_breach", note=note)
    audit.record(
        "contracts.terminated_for_breach",
        tenant_id=contract.tenant_id,
        target=contract,
        actor=actor,
        number=contract.number,
        last_day=last_day.isoformat(),
    )
