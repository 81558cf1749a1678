"""Transfers of obligations (Part 2 §4.3): part of the vendor's obligations under a client's agreement moved to a
jointly selected subcontractor by a written agreement both parties sign, and the routing of every new request within
its scope to that subcontractor once it is in force.

The text and its signatures are the contracts domain's (saas.contracts.signing): frozen in both languages with their
SHA-256 as documents of the client's agreement under the subject `tp-transfer-<id>`, signed by Party B in the console
and Party A in the portal, exactly as a change agreement is.
"""

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from plugins.third_party import work
from plugins.third_party.agreements import in_force as agreement_in_force
from plugins.third_party.agreements import services_of
from plugins.third_party.models import Agreement, AgreementStatus, Subcontractor, Transfer, TransferStatus
from plugins.third_party.services import IN_FORCE, NAME, FieldError, may_work_on
from saas.contracts import signing
from saas.contracts.models import Contract, ContractDocument, ContractSignature, Service
from saas.contracts.services import last_day
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.mail import both_languages, mail_people
from saas.core.models import Role, User
from saas.core.outbox import send_after_commit
from saas.core.tenancy import owned_by
from saas.credits.services import SERVICE_OF_REQUEST
from saas.extensions import db
from saas.jobs import task
from saas.requests.models import RequestCategory, ServiceRequest

STATE_LABELS = {
    "awaiting": _l("Awaiting signatures"),
    "signed": _l("Signed, in force from %(day)s"),
    "in_force": _l("In force"),
    "ended": _l("Ended"),
}
DUPLICATE = _l("A transfer to this subcontractor is already waiting for signatures on this agreement.")
PARTIES = {"A", "B"}


def state(transfer: Transfer, today: date) -> str:
    """awaiting (not both signed), signed (its first day still ahead), in_force, or ended."""
    if transfer.status == TransferStatus.ENDED:
        return "ended"
    if transfer.status != TransferStatus.SIGNED:
        return "awaiting"
    return "in_force" if transfer.starts_on <= today else "signed"


def state_label(transfer: Transfer, today: date) -> str:
    """The transfer's state today, in the reader's language."""
    code = state(transfer, today)
    return (
        str(STATE_LABELS[code]) % {"day": transfer.starts_on.isoformat()}
        if code == "signed"
        else str(STATE_LABELS[code])
    )


def why_not_in_force(transfer: Transfer, today: date) -> str | None:
    """Why the transfer routes nothing today (Part 2 §4.3 needs both parties' signatures), or None when in force."""
    code = state(transfer, today)
    if code == "ended":
        return _("Ended: new requests are handled by the vendor's own team again.")
    if code == "signed":
        return _("Signed by both parties; it takes effect on %(day)s.", day=transfer.starts_on.isoformat())
    if code == "awaiting":
        missing = PARTIES - set(signatures(transfer))
        if missing == {"A"}:
            return _("Not in force: the client has not signed it yet. Part 2 §4.3 needs both parties' signatures.")
        if missing == {"B"}:
            return _("Not in force: the vendor has not signed it yet. Part 2 §4.3 needs both parties' signatures.")
        return _("Not in force: neither party has signed it yet. Part 2 §4.3 needs both parties' signatures.")
    return None


def services_in(transfer: Transfer) -> list[Service]:
    """The fee schedule's services it transfers."""
    ids = [int(i) for i in transfer.service_ids or []]
    return db.session.scalars(select(Service).where(Service.tenant_id == transfer.tenant_id, Service.id.in_(ids))).all()


def categories_in(transfer: Transfer) -> list[RequestCategory]:
    """The request categories it is narrowed to (none: every category of its services)."""
    ids = [int(i) for i in transfer.category_ids or []]
    if not ids:
        return []
    return db.session.scalars(
        select(RequestCategory).where(RequestCategory.tenant_id == transfer.tenant_id, RequestCategory.id.in_(ids))
    ).all()


def transfers_of_contract(contract: Contract) -> list[Transfer]:
    """A client's agreement's transfers, oldest first."""
    return db.session.scalars(select(Transfer).where(Transfer.contract_id == contract.id).order_by(Transfer.id)).all()


