"""Damages claims (§8.3, §2.3.3): either party claims its direct and indirect loss from the other, resting on the
breaches recorded against the other; the other party acknowledges it and agrees it (in full or an amount) or
disputes it (§9, whose resolution agrees or rejects it); an agreed claim is settled: when the vendor owes, by a
credit on the next invoice, a credit note or a refund; when the client owes, on the next invoice or paid; or the
claimant writes it off."""

import hashlib
from datetime import date, datetime
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, extract, func, select, update

from saas.billing.models import Invoice, InvoiceStatus
from saas.billing.payments import lock
from saas.billing.penalty_models import PaymentBreach
from saas.claims.models import (
    ANSWERABLE,
    DISPUTABLE,
    Claim,
    ClaimBreach,
    ClaimEvent,
    ClaimFile,
    ClaimNumber,
    ClaimStatus,
    Settlement,
)
from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core import audit
from saas.core.bulk import among
from saas.core.clock import local_today, now
from saas.core.counters import locked_counter
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, Tenant, User
from saas.core.money import format_money, quantize
from saas.core.outbox import send_after_commit
from saas.core.parsing import safe_content_type, safe_filename
from saas.core.plugins import BillingLine
from saas.extensions import db
from saas.jobs import task
from saas.materials.models import ClientBreach
from saas.requests.models import SlaBreach

S = ClaimStatus
STATUS_LABELS = {
    S.SUBMITTED: _l("Submitted"),
    S.ACKNOWLEDGED: _l("Acknowledged"),
    S.AGREED: _l("Agreed"),
    S.DISPUTED: _l("Disputed"),
    S.SETTLED: _l("Settled"),
    S.REJECTED: _l("Rejected"),
    S.WITHDRAWN: _l("Withdrawn"),
}
SETTLEMENT_LABELS = {
    Settlement.NEXT_INVOICE: _l("On the agreement's next invoice"),
    Settlement.CREDIT_NOTE: _l("Credit note on an invoice"),
    Settlement.REFUND: _l("Refunded by the vendor"),
    Settlement.PAID: _l("Paid by the client"),
    Settlement.WRITTEN_OFF: _l("Written off by the claimant"),
}
EVENT_LABELS = {
    "submitted": _l("Claim submitted"),
    "acknowledged": _l("Receipt acknowledged"),
    "agreed": _l("Agreed"),
    "disputed": _l("Disputed: a dispute was opened"),
    "dispute_withdrawn": _l("The dispute was withdrawn"),
    "decided": _l("Decided by the dispute's resolution"),
    "to_invoice": _l("To go on the agreement's next invoice"),
    "billed": _l("Billed on an invoice"),
    "settled": _l("Settled"),
    "withdrawn": _l("Withdrawn by the claimant"),
}
PARTY_LABELS = {"A": _l("Party A (the client)"), "B": _l("Party B (the vendor)")}
#: Invoice line key prefix of a claim billed on an invoice (saas_billing_lines).
LINE_KEY = "claims.claim:"
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Vendor roles that claim and answer claims on the vendor's behalf.
VENDOR_STAFF = (Role.VENDOR_ADMIN, Role.VENDOR_BILLING)


class ClaimError(ServiceError):
    """A claim that cannot be made, answered or settled this way; the message says why."""


def party_of(membership: Membership) -> str | None:
    """The party a member acts for on claims: "B" for vendor admins and billing staff, "A" for client admins."""
    if membership.role in VENDOR_STAFF:
        return "B"
    if membership.role == Role.CLIENT_ADMIN:
        return "A"
    return None


# The breaches a claim can rest on -------------------------------------------------------------------------------


def breach_choices(contract: Contract, claimant: str) -> list[tuple[str, str]]:
    """The recorded breaches of the other party under this agreement, newest first, as (ref, label): the vendor's
    (§8.1) when the client claims; the client's (materials, late payment) when the vendor claims."""
    if claimant == "A":
        rows = db.session.scalars(
            select(SlaBreach).where(SlaBreach.contract_id == contract.id).order_by(SlaBreach.id.desc()).limit(200)
        ).all()
        return [(f"sla:{b.id}", _sla_label(b)) for b in rows]
    materials = db.session.scalars(
        select(ClientBreach).where(ClientBreach.contract_id == contract.id).order_by(ClientBreach.id.desc()).limit(100)
    ).all()
    payments = db.session.scalars(
        select(PaymentBreach)
        .where(PaymentBreach.contract_id == contract.id)
        .order_by(PaymentBreach.id.desc())
        .limit(100)
    ).all()
    return [(f"client:{b.id}", _client_label(b)) for b in materials] + [
        (f"payment:{b.id}", _payment_label(b)) for b in payments
    ]


