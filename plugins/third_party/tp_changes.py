"""Changes and termination because of a third party (Part 2 §9, §10): a change agreement of a client's agreement
raised because of a subcontractor, with the reason (§9.1); its breaches after such a change has been signed are
marked as failing after the change (§9.3); and the agreement's termination because of it (§10), through the
contracts domain's own change agreements and signatures."""

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.third_party.liability import claimable_subcontractors
from plugins.third_party.models import ChangeLink, Subcontractor
from plugins.third_party.services import NAME, FieldError
from saas.contracts import changes
from saas.contracts.models import ChangeKind, ChangeStatus, Contract, ContractChange
from saas.core import audit
from saas.core.clock import local_date, now
from saas.core.models import User
from saas.extensions import db

CLAUSE_OF = {ChangeKind.AMENDMENT: "9.1", ChangeKind.TERMINATION: "10"}


def linkable(contract: Contract) -> list[ContractChange]:
    """The agreement's amendments not yet tied to a third party and not withdrawn."""
    tied = select(ChangeLink.change_id)
    return db.session.scalars(
        select(ContractChange)
        .where(
            ContractChange.contract_id == contract.id,
            ContractChange.kind == ChangeKind.AMENDMENT,
            ContractChange.status != ChangeStatus.WITHDRAWN,
            ContractChange.id.not_in(tied),
        )
        .order_by(ContractChange.id)
    ).all()


def _checked(contract: Contract, subcontractor: Subcontractor | None, reason: str) -> str:
    if subcontractor is None or subcontractor.id not in {s.id for s in claimable_subcontractors(contract)}:
        raise FieldError(_("Choose a subcontractor that works or worked on this agreement."), "subcontractor_id")
    reason = (reason or "").strip()
    if not reason:
        raise FieldError(_("Say how the third party makes the change necessary."), "reason")
    return reason


def _link(change: ContractChange, subcontractor: Subcontractor, reason: str, actor: User) -> ChangeLink:
    link = ChangeLink(
        tenant_id=change.tenant_id,
        client_id=change.client_id,
        change_id=change.id,
        contract_id=change.contract_id,
        subcontractor_id=subcontractor.id,
        clause=CLAUSE_OF[ChangeKind(change.kind)],
        reason=reason,
        linked_by_id=actor.id,
        created_at=now(),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        f"{NAME}.change_raised",
        tenant_id=change.tenant_id,
        target=link,
        actor=actor,
        change=change.number,
        subcontractor=subcontractor.legal_name,
        clause=link.clause,
    )
    return link


def tie_amendment(change: ContractChange | None, subcontractor: Subcontractor | None, reason: str, actor: User):
    """Record that an amendment of the agreement is raised because of a third party (Part 2 §9.1), with why."""
    if change is None or change.kind != ChangeKind.AMENDMENT or change.status == ChangeStatus.WITHDRAWN:
        raise FieldError(_("Choose an amendment of this agreement."), "change_id")
    if db.session.scalar(select(ChangeLink.id).where(ChangeLink.change_id == change.id)):
        raise FieldError(_("This amendment is tied to a third party already."), "change_id")
    reason = _checked(change.contract, subcontractor, reason)
    return _link(change, subcontractor, reason, actor)


def propose_termination(contract: Contract, subcontractor: Subcontractor | None, last_day, reason: str, actor: User):
    """Propose ending the agreement because of a third party (Part 2 §10): the contracts domain's termination
    agreement, signed by both parties, with the reason on it."""
    reason = _checked(contract, subcontractor, reason)
    if last_day is None:
        raise FieldError(_("Give the last day the agreement is in force."), "last_day")
    if changes.open_change(contract) is not None:
        raise FieldError(
            _("Another change of this agreement awaits signatures; finish or withdraw it first."), "last_day"
        )
    full = _(
        "Because of the third party %(name)s (Part 2 §10): %(reason)s", name=subcontractor.legal_name, reason=reason
    )
    change = changes.propose_termination(contract, last_day, full, actor)
    _link(change, subcontractor, reason, actor)
    return change


def links_of(contract: Contract) -> list[tuple[ChangeLink, ContractChange]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(ChangeLink, ContractChange)
            .join(ContractChange, ContractChange.id == ChangeLink.change_id)
            .where(ChangeLink.contract_id == contract.id)
            .order_by(ChangeLink.id)
        ).all()
    ]


def signed_change_before(contract_id: int, subcontractor_id: int, when) -> ContractChange | None:
    """The latest amendment raised because of this subcontractor and signed by the time `when`: a breach after it is
    the third party failing after the change (Part 2 §9.3)."""
    return db.session.scalar(
        select(ContractChange)
        .join(ChangeLink, ChangeLink.change_id == ContractChange.id)
        .where(
            ChangeLink.contract_id == contract_id,
            ChangeLink.subcontractor_id == subcontractor_id,
            ChangeLink.clause == "9.1",
            ContractChange.status == ChangeStatus.SIGNED,
            ContractChange.signed_on.is_not(None),
            # signed_on is the tenant's day: compare with the breach's day there, not in UTC
            ContractChange.signed_on <= local_date(db.session.get(Contract, contract_id).tenant, when),
        )
        .order_by(ContractChange.signed_on.desc(), ContractChange.id.desc())
    )