def transfers_of(subcontractor: Subcontractor) -> list[Transfer]:
    """A subcontractor's transfers, newest first."""
    return db.session.scalars(
        select(Transfer).where(Transfer.subcontractor_id == subcontractor.id).order_by(Transfer.id.desc())
    ).all()


def documents(transfer: Transfer) -> list[ContractDocument]:
    """The frozen text in both languages, Chinese first."""
    return signing.documents_for(transfer.contract, transfer.subject)


def signatures(transfer: Transfer) -> dict[str, ContractSignature]:
    """Its signatures by party ("A" the client, "B" the vendor)."""
    return signing.signatures_for(transfer.contract, transfer.subject)


def _ids(values) -> list[int]:
    return sorted({int(v) for v in values or [] if str(v).isdigit()})


def _annex6_for(contract: Contract, subcontractor: Subcontractor, service_ids, category_ids, starts_on: date):
    """The subcontractor's annex 6 agreement in force on the first day whose scope holds the transferred one."""
    rows = db.session.scalars(
        select(Agreement)
        .where(
            Agreement.contract_id == contract.id,
            Agreement.subcontractor_id == subcontractor.id,
            Agreement.status == AgreementStatus.ACTIVE,
        )
        .order_by(Agreement.id)
    )
    for agreement in rows:
        if not agreement.starts_on <= starts_on <= agreement.ends_on:
            continue
        if not set(service_ids) <= {s.id for s in services_of(agreement)}:
            continue
        allowed = set(_ids(agreement.category_ids))
        if allowed and (not category_ids or not set(category_ids) <= allowed):
            continue
        return agreement
    return None


