"""Disputes between the parties about a third party (Part 2 §7.1), on the dispute ladder, and their deadline (Part 2
Part 2 §7.2): not resolved within the agreement's `dispute_deadline_months` from the day the dispute arose, and with no
lawsuit filed (no litigation step), the party that did not raise it may terminate the agreement. The right is
computed from the dates, announced to both parties' admins once, and exercised through termination (§10.3)."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from plugins.third_party.interventions import FieldError
from plugins.third_party.liability import claimable_subcontractors as worked_on
from plugins.third_party.liability_models import Intervention, ThirdPartyDispute
from plugins.third_party.models import Subcontractor
from plugins.third_party.services import IN_FORCE
from saas.billing.payments import lock
from saas.contracts.models import Contract
from saas.core import audit
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import Membership, Role, Tenant, User
from saas.core.tenancy import owned_by
from saas.disputes import services as disputes
from saas.disputes.models import DisputeStatus, Stage, Subject
from saas.extensions import db
from saas.notices import services as notices
from saas.notices import termination
from saas.notices.models import NoticeKind, Party

#: The clauses the notices of a third-party dispute and of the termination it allows rest on.
DISPUTE_CLAUSE, TERMINATION_CLAUSE = "P2-7.1", "P2-7.2"


class ThirdPartyDisputeError(ServiceError):
    """A dispute about a third party refused, or a termination under Part 2 §7.2 not (yet) open."""


def deadline_for(contract: Contract, arose_on: date) -> date:
    """The last day to resolve the dispute: `dispute_deadline_months` after the day it arose, which is not counted
    (Civil Code art. 201-202); a month without that day ends on its last day (31 January + 1 month is 28 or 29
    February)."""
    return arose_on + relativedelta(months=contract.dispute_deadline_months)


def right_from(row: ThirdPartyDispute) -> date:
    """The first day of Part 2 §7.2's right to terminate: the day after the last day to resolve ("超过该期限")."""
    return row.deadline + timedelta(days=1)


def open_about(contract: Contract, party: str, actor: User, data: dict) -> ThirdPartyDispute:
    """Open a dispute on the ladder about a third party's part in the agreement and send the other party its written
    notice; both in the caller's transaction."""
    if contract is None or contract.status not in IN_FORCE:
        raise ThirdPartyDisputeError(_("Disputes are raised on an agreement in force."))
    if party not in (Party.A, Party.B):
        raise ThirdPartyDisputeError(_("Only the parties of the agreement raise a dispute."))
    tenant = contract.tenant
    subcontractor, intervention = None, None
    if data.get("subcontractor_id"):
        subcontractor = db.session.get(Subcontractor, data["subcontractor_id"])
        if not owned_by(subcontractor, tenant) or subcontractor.id not in {s.id for s in worked_on(contract)}:
            # only those approved for this agreement: the client never learns of the vendor's other subcontractors
            raise FieldError(_("Choose a subcontractor that works or worked on this agreement."), "subcontractor_id")
    if data.get("intervention_id"):
        intervention = db.session.get(Intervention, data["intervention_id"])
        if not owned_by(intervention, tenant, contract.client_id) or intervention.contract_id != contract.id:
            raise FieldError(_("Choose an intervention recorded on this agreement."), "intervention_id")
        if subcontractor is None and intervention.subcontractor_id is not None:
            subcontractor = intervention.subcontractor
    name = " ".join((data.get("third_party_name") or "").split())[:200]
    if subcontractor is None and not name:
        name = intervention.third_party_name if intervention is not None else ""
    if subcontractor is None and not name:
        raise FieldError(
            _("Name the third party: a subcontractor of the vendor, or an outside one."), "third_party_name"
        )
    summary = (data.get("summary") or "").strip()
    if not summary:
        raise FieldError(_("Say what is disputed and why."), "summary")
    today = local_today(tenant)
    arose_on = data.get("arose_on") or today
    if arose_on > today:
        raise FieldError(_("Give the day the dispute arose: today or earlier."), "arose_on")
    who = subcontractor.legal_name if subcontractor is not None else name
    heading = _("Part 2 §7.1, about the third party %(name)s:", name=who)
    dispute = disputes.open_dispute(
        tenant,
        party,
        actor,
        subject=Subject.OTHER,
        subject_id=None,
        contract=contract,
        summary=f"{heading}\n{summary}",
    )
    deadline = deadline_for(contract, arose_on)
    notice = notices.send_notice(
        contract,
        party,
        actor,
        {
            "kind": NoticeKind.DISPUTE,
            "clause": DISPUTE_CLAUSE,
            "subject": _("Dispute %(number)s about the third party %(name)s", number=dispute.number, name=who)[:200],
            "body_zh": data.get("body_zh") or "",
            "body_en": data.get("body_en") or summary,
            # Part 2 §7.2 counts from the day the dispute arose, which may be before today.
            "deadline": deadline if deadline > today else None,
        },
    )
    row = ThirdPartyDispute(
        tenant_id=tenant.id,
        client_id=contract.client_id,
        dispute_id=dispute.id,
        contract_id=contract.id,
        subcontractor_id=subcontractor.id if subcontractor is not None else None,
        third_party_name="" if subcontractor is not None else name,
        intervention_id=intervention.id if intervention is not None else None,
        notice_id=notice.id,
        arose_on=arose_on,
        deadline=deadline,
        created_at=now(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "third_party.dispute_opened",
        tenant_id=tenant.id,
        target=row,
        actor=actor,
        dispute=dispute.number,
        third_party=who,
        deadline=deadline.isoformat(),
    )
    return row


def lawsuit_filed(row: ThirdPartyDispute) -> bool:
    """Whether the dispute reached the court (a litigation step, §9.4)."""
    return any(step.stage == Stage.LITIGATION for step in row.dispute.steps)


def holder(row: ThirdPartyDispute, today: date) -> str | None:
    """The party with Part 2 §7.2's right to terminate on `today`, or None: the dispute still open on or after its
    deadline, no lawsuit filed, the agreement in force; it is the party that did not raise the dispute."""
    dispute = row.dispute
    if dispute.status != DisputeStatus.OPEN or lawsuit_filed(row) or today < right_from(row):
        return None
    if row.contract.status not in IN_FORCE:
        return None
    return Party.A if dispute.raised_by_party == Party.B else Party.B


def refusal(row: ThirdPartyDispute, party: str, today: date) -> str | None:
    """Why `party` may not terminate under Part 2 §7.2 on `today`, or None when it may."""
    if holder(row, today) == party:
        return None
    if today < right_from(row):
        return _(
            "The dispute has until %(day)s to be resolved (Part 2 §7.2): termination is open from %(first)s.",
            day=row.deadline.isoformat(),
            first=right_from(row).isoformat(),
        )
    return _(
        "Only the party that did not raise the dispute may terminate, while it stands unresolved and no "
        "lawsuit is filed."
    )


def terminate(row: ThirdPartyDispute, party: str, actor: User, data: dict, files: list[tuple[str, str, bytes]] = ()):
    """Exercise Part 2 §7.2's right: the notice of termination, referring to the dispute's notice, ends the agreement
    after its last day (through the notices' termination)."""
    row = lock(ThirdPartyDispute, row.id)
    reason = refusal(row, party, local_today(row.contract.tenant))
    if reason is not None:
        raise ThirdPartyDisputeError(reason)
    notice = termination.terminate_on(row.notice, party, actor, data, files, clause=TERMINATION_CLAUSE)
    audit.record(
        "third_party.dispute_terminated",
        tenant_id=row.tenant_id,
        target=row,
        actor=actor,
        dispute=row.dispute.number,
        notice=notice.number,
    )
    return notice


def of_contract(contract: Contract) -> list[ThirdPartyDispute]:
    """The agreement's disputes about third parties, newest first."""
    return db.session.scalars(
        select(ThirdPartyDispute)
        .options(selectinload(ThirdPartyDispute.dispute), selectinload(ThirdPartyDispute.subcontractor))
        .where(ThirdPartyDispute.tenant_id == contract.tenant_id, ThirdPartyDispute.contract_id == contract.id)
        .order_by(ThirdPartyDispute.id.desc())
    ).all()


def _admins(row: ThirdPartyDispute) -> list[tuple[User, bool]]:
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == row.tenant_id,
            User.active,
            (Membership.role == Role.VENDOR_ADMIN)
            | ((Membership.role == Role.CLIENT_ADMIN) & (Membership.client_id == row.client_id)),
        )
        .order_by(User.id)
    ).all()
    return [(user, role == Role.VENDOR_ADMIN) for user, role in rows]


