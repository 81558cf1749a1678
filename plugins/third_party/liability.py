"""Claims against a subcontractor for its breach (Part 2 §6.2, Part 2 §6.3): a penalty or damages, the direct and the
indirect loss with evidence; and Part 2 §3.1's cap: what the parties may recover from third parties under an
agreement is at most what Party A has paid Party B under it, read live from the payments (a bounced cheque lowers
it)."""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from plugins.third_party.liability_models import (
    COUNTED,
    ClaimKind,
    ClaimStatus,
    Intervention,
    ThirdPartyClaim,
    ThirdPartyClaimFile,
)
from plugins.third_party.models import Proposal, ProposalStatus, Subcontractor
from plugins.third_party.services import IN_FORCE, FieldError
from saas.billing.models import CreditEntry, Invoice, PaymentAllocation
from saas.billing.payments import lock
from saas.contracts.models import Contract
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.models import User
from saas.core.money import quantize
from saas.core.parsing import safe_content_type, safe_filename
from saas.core.tenancy import owned_by
from saas.extensions import db
from saas.notices.models import Party

KIND_LABELS = {ClaimKind.PENALTY: _l("Penalty (违约金)"), ClaimKind.DAMAGES: _l("Damages (赔偿损失)")}
STATUS_LABELS = {
    ClaimStatus.SUBMITTED: _l("Submitted"),
    ClaimStatus.AGREED: _l("Agreed by the subcontractor"),
    ClaimStatus.REJECTED: _l("Rejected by the subcontractor"),
    ClaimStatus.RECOVERED: _l("Recovered"),
}
MAX_FILES, MAX_FILE_BYTES = 5, 10 * 1024 * 1024


class ClaimError(ServiceError):
    """A claim against a third party refused; the message says why (the cap's remaining figure among them)."""


@dataclass(frozen=True)
class Cap:
    """Part 2 §3.1 on one agreement: the fees paid, what is recovered or agreed, what is still claimed, what is left."""

    paid: Decimal
    recovered: Decimal
    pending: Decimal
    currency: str

    @property
    def remaining(self) -> Decimal:
        return quantize(max(self.paid - self.recovered - self.pending, Decimal(0)), self.currency)


def fees_paid(contract: Contract) -> Decimal:
    """What Party A has paid Party B under the agreement: every allocation to its invoices, the negative rows of a
    reversed payment (a bounced cheque) included, less what credit notes on its invoices gave back as the client's
    credit (money counted once already where it was paid: applied to a later invoice, it would count twice)."""
    invoices = select(Invoice.id).where(Invoice.tenant_id == contract.tenant_id, Invoice.contract_id == contract.id)
    allocated = db.session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(
            PaymentAllocation.tenant_id == contract.tenant_id, PaymentAllocation.invoice_id.in_(invoices)
        )
    )
    given_back = db.session.scalar(
        select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.tenant_id == contract.tenant_id,
            CreditEntry.invoice_id.in_(invoices),
            CreditEntry.payment_id.is_(None),  # a credit note's, not an overpayment's or a reversal's
            CreditEntry.amount > 0,
        )
    )
    return quantize(Decimal(allocated or 0) - Decimal(given_back or 0), contract.currency)


def cap_of(contract: Contract, *, leaving_out: ThirdPartyClaim | None = None) -> Cap:
    """The agreement's cap as it stands now (optionally without one claim's own share)."""
    claims = db.session.scalars(
        select(ThirdPartyClaim).where(
            ThirdPartyClaim.tenant_id == contract.tenant_id,
            ThirdPartyClaim.contract_id == contract.id,
            ThirdPartyClaim.status.in_(COUNTED),
        )
    ).all()
    claims = [c for c in claims if leaving_out is None or c.id != leaving_out.id]
    recovered = sum((c.counted for c in claims if c.status != ClaimStatus.SUBMITTED), Decimal(0))
    pending = sum((c.counted for c in claims if c.status == ClaimStatus.SUBMITTED), Decimal(0))
    currency = contract.currency
    return Cap(fees_paid(contract), quantize(recovered, currency), quantize(pending, currency), currency)