def _sla_label(b: SlaBreach) -> str:
    return f"§{b.clause} · #{b.evidence.get('request')} · {b.due_at.date().isoformat()}"


def _client_label(b: ClientBreach) -> str:
    return f"{_('Materials')} · #{b.evidence.get('request')} · {b.due_at.date().isoformat()}"


def _payment_label(b: PaymentBreach) -> str:
    return f"§{b.clause} · {b.invoice_number} · {b.due_date.isoformat()}"


def _breach_rows(contract: Contract, claimant: str, refs: list[str]) -> list[dict]:
    """The link rows for the chosen breaches, each checked to be the other party's under this agreement."""
    rows, seen = [], set()
    for ref in refs:
        kind, _sep, ident = (ref or "").partition(":")
        if ref in seen:
            continue
        seen.add(ref)
        allowed = {"A": {"sla": SlaBreach}, "B": {"client": ClientBreach, "payment": PaymentBreach}}[claimant]
        model = allowed.get(kind)
        row = model.get_in(contract.tenant_id, ident, contract.client_id) if model else None
        if row is None or row.contract_id != contract.id:
            raise ClaimError(_("Choose breaches recorded against the other party under this agreement."))
        label = {"sla": _sla_label, "client": _client_label, "payment": _payment_label}[kind](row)
        rows.append({f"{kind}_breach_id": row.id, "label": label[:200]})
    if not rows:
        raise ClaimError(_("Name at least one recorded breach the claim rests on (§8.3)."))
    return rows


# Making a claim ----------------------------------------------------------------------------------------------------


def _check_amount(amount: Decimal | None, currency: str, *, required: bool) -> Decimal:
    if amount is None:
        if required:
            raise ClaimError(_("Give the amount of the direct loss."))
        return Decimal("0.00")
    if amount < 0 or (required and amount == 0):
        raise ClaimError(_("An amount of loss is more than zero."))
    if quantize(amount, currency) != amount:
        raise ClaimError(_("Give the amount in the currency's smallest unit at most."))
    return amount


def _number(tenant: Tenant, today: date) -> str:
    counter = locked_counter(ClaimNumber, tenant_id=tenant.id, year=today.year)
    counter.last_value += 1
    return f"PC-{today.year}-{counter.last_value:04d}"


def _event(claim: Claim, kind: str, party: str, actor: User | None, note: str = "", **data) -> None:
    db.session.add(
        ClaimEvent(
            tenant_id=claim.tenant_id,
            client_id=claim.client_id,
            claim_id=claim.id,
            kind=kind,
            party=party,
            actor_id=getattr(actor, "id", None),
            at=now(),
            note=note,
            data=data,
        )
    )