def create_transfer(contract: Contract | None, subcontractor: Subcontractor | None, data: dict, actor: User):
    """Write a transfer of obligations and freeze its text for both signatures, once everything in it holds: an
    agreement in force, a subcontractor approved on it, services of its fee schedule (and categories) within an
    annex 6 agreement of that subcontractor in force on the first day, which lies within the agreement's term."""
    if contract is None or contract.status not in IN_FORCE:
        raise FieldError(_("Choose an agreement in force."), "contract_id")
    if subcontractor is None or not owned_by(subcontractor, contract.tenant_id):
        raise FieldError(_("Choose one of your subcontractors."), "subcontractor_id")
    if not subcontractor.active or not may_work_on(contract, subcontractor):
        raise FieldError(
            _(
                "%(name)s is not approved by the client for agreement %(number)s (Part 2 §4.1): obligations can only "
                "be transferred to a subcontractor both parties chose.",
                name=subcontractor.legal_name,
                number=contract.number,
            ),
            "subcontractor_id",
        )
    service_ids = _ids(data.get("service_ids"))
    on_schedule = {line.service_id for line in contract.lines if line.service_id}
    if not service_ids:
        raise FieldError(_("Choose the services transferred."), "service_ids")
    if not set(service_ids) <= on_schedule:
        raise FieldError(
            _("Only services of the agreement's fee schedule (Annex 1) can be transferred."), "service_ids"
        )
    category_ids = _ids(data.get("category_ids"))
    if category_ids:
        known = db.session.scalars(
            select(RequestCategory.id).where(
                RequestCategory.tenant_id == contract.tenant_id, RequestCategory.id.in_(category_ids)
            )
        ).all()
        if len(known) != len(category_ids):
            raise FieldError(_("Choose request categories of yours."), "category_ids")
    starts_on = data.get("starts_on")
    if not isinstance(starts_on, date):
        raise FieldError(_("Give the first day of the transfer."), "starts_on")
    if not contract.effective_date <= starts_on <= last_day(contract):
        raise FieldError(
            _(
                "The transfer must start within agreement %(number)s's term, from %(start)s to %(end)s.",
                number=contract.number,
                start=contract.effective_date.isoformat(),
                end=last_day(contract).isoformat(),
            ),
            "starts_on",
        )
    agreement = _annex6_for(contract, subcontractor, service_ids, category_ids, starts_on)
    if agreement is None:
        raise FieldError(
            _(
                "%(name)s has no third-party agreement (annex 6) in force on %(day)s whose scope holds what is "
                "transferred: transfer only services and categories its annex 6 agreement covers.",
                name=subcontractor.legal_name,
                day=starts_on.isoformat(),
            ),
            "service_ids",
        )
    # Hold the agreement's row: a second identical submission waits, then finds the first one below.
    signing.lock(contract)
    if _awaiting(contract.id, subcontractor.id) is not None:
        raise ServiceError(str(DUPLICATE))
    count = db.session.scalar(select(func.count(Transfer.id)).where(Transfer.contract_id == contract.id)) or 0
    transfer = Transfer(
        tenant_id=contract.tenant_id,
        client_id=contract.client_id,
        number=f"{contract.number}-TP{count + 1:02d}",
        contract_id=contract.id,
        subcontractor_id=subcontractor.id,
        agreement_id=agreement.id,
        service_ids=service_ids,
        category_ids=category_ids,
        starts_on=starts_on,
        created_by_id=actor.id if actor else None,
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(transfer)
            db.session.flush()
    except IntegrityError:  # SQLite has no row lock: the partial unique index stops the second
        raise ServiceError(str(DUPLICATE)) from None
    transfer.contract, transfer.subcontractor, transfer.agreement = contract, subcontractor, agreement
    signing.freeze(contract, transfer.subject, lambda language: render_document(transfer, language))
    audit.record(
        f"{NAME}.transfer_proposed",
        tenant_id=contract.tenant_id,
        target=transfer,
        actor=actor,
        number=transfer.number,
        subcontractor=subcontractor.legal_name,
    )
    send_after_commit(mail_transfer_sent, [transfer.id], key=f"{NAME}-transfer-sent")
    return transfer


def _awaiting(contract_id: int, subcontractor_id: int) -> Transfer | None:
    return db.session.scalar(
        select(Transfer).where(
            Transfer.contract_id == contract_id,
            Transfer.subcontractor_id == subcontractor_id,
            Transfer.status == TransferStatus.AWAITING_SIGNATURES,
        )
    )


def render_document(transfer: Transfer, language: str) -> str:
    """The transfer agreement's text in one language, from data only (the same data gives the same bytes)."""
    zh = language.startswith("zh")
    with force_locale(language):
        return signing.render(
            f"third_party/document/transfer_{language}.html",
            transfer.contract,
            language,
            transfer=transfer,
            subcontractor=transfer.subcontractor,
            annex6=transfer.agreement,
            services=[s.name_zh if zh else s.name_en for s in services_in(transfer)],
            categories=[c.name_zh if zh else c.name_en for c in categories_in(transfer)],
        )


def sign(transfer: Transfer, party: str, user: User, document_id: int, seen_sha256: str, ip: str = "", agent=""):
    """Sign the transfer's text for one party; the second signature puts it in force from its first day."""
    signing.lock(transfer.contract)  # both parties at once are counted one after the other
    db.session.refresh(transfer)
    if transfer.status != TransferStatus.AWAITING_SIGNATURES:
        raise ServiceError(_("This transfer is not waiting for signatures."))
    if party not in PARTIES:
        raise ServiceError(_("You may not sign for either party."))
    if signing.sign_subject(transfer.contract, transfer.subject, party, user, document_id, seen_sha256, ip, agent):
        transfer.status = TransferStatus.SIGNED
        transfer.signed_on = local_today(transfer.contract.tenant)
        db.session.flush()
        audit.record(
            f"{NAME}.transfer_signed", tenant_id=transfer.tenant_id, target=transfer, actor=user, number=transfer.number
        )
        send_after_commit(mail_transfer_signed, [transfer.id], key=f"{NAME}-transfer-signed")
        return True
    return False


def end(transfer: Transfer, reason: str, actor: User) -> bool:
    """The vendor ends a transfer (or withdraws one not yet signed), saying why; routing stops, both are told."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldError(_("Say why the transfer ends."), "reason")
    if transfer.status == TransferStatus.ENDED:
        return False
    transfer.status = TransferStatus.ENDED
    transfer.ended_reason = reason[:2000]
    transfer.ended_at = now()
    transfer.ended_by_id = actor.id if actor else None
    db.session.flush()
    audit.record(
        f"{NAME}.transfer_ended", tenant_id=transfer.tenant_id, target=transfer, actor=actor, number=transfer.number
    )
    send_after_commit(mail_transfer_ended, [transfer.id], key=f"{NAME}-transfer-ended")
    return True


def covers(transfer: Transfer, req: ServiceRequest) -> bool:
    """Whether the request falls within the transferred scope: one of its services, and its categories if named."""
    if transfer.category_ids and req.category_id not in _ids(transfer.category_ids):
        return False
    kind = SERVICE_OF_REQUEST.get(req.kind)
    return any(service.kind == kind for service in services_in(transfer))


def route(req: ServiceRequest) -> object | None:
    """Give a new request within the scope of a transfer in force to its subcontractor at once (Part 2 §4.3), the
    rule on its timeline; returns the assignment, or None when no transfer takes it."""
    today = local_today(req.contract.tenant)
    rows = db.session.scalars(
        select(Transfer)
        .where(
            Transfer.contract_id == req.contract_id,
            Transfer.status == TransferStatus.SIGNED,
            Transfer.starts_on <= today,
        )
        .order_by(Transfer.id)
    ).all()
    for transfer in rows:
        if not covers(transfer, req) or not agreement_in_force(transfer.agreement, today):
            continue
        if work.current(req) is not None:
            return None
        rule = transfer.number  # the same in both languages: the timeline names the transfer that routed it
        try:
            return work.assign(req, transfer.subcontractor, None, rule=rule)
        except ServiceError:  # suspended since, or its annex 6 no longer covers it: the next transfer, or the vendor
            continue
    return None


# --- both parties told ------------------------------------------------------------------------------------------


def _transfer_mail(transfer: Transfer, what: str) -> int:
    """Tell the parties of a transfer: the client's admins that it awaits their signature; both parties' admins that
    it is in force, or that it ended and why."""
    from plugins.third_party.tasks import _both_parties, _people

    values = {
        "number": transfer.number,
        "contract": transfer.contract.number,
        "name": transfer.subcontractor.legal_name,
        "day": transfer.starts_on.isoformat(),
        "reason": transfer.ended_reason or "—",
    }

    def subject():
        if what == "sent":
            return _("Transfer of obligations %(number)s to %(name)s awaits your signature", **values)
        if what == "signed":
            return _("Transfer of obligations %(number)s to %(name)s is signed by both parties", **values)
        return _("Transfer of obligations %(number)s to %(name)s has ended", **values)

    def body():
        lines = [subject(), ""]
        if what == "sent":
            lines.append(
                _(
                    "Under agreement %(contract)s the vendor proposes to transfer part of its obligations to %(name)s "
                    "from %(day)s (Part 2 §4.3). It takes effect only once both parties have signed it.",
                    **values,
                )
            )
        elif what == "signed":
            lines.append(
                _(
                    "From %(day)s, new requests of agreement %(contract)s within its scope are handled by %(name)s on "
                    "the vendor's behalf; the vendor remains answerable for them (Part 2 §8.3).",
                    **values,
                )
            )
        else:
            lines.append(_("Reason: %(reason)s", **values))
            lines.append(_("New requests of agreement %(contract)s are handled by the vendor's own team.", **values))
        return "\n".join(lines)

    people = (
        [(u, False) for u in _people(transfer.tenant_id, Role.CLIENT_ADMIN, transfer.client_id)]
        if what == "sent"
        else _both_parties(transfer)
    )
    return mail_people(
        people,
        key=f"third-party-transfer:{transfer.id}:{what}",
        tenant_id=transfer.tenant_id,
        text_for=lambda is_vendor: (both_languages(subject, " / "), both_languages(body)),
    )


def _mail(transfer_ids: list[int], what: str) -> int:
    return sum(
        _transfer_mail(transfer, what)
        for transfer in db.session.scalars(select(Transfer).where(Transfer.id.in_(transfer_ids)))
    )


@task
def mail_transfer_sent(transfer_ids: list[int]) -> int:
    """Ask the client's admins to sign a transfer of obligations."""
    return _mail(transfer_ids, "sent")


@task
def mail_transfer_signed(transfer_ids: list[int]) -> int:
    """Tell both parties a transfer of obligations is signed by both."""
    return _mail(transfer_ids, "signed")


@task
def mail_transfer_ended(transfer_ids: list[int]) -> int:
    """Tell both parties a transfer of obligations has ended, and why."""
    return _mail(transfer_ids, "ended")