def _over_cap(cap: Cap) -> ClaimError:
    return ClaimError(
        _(
            "Above the cap of Part 2 §3.1: at most %(remaining)s %(currency)s may still be claimed from third parties "
            "under this agreement (fees paid %(paid)s, recovered or agreed %(recovered)s, still claimed %(pending)s).",
            remaining=cap.remaining,
            currency=cap.currency,
            paid=cap.paid,
            recovered=cap.recovered,
            pending=cap.pending,
        )
    )


def claimable_subcontractors(contract: Contract) -> list[Subcontractor]:
    """The subcontractors the client approved for this agreement (now or before a withdrawal): those that worked on
    it and may be claimed against."""
    approved = (
        select(Proposal.id)
        .where(
            Proposal.subcontractor_id == Subcontractor.id,
            Proposal.tenant_id == contract.tenant_id,
            Proposal.contract_id == contract.id,
            or_(
                Proposal.status == ProposalStatus.APPROVED,
                (Proposal.status == ProposalStatus.WITHDRAWN) & Proposal.decided_at.is_not(None),
            ),
        )
        .exists()
    )
    return db.session.scalars(
        select(Subcontractor)
        .where(Subcontractor.tenant_id == contract.tenant_id, approved)
        .order_by(Subcontractor.legal_name, Subcontractor.id)
    ).all()


def _amount(value, currency: str, *, required: bool, field: str) -> Decimal:
    if value is None:
        if required:
            raise FieldError(_("Give the amount."), field)
        return Decimal(0)
    if value < 0 or (required and value == 0):
        raise FieldError(_("The amount must be more than zero."), field)
    if quantize(value, currency) != value:
        raise FieldError(_("Give the amount in the currency's smallest unit at most."), field)
    return Decimal(value)


def submit(
    contract: Contract, party: str, actor: User, data: dict, files: list[tuple[str, str, str, bytes]] = ()
) -> ThirdPartyClaim:
    """Claim a penalty or damages from a subcontractor for its breach on this agreement; refused above what remains
    of the cap, with that figure. The agreement's row is locked: two claims at once take turns, and together they
    never pass the cap."""
    if party not in (Party.A, Party.B):
        raise ClaimError(_("Only the parties of the agreement claim against a third party."))
    contract = lock(Contract, contract.id)
    if contract.status not in IN_FORCE:
        raise ClaimError(_("Claims are made on an agreement in force."))
    subcontractor = db.session.get(Subcontractor, data.get("subcontractor_id") or 0)
    if not owned_by(subcontractor, contract.tenant) or subcontractor not in claimable_subcontractors(contract):
        raise FieldError(_("Choose a subcontractor the client approved for this agreement."), "subcontractor_id")
    kind = data.get("kind") or ""
    if kind not in ClaimKind.__members__.values():
        raise FieldError(_("Choose a penalty or damages."), "kind")
    direct = _amount(data.get("direct_amount"), contract.currency, required=True, field="direct_amount")
    direct_description = (data.get("direct_description") or "").strip()
    if not direct_description:
        raise FieldError(_("Describe the direct loss."), "direct_description")
    indirect = _amount(data.get("indirect_amount"), contract.currency, required=False, field="indirect_amount")
    indirect_description = (data.get("indirect_description") or "").strip()
    if indirect and not indirect_description:
        raise FieldError(_("Describe the indirect loss."), "indirect_description")
    if len(files) > MAX_FILES or any(len(content) > MAX_FILE_BYTES for *_rest, content in files):
        raise FieldError(_("At most 5 files of 10 MB each."), "direct_files")
    intervention_id = data.get("intervention_id")
    if intervention_id is not None:
        intervention = db.session.get(Intervention, intervention_id)
        if not owned_by(intervention, contract.tenant, contract.client_id) or intervention.contract_id != contract.id:
            raise FieldError(_("Choose an intervention recorded on this agreement."), "intervention_id")
    total = direct + indirect
    cap = cap_of(contract)
    if total > cap.remaining:
        raise _over_cap(cap)
    claim = ThirdPartyClaim(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id,
        intervention_id=intervention_id,
        claimant_party=party,
        kind=kind,
        direct_amount=direct,
        direct_description=direct_description,
        indirect_amount=indirect,
        indirect_description=indirect_description,
        total=total,
        currency=contract.currency,
        status=ClaimStatus.SUBMITTED,
        submitted_by_id=actor.id,
        submitted_at=now(),
    )
    db.session.add(claim)
    db.session.flush()
    for loss, name, content_type, content in files:
        db.session.add(
            ThirdPartyClaimFile(
                tenant_id=claim.tenant_id,
                client_id=claim.client_id,
                claim_id=claim.id,
                loss="indirect" if loss == "indirect" else "direct",
                filename=safe_filename(name),
                content_type=safe_content_type(content_type),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                data=content,
                created_at=now(),
            )
        )
    db.session.flush()
    audit.record(
        "third_party.claim_submitted",
        tenant_id=claim.tenant_id,
        target=claim,
        actor=actor,
        contract=contract.number,
        subcontractor=subcontractor.legal_name,
        total=str(total),
    )
    return claim