def submit(
    contract: Contract,
    party: str,
    actor: User,
    *,
    direct_amount: Decimal | None,
    direct_description: str,
    indirect_amount: Decimal | None = None,
    indirect_description: str = "",
    breaches: list[str],
    files: list[tuple[str, str, str, bytes]] = (),
) -> Claim:
    """Make a claim for damages against the other party (§8.3): the direct loss, the indirect loss (expected
    profit) when there is one, each described, the breaches it rests on and evidence files (loss, name, type,
    content). In the caller's transaction; the other party's admins are mailed after commit."""
    if contract.status not in SIGNED_STATUSES:
        raise ClaimError(_("A claim is made under a signed agreement."))
    direct_description = (direct_description or "").strip()
    indirect_description = (indirect_description or "").strip()
    direct = _check_amount(direct_amount, contract.currency, required=True)
    indirect = _check_amount(indirect_amount, contract.currency, required=False)
    if not direct_description:
        raise ClaimError(_("Describe the direct loss."))
    if indirect and not indirect_description:
        raise ClaimError(_("Describe the indirect loss (the expected profit lost)."))
    if len(files) > MAX_FILES:
        raise ClaimError(_("At most %(count)d files of evidence.", count=MAX_FILES))
    if any(len(content) > MAX_FILE_BYTES for *_rest, content in files):
        raise ClaimError(_("Files may be at most 10 MB."))
    links = _breach_rows(contract, party, breaches)
    tenant = contract.tenant
    claim = Claim(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        number=_number(tenant, local_today(tenant)),
        contract_id=contract.id,
        claimant_party=party,
        direct_amount=direct,
        direct_description=direct_description,
        indirect_amount=indirect,
        indirect_description=indirect_description if indirect else "",
        currency=contract.currency,
        status=S.SUBMITTED,
        submitted_by_id=actor.id,
        submitted_at=now(),
    )
    db.session.add(claim)
    db.session.flush()
    for link in links:
        db.session.add(ClaimBreach(tenant_id=tenant.id, client_id=contract.client_id, claim_id=claim.id, **link))
    for loss, name, content_type, content in files:
        db.session.add(
            ClaimFile(
                tenant_id=tenant.id,
                client_id=contract.client_id,
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
    _event(claim, "submitted", party, actor, total=str(claim.total))
    audit.record(
        "claims.submitted", tenant_id=tenant.id, target=claim, actor=actor, number=claim.number, total=str(claim.total)
    )
    db.session.flush()
    db.session.expire(claim, ["breaches", "files"])
    send_after_commit(mail_submitted, [claim.id], key="claim-submitted-mail")
    return claim


# Answering and settling --------------------------------------------------------------------------------------------


def _locked(claim: Claim) -> Claim:
    return lock(Claim, claim.id)


def _respondent(claim: Claim, party: str) -> None:
    if party != claim.respondent_party:
        raise ClaimError(_("Only the party the claim is made against answers it."))


def acknowledge(claim: Claim, party: str, actor: User) -> bool:
    """The other party confirms it received the claim and is looking at it; False when it did already."""
    claim = _locked(claim)
    _respondent(claim, party)
    if claim.status != S.SUBMITTED:
        return False
    claim.status, claim.acknowledged_at = S.ACKNOWLEDGED, now()
    _event(claim, "acknowledged", party, actor)
    audit.record("claims.acknowledged", tenant_id=claim.tenant_id, target=claim, actor=actor, number=claim.number)
    db.session.flush()
    return True


def agree(claim: Claim, party: str, actor: User, *, amount: Decimal | None = None, note: str = "") -> Claim:
    """The other party agrees the claim: in full (no amount) or an amount it agrees, at most what is claimed."""
    claim = _locked(claim)
    _respondent(claim, party)
    if claim.status not in ANSWERABLE:
        raise ClaimError(_("Only a claim waiting for an answer is agreed."))
    agreed = claim.total if amount is None else amount
    if agreed <= 0 or agreed > claim.total:
        raise ClaimError(
            _("The agreed amount is more than zero and at most what is claimed (%(total)s).", total=claim.total)
        )
    if quantize(agreed, claim.currency) != agreed:
        raise ClaimError(_("Give the amount in the currency's smallest unit at most."))
    _set_agreed(claim, agreed)
    _event(claim, "agreed", party, actor, (note or "").strip(), amount=str(agreed), in_full=agreed == claim.total)
    audit.record(
        "claims.agreed", tenant_id=claim.tenant_id, target=claim, actor=actor, number=claim.number, amount=str(agreed)
    )
    db.session.flush()
    send_after_commit(mail_agreed, [claim.id], key="claim-agreed-mail")
    return claim


def _set_agreed(claim: Claim, amount: Decimal) -> None:
    claim.status, claim.agreed_amount, claim.agreed_at = S.AGREED, amount, now()


def withdraw(claim: Claim, party: str, actor: User, reason: str) -> Claim:
    """The claimant gives the claim up before it is agreed, saying why; a disputed one is withdrawn with its
    dispute (the dispute's own withdrawal)."""
    claim = _locked(claim)
    if party != claim.claimant_party:
        raise ClaimError(_("Only the party that made the claim withdraws it."))
    if claim.status not in ANSWERABLE:
        raise ClaimError(_("Only a claim not yet agreed or disputed is withdrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError(_("Say why the claim is withdrawn."))
    claim.status = S.WITHDRAWN
    _event(claim, "withdrawn", party, actor, reason)
    audit.record("claims.withdrawn", tenant_id=claim.tenant_id, target=claim, actor=actor, number=claim.number)
    db.session.flush()
    return claim


def settlements_for(claim: Claim, party: str) -> list[str]:
    """The ways this party may settle this agreed claim: the vendor records the money (it keeps the books), either
    way; the claimant alone may write it off."""
    ways = []
    if party == "B":
        ways = (
            [Settlement.NEXT_INVOICE, Settlement.CREDIT_NOTE, Settlement.REFUND]
            if claim.vendor_owes
            else [Settlement.NEXT_INVOICE, Settlement.PAID]
        )
    if party == claim.claimant_party:
        ways.append(Settlement.WRITTEN_OFF)
    return ways


def creditable_invoices(claim: Claim) -> list[Invoice]:
    """The agreement's issued invoices a credit note for the claim can go on, newest first."""
    return db.session.scalars(
        select(Invoice)
        .where(
            Invoice.contract_id == claim.contract_id,
            Invoice.tenant_id == claim.tenant_id,
            Invoice.status.notin_((InvoiceStatus.DRAFT, InvoiceStatus.VOID)),
            Invoice.total > 0,
        )
        .order_by(Invoice.id.desc())
        .limit(24)
    ).all()


def settle(
    claim: Claim, party: str, actor: User, *, how: str, reference: str = "", invoice: Invoice | None = None
) -> Claim:
    """Settle an agreed claim one of the ways open to this party: a line on the next invoice (settled when billed),
    a credit note on an issued invoice, a refund or a direct payment (with its reference), or a write-off."""
    claim = _locked(claim)
    if claim.status != S.AGREED or claim.settlement:
        raise ClaimError(_("Only an agreed claim not yet being settled is settled."))
    if how not in settlements_for(claim, party):
        raise ClaimError(_("This party does not settle the claim that way."))
    reference = (reference or "").strip()
    amount = claim.agreed_amount
    if how == Settlement.NEXT_INVOICE:
        claim.settlement = how
        _event(claim, "to_invoice", party, actor, amount=str(amount))
    else:
        if how in (Settlement.REFUND, Settlement.PAID, Settlement.WRITTEN_OFF) and not reference:
            raise ClaimError(
                _("Say why the claim is written off.")
                if how == Settlement.WRITTEN_OFF
                else _("Give the payment's reference (bank transfer number, date).")
            )
        if how == Settlement.CREDIT_NOTE:
            from saas.billing.corrections import issue_credit_note

            if invoice is None or invoice.contract_id != claim.contract_id:
                raise ClaimError(_("Choose the invoice the credit note goes on."))
            reason = _("Damages agreed on claim %(number)s (§8.3)", number=claim.number)
            note = issue_credit_note(invoice, amount, reason, actor)
            claim.credit_note_id, reference = note.id, f"{note.number} · {invoice.number}"
        claim.settlement, claim.settlement_reference = how, reference[:200]
        claim.status, claim.settled_at = S.SETTLED, now()
        _event(claim, "settled", party, actor, reference, how=how, amount=str(amount))
    audit.record("claims.settled", tenant_id=claim.tenant_id, target=claim, actor=actor, number=claim.number, how=how)
    db.session.flush()
    return claim


# A dispute about a claim (the disputes domain calls these) ----------------------------------------------------------


def check_disputable(claim: Claim) -> None:
    """Refuse a dispute about a claim already under one, or settled, withdrawn, rejected or being billed."""
    if claim.status == S.DISPUTED:
        raise ClaimError(_("A dispute about this is open already: follow it there."))
    if claim.status not in DISPUTABLE or claim.settlement:
        raise ClaimError(_("Only a claim not yet settled can be disputed."))


def disputed(claim: Claim, party: str, actor: User, dispute_number: str) -> None:
    """A dispute about the claim opened (§9.1): the claim waits for its resolution."""
    claim = _locked(claim)
    check_disputable(claim)
    claim.status = S.DISPUTED
    _event(claim, "disputed", party, actor, dispute=dispute_number)
    db.session.flush()


def dispute_withdrawn(claim: Claim, actor: User, dispute_number: str) -> None:
    """The dispute was withdrawn: the claim is back where it was, agreed or waiting for an answer."""
    claim = _locked(claim)
    if claim.status != S.DISPUTED:
        return
    claim.status = (
        S.AGREED if claim.agreed_amount is not None else S.ACKNOWLEDGED if claim.acknowledged_at else S.SUBMITTED
    )
    _event(claim, "dispute_withdrawn", "", actor, dispute=dispute_number)
    db.session.flush()


def decided(claim: Claim, actor: User, *, for_claimant: bool | None, amount: Decimal | None, dispute_number: str):
    """A dispute's resolution applied: for the claimant, agreed in full; settled between the parties, agreed at
    the amount given (above zero, at most the claim); against the claimant, rejected."""
    claim = _locked(claim)
    if claim.status != S.DISPUTED:
        raise ClaimError(_("The claim is not under this dispute."))
    if for_claimant is None:
        if amount is None or not 0 < amount <= claim.total:
            raise ClaimError(_("Give the amount agreed, at most the amount claimed (%(total)s).", total=claim.total))
        if quantize(amount, claim.currency) != amount:
            raise ClaimError(_("Give the amount in the currency's smallest unit at most."))
        _set_agreed(claim, amount)
    elif for_claimant:
        _set_agreed(claim, claim.total)
    elif claim.agreed_amount is not None:
        # The claimant disputed an amount agreed in part and lost: what the other party agreed still stands.
        claim.status = S.AGREED
    else:
        claim.status = S.REJECTED
    _event(
        claim, "decided", "", actor, dispute=dispute_number, amount=str(claim.agreed_amount or ""), status=claim.status
    )
    db.session.flush()


def subject_label(claim: Claim) -> str:
    """The claim as a dispute names it."""
    return f"{claim.number} · {claim.total} {claim.currency}"


# Billing -----------------------------------------------------------------------------------------------------------


def line_description(claim: Claim) -> str:
    """The invoice line of an agreed claim, in the invoice's language when it is rendered."""
    if claim.vendor_owes:
        return _("Damages agreed on claim %(number)s (§8.3), credited to the client", number=claim.number)
    return _("Damages agreed on claim %(number)s (§8.3)", number=claim.number)


def billing_lines(tenant: Tenant, contract_ids: list[int]) -> list[BillingLine]:
    """Agreed claims to be settled on the next invoice: a credit when the vendor owes, a charge when the client
    does (the settlement invoice of an ended agreement takes them too)."""
    claims = db.session.scalars(
        select(Claim)
        .where(
            Claim.tenant_id == tenant.id,
            among(Claim.contract_id, contract_ids),
            Claim.status == S.AGREED,
            Claim.settlement == Settlement.NEXT_INVOICE,
            Claim.billed_invoice_id.is_(None),
        )
        .order_by(Claim.id)
    ).all()
    return [
        BillingLine(
            c.contract_id,
            f"{LINE_KEY}{c.id}",
            "credit" if c.vendor_owes else "fee",
            line_description(c),
            -c.agreed_amount if c.vendor_owes else c.agreed_amount,
            source={"claim_id": c.id, "clause": "8.3", "claimant": c.claimant_party},
        )
        for c in claims
    ]


def mark_billed(tenant: Tenant, billed: dict[str, int]) -> int:
    """The claims that went on an invoice are settled by it, in the run's transaction, with a timeline step each."""
    rows = [
        {"c_id": int(key.removeprefix(LINE_KEY)), "c_invoice": invoice_id}
        for key, invoice_id in billed.items()
        if key.startswith(LINE_KEY)
    ]
    if not rows:
        return 0
    at = now()
    table = Claim.__table__
    agreed = set(
        db.session.scalars(
            select(Claim.id).where(
                Claim.tenant_id == tenant.id, among(Claim.id, [r["c_id"] for r in rows]), Claim.status == S.AGREED
            )
        )
    )
    rows = [r for r in rows if r["c_id"] in agreed]  # a claim no longer agreed gets no billed step
    if not rows:
        return 0
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("c_id"), table.c.tenant_id == tenant.id, table.c.status == S.AGREED)
        .values(status=S.SETTLED, billed_invoice_id=bindparam("c_invoice"), settled_at=at),
        rows,
    )
    invoice_ids = [r["c_invoice"] for r in rows]
    numbers = dict(db.session.execute(select(Invoice.id, Invoice.number).where(among(Invoice.id, invoice_ids))).all())
    claim_ids = [r["c_id"] for r in rows]
    clients = dict(db.session.execute(select(Claim.id, Claim.client_id).where(among(Claim.id, claim_ids))).all())
    db.session.execute(
        ClaimEvent.__table__.insert(),
        [
            {
                "tenant_id": tenant.id,
                "client_id": clients[r["c_id"]],
                "claim_id": r["c_id"],
                "kind": "billed",
                "party": "",
                "actor_id": None,
                "at": at,
                "note": numbers.get(r["c_invoice"], ""),
                "data": {"invoice": numbers.get(r["c_invoice"], "")},
            }
            for r in rows
        ],
    )
    return len(rows)


# Reading -----------------------------------------------------------------------------------------------------------


def list_claims(
    tenant: Tenant, *, status: str = "", client_id: int | None = None, after: int | None = None, limit: int = 25
):
    """One page of claims, newest first (keyset on id); returns (rows, next_after)."""
    stmt = select(Claim).where(Claim.tenant_id == tenant.id)
    if status in S.__members__.values():
        stmt = stmt.where(Claim.status == status)
    if client_id is not None:
        stmt = stmt.where(Claim.client_id == client_id)
    if after:
        stmt = stmt.where(Claim.id < after)
    rows = db.session.scalars(stmt.order_by(Claim.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def timeline(claim: Claim) -> list[ClaimEvent]:
    """The claim's steps, oldest first."""
    return db.session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)).all()


def of_contract(contract: Contract, year: int) -> dict:
    """The agreement's claims of a year (by submission) and their sums each way: claimed, agreed, settled."""
    rows = db.session.scalars(
        select(Claim)
        .where(Claim.contract_id == contract.id, extract("year", Claim.submitted_at) == year)
        .order_by(Claim.id.desc())
    ).all()
    sums = {
        party: {"claimed": Decimal("0.00"), "agreed": Decimal("0.00"), "settled": Decimal("0.00")} for party in "AB"
    }
    for c in rows:
        sums[c.claimant_party]["claimed"] += c.total
        if c.agreed_amount is not None and c.status in (S.AGREED, S.SETTLED):
            sums[c.claimant_party]["agreed"] += c.agreed_amount
        if c.status == S.SETTLED and c.settlement != Settlement.WRITTEN_OFF:
            sums[c.claimant_party]["settled"] += c.agreed_amount
    return {"claims": rows, "sums": sums}


def open_count(tenant: Tenant) -> int:
    """Claims still waiting for an answer, agreement or settlement (for the dashboard)."""
    return db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.tenant_id == tenant.id, Claim.status.in_((S.SUBMITTED, S.ACKNOWLEDGED, S.AGREED, S.DISPUTED))
        )
    )