def announce(tenant: Tenant, today: date) -> int:
    """Tell both parties' admins, once per dispute, that Part 2 §7.2's right to terminate has arisen; returns how
    many disputes were announced. Safe to run again: an announced dispute is marked, and the mail is keyed."""
    candidates = db.session.scalars(
        select(ThirdPartyDispute.id)
        .where(
            ThirdPartyDispute.tenant_id == tenant.id,
            ThirdPartyDispute.announced_at.is_(None),
            ThirdPartyDispute.deadline < today,  # the right opens the day after the last day
        )
        .order_by(ThirdPartyDispute.id)
    ).all()
    announced = 0
    for ident in candidates:
        row = lock(ThirdPartyDispute, ident)  # a second run at the same moment waits, then finds it announced
        if row.announced_at is not None:
            continue
        party = holder(row, today)
        if party is None:
            continue
        row.announced_at = now()
        _mail_right(row, party)
        audit.record(
            "third_party.dispute_deadline_announced",
            tenant_id=row.tenant_id,
            target=row,
            dispute=row.dispute.number,
            party=party,
        )
        announced += 1
    db.session.flush()
    return announced


def _mail_right(row: ThirdPartyDispute, party: str) -> int:
    slug, contract = row.contract.tenant.slug, row.contract
    values = {
        "dispute": row.dispute.number,
        "contract": contract.number,
        "name": row.party_name,
        "day": right_from(row).isoformat(),
        "months": contract.dispute_deadline_months,
    }

    def text_for(is_vendor):
        page = "contracts.detail" if is_vendor else "portal_contracts.portal_detail"
        link = external_url(page, tenant=slug, contract_id=contract.id)
        holder_label = notices.PARTY_LABELS[party]
        subject = both_languages(
            lambda: _("Agreement %(contract)s: the right to terminate under Part 2 §7.2", **values), " / "
        )
        body = both_languages(
            lambda: _(
                "Dispute %(dispute)s about the third party %(name)s was not resolved within %(months)s months and no "
                "lawsuit was filed: since %(day)s, %(holder)s may terminate agreement %(contract)s (Part 2 §7.2). "
                "%(link)s",
                holder=holder_label,
                link=link,
                **values,
            )
        )
        return subject, body

    return mail_people(
        _admins(row), key=f"third-party-dispute-deadline:{row.id}", tenant_id=row.tenant_id, text_for=text_for
    )