def may_answer(claim: ThirdPartyClaim, party: str | None) -> bool:
    """Whether `party` records the subcontractor's answer: the claimant deals with the subcontractor."""
    return party is not None and party == claim.claimant_party


def _locked(claim: ThirdPartyClaim, party: str | None, *states: str) -> tuple[Contract, ThirdPartyClaim]:
    if not may_answer(claim, party):
        raise ClaimError(_("Only the party that made the claim records the subcontractor's answer."))
    contract = lock(Contract, claim.contract_id)  # the cap's lock, taken first as submit() does
    claim = lock(ThirdPartyClaim, claim.id)
    if claim.status not in states:
        raise ClaimError(_("This claim has moved on: reload the page."))
    return contract, claim


def agree(claim: ThirdPartyClaim, party: str, actor: User, amount: Decimal | None, note: str = "") -> ThirdPartyClaim:
    """The subcontractor agrees to pay the claim, in full or an amount; never more than the cap leaves."""
    contract, claim = _locked(claim, party, ClaimStatus.SUBMITTED)
    amount = claim.total if amount is None else _amount(amount, claim.currency, required=True, field="amount")
    if amount > claim.total:
        raise FieldError(_("At most the amount claimed (%(total)s).", total=claim.total), "amount")
    cap = cap_of(contract, leaving_out=claim)
    if amount > cap.remaining:
        raise _over_cap(cap)
    claim.status, claim.agreed_amount, claim.decided_at = ClaimStatus.AGREED, amount, now()
    claim.note = (note or "").strip()
    audit.record("third_party.claim_agreed", tenant_id=claim.tenant_id, target=claim, actor=actor, amount=str(amount))
    db.session.flush()
    return claim


def reject(claim: ThirdPartyClaim, party: str, actor: User, note: str) -> ThirdPartyClaim:
    """The subcontractor refuses the claim; the reason is kept. Its share of the cap is freed."""
    _contract, claim = _locked(claim, party, ClaimStatus.SUBMITTED)
    note = (note or "").strip()
    if not note:
        raise FieldError(_("Say why the subcontractor refused."), "note")
    claim.status, claim.note, claim.decided_at = ClaimStatus.REJECTED, note, now()
    audit.record("third_party.claim_rejected", tenant_id=claim.tenant_id, target=claim, actor=actor)
    db.session.flush()
    return claim


def recover(claim: ThirdPartyClaim, party: str, actor: User, on: date | None) -> ThirdPartyClaim:
    """The agreed amount was recovered from the subcontractor on `on` (today or earlier)."""
    _contract, claim = _locked(claim, party, ClaimStatus.AGREED)
    if on is None or on > local_today(claim.contract.tenant):
        raise FieldError(_("Give the day it was recovered: today or earlier."), "on")
    claim.status, claim.recovered_on = ClaimStatus.RECOVERED, on
    audit.record("third_party.claim_recovered", tenant_id=claim.tenant_id, target=claim, actor=actor, on=on.isoformat())
    db.session.flush()
    return claim


def of_contract(contract: Contract) -> list[ThirdPartyClaim]:
    """The agreement's claims against third parties, newest first."""
    return db.session.scalars(
        select(ThirdPartyClaim)
        .options(selectinload(ThirdPartyClaim.subcontractor))
        .where(ThirdPartyClaim.tenant_id == contract.tenant_id, ThirdPartyClaim.contract_id == contract.id)
        .order_by(ThirdPartyClaim.id.desc())
    ).all()