# Mail --------------------------------------------------------------------------------------------------------------


def _admins(claim: Claim, party: str) -> list[tuple[User, bool]]:
    stmt = select(User).join(Membership).where(Membership.tenant_id == claim.tenant_id, User.active)
    if party == "B":
        stmt = stmt.where(Membership.role == Role.VENDOR_ADMIN)
    else:
        stmt = stmt.where(Membership.role == Role.CLIENT_ADMIN, Membership.client_id == claim.client_id)
    return [(user, party == "B") for user in db.session.scalars(stmt.order_by(User.id))]


def _mail(claim: Claim, kind: str) -> int:
    """Tell the party that must act: a new claim to its respondent's admins, an agreed one to its claimant's; once
    each (the mail key), however often the job runs."""
    to = claim.respondent_party if kind == "submitted" else claim.claimant_party
    slug = claim.contract.tenant.slug

    def text_for(is_vendor):
        link = external_url(
            "claims.detail" if is_vendor else "portal_claims.portal_detail", tenant=slug, claim_id=claim.id
        )
        if kind == "submitted":
            subject = both_languages(lambda: _("Claim for damages %(number)s", number=claim.number), " / ")
            body = both_languages(
                lambda: _(
                    "%(party)s claims %(amount)s in damages under agreement %(contract)s (§8.3). Acknowledge it, "
                    "agree it or dispute it here: %(link)s",
                    party=PARTY_LABELS[claim.claimant_party],
                    amount=format_money(claim.total, claim.currency, str(get_locale())),
                    contract=claim.contract.number,
                    link=link,
                )
            )
        else:
            subject = both_languages(lambda: _("Claim %(number)s agreed", number=claim.number), " / ")
            body = both_languages(
                lambda: _(
                    "Your claim %(number)s was agreed at %(amount)s. How it is settled shows here: %(link)s",
                    number=claim.number,
                    amount=format_money(claim.agreed_amount, claim.currency, str(get_locale())),
                    link=link,
                )
            )
        return subject, body

    return mail_people(_admins(claim, to), key=f"claim:{claim.id}:{kind}", tenant_id=claim.tenant_id, text_for=text_for)


@task
def mail_submitted(claim_ids: list[int]) -> int:
    """Tell the other party's admins of each new claim."""
    return sum(_mail(c, "submitted") for c in db.session.scalars(select(Claim).where(among(Claim.id, claim_ids))))


@task
def mail_agreed(claim_ids: list[int]) -> int:
    """Tell the claimant's admins that their claim was agreed, and at what amount."""
    return sum(_mail(c, "agreed") for c in db.session.scalars(select(Claim).where(among(Claim.id, claim_ids))))


def at_local(claim: Claim, moment: datetime) -> date:
    """A moment of the claim's timeline as the tenant's local day."""
    from saas.core.clock import local_date

    return local_date(claim.contract.tenant, moment)
