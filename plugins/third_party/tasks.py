"""Jobs of the third-party plugin: mail about proposals (Part 2 §4.1), and qualification expiry warnings."""

import logging
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from plugins.third_party.models import Proposal, ProposalStatus, Qualification, Subcontractor, SubcontractorStatus
from plugins.third_party.services import EXPIRY_WARNING_DAYS, NAME
from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.links import external_url
from saas.core.mail import both_languages, mail_people
from saas.core.models import MailMessage, Membership, Role, Tenant, TenantStatus, User
from saas.core.plugins import plugin_manager
from saas.extensions import db
from saas.jobs import task

log = logging.getLogger(__name__)
#: An expiry is still reported when the job was down for up to this many days; older ones are not scanned daily.
LOOK_BACK_DAYS = 30


def _people(tenant_id: int, role: Role, client_id: int | None = None) -> list[User]:
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == role, User.active)
    )
    if client_id is not None:
        stmt = stmt.where(Membership.client_id == client_id)
    return db.session.scalars(stmt.order_by(User.id)).all()


@task
def mail_proposed(proposal_ids: list[int]) -> int:
    """Tell the client's admins of each new proposal, once each: they decide on it in the portal."""
    sent = 0
    for proposal in db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids))):
        link = external_url(
            "plugin_third_party.portal_detail", tenant=proposal.contract.tenant.slug, tp_proposal_id=proposal.id
        )

        def subject(p=proposal):
            return _(
                "Agreement %(number)s: the vendor proposes the subcontractor %(name)s",
                number=p.contract.number,
                name=p.subcontractor.legal_name,
            )

        def body(p=proposal, link=link):
            return "\n".join(
                [
                    subject(p),
                    "",
                    p.scope,
                    "",
                    _(
                        "Under Part 2 §4.1 of the agreement a subcontractor is selected jointly: it works on your "
                        "agreement only once you approve it."
                    ),
                    _("Approve or reject it here: %(link)s", link=link),
                ]
            )

        sent += mail_people(
            [(user, False) for user in _people(proposal.tenant_id, Role.CLIENT_ADMIN, proposal.client_id)],
            key=f"third-party-proposed:{proposal.id}",
            tenant_id=proposal.tenant_id,
            text_for=lambda is_vendor, s=subject, b=body: (both_languages(s, " / "), both_languages(b)),
        )
    return sent


@task
def mail_decided(proposal_ids: list[int]) -> int:
    """Tell the vendor admins how the client decided on each proposal, once each."""
    sent = 0
    for proposal in db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids))):
        if proposal.status not in (ProposalStatus.APPROVED, ProposalStatus.REJECTED):
            continue
        link = external_url(
            "plugin_third_party.detail",
            tenant=proposal.contract.tenant.slug,
            subcontractor_id=proposal.subcontractor_id,
        )

        def subject(p=proposal):
            values = {"number": p.contract.number, "name": p.subcontractor.legal_name}
            if p.status == ProposalStatus.APPROVED:
                return _("Agreement %(number)s: the client approved the subcontractor %(name)s", **values)
            return _("Agreement %(number)s: the client rejected the subcontractor %(name)s", **values)

        def body(p=proposal, link=link):
            lines = [subject(p), ""]
            if p.decision_reason:
                lines += [_("The client's reason: %(reason)s", reason=p.decision_reason), ""]
            lines.append(link)
            return "\n".join(lines)

        sent += mail_people(
            [(user, True) for user in _people(proposal.tenant_id, Role.VENDOR_ADMIN)],
            key=f"third-party-decided:{proposal.id}:{proposal.status}",
            tenant_id=proposal.tenant_id,
            text_for=lambda is_vendor, s=subject, b=body: (both_languages(s, " / "), both_languages(b)),
        )
    return sent


@task
def warn_expiring_qualifications() -> int:
    """Daily: warn vendor admins of subcontractor qualifications 30 days before and on expiry, once per
    qualification and threshold; safe to re-run."""
    sent = 0
    pm = plugin_manager()
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            if not pm.is_enabled(NAME, tenant):
                continue
            sent += warn_tenant(tenant)
            db.session.commit()  # one tenant at a time: a failure later leaves earlier tenants done
    return sent


def warn_tenant(tenant: Tenant) -> int:
    """Mail the tenant's admins about qualifications that reach 30 days before expiry, or expire; returns mails."""
    today = local_today(tenant)
    qualifications = db.session.scalars(
        select(Qualification)
        .options(selectinload(Qualification.subcontractor))
        .join(Subcontractor, Subcontractor.id == Qualification.subcontractor_id)
        .where(
            Qualification.tenant_id == tenant.id,
            # A suspended subcontractor is given no work: its papers lapsing is no news to act on.
            Subcontractor.status == SubcontractorStatus.ACTIVE,
            Qualification.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            Qualification.expires_on >= today - timedelta(days=LOOK_BACK_DAYS),
        )
        .order_by(Qualification.id)
    ).all()
    if not qualifications:
        return 0
    admins = _people(tenant.id, Role.VENDOR_ADMIN)
    pending = []
    for qualification in qualifications:
        # The furthest threshold reached: one found already expired is not also warned "30 days".
        threshold = "expired" if qualification.expires_on <= today else f"{EXPIRY_WARNING_DAYS}d"
        key = f"third-party-qualification:{qualification.id}:{qualification.expires_on.isoformat()}:{threshold}"
        pending.append((key, qualification, threshold))
    # One look at the outbox for the whole tenant, so that the count says what was really sent (mail_people
    # counts every person it is given, and the daily re-scan must give it only those not mailed yet).
    keys = [f"{key}:{user.id}" for key, _q, _t in pending for user in admins]
    done = set(db.session.scalars(select(MailMessage.dedupe_key).where(MailMessage.dedupe_key.in_(keys))))
    sent = 0
    for key, qualification, threshold in pending:
        people = [(user, True) for user in admins if f"{key}:{user.id}" not in done]
        if not people:
            continue
        link = external_url(
            "plugin_third_party.detail", tenant=tenant.slug, subcontractor_id=qualification.subcontractor_id
        )
        subject, body = _warning(qualification, threshold, link)
        sent += mail_people(people, key=key, tenant_id=tenant.id, text_for=lambda is_vendor, s=subject, b=body: (s, b))
    return sent


def _warning(qualification: Qualification, threshold: str, link: str) -> tuple[str, str]:
    """Subject and body of the warning, in both languages."""
    values = {
        "name": qualification.name,
        "number": qualification.number or "—",
        "subcontractor": qualification.subcontractor.legal_name,
        "day": qualification.expires_on.isoformat(),
    }

    def subject():
        if threshold == "expired":
            return _("Qualification expired: %(name)s of %(subcontractor)s", **values)
        return _("Qualification expires on %(day)s: %(name)s of %(subcontractor)s", **values)

    def body():
        if threshold == "expired":
            first = _("The qualification %(name)s (%(number)s) of %(subcontractor)s expired on %(day)s.", **values)
        else:
            first = _("The qualification %(name)s (%(number)s) of %(subcontractor)s expires on %(day)s.", **values)
        return "\n\n".join(
            [
                first,
                _(
                    "Ask the subcontractor for the renewed qualification before it works on an agreement again, "
                    "then record it on its page."
                ),
                link,
            ]
        )

    return both_languages(subject, " / "), both_languages(body)


def _both_parties(agreement) -> list[tuple[User, bool]]:
    """The vendor's admins and the client's admins: the parties whose agreement rests on it (Part 2 §4.2)."""
    return [(u, True) for u in _people(agreement.tenant_id, Role.VENDOR_ADMIN)] + [
        (u, False) for u in _people(agreement.tenant_id, Role.CLIENT_ADMIN, agreement.client_id)
    ]


def _agreement_mail(agreement, what: str) -> int:
    """Tell both parties that a third-party agreement their agreement rests on ends soon, is suspended, ended or
    back in force; once per agreement and event."""
    from plugins.third_party.models import AgreementStatus

    values = {
        "number": agreement.number,
        "contract": agreement.contract.number,
        "name": agreement.subcontractor.legal_name,
        "day": agreement.ends_on.isoformat(),
        "reason": agreement.status_reason or "—",
    }

    def subject():
        if what == "expiring":
            return _("Third-party agreement %(number)s of %(name)s ends on %(day)s", **values)
        if what == AgreementStatus.SUSPENDED:
            return _("Third-party agreement %(number)s of %(name)s is suspended", **values)
        if what == AgreementStatus.ENDED:
            return _("Third-party agreement %(number)s of %(name)s has ended", **values)
        return _("Third-party agreement %(number)s of %(name)s is in force again", **values)

    def body():
        lines = [subject(), ""]
        if what in (AgreementStatus.SUSPENDED, AgreementStatus.ENDED):
            lines.append(_("Reason: %(reason)s", **values))
        lines.append(
            _(
                "Agreement %(contract)s rests on it for the work it covers (Part 2 §4.2, annex 6); that work returns "
                "to the vendor's own team unless another agreement takes it.",
                **values,
            )
        )
        return "\n".join(lines)

    return mail_people(
        _both_parties(agreement),
        key=f"third-party-agreement:{agreement.id}:{what}:{agreement.ends_on.isoformat()}",
        tenant_id=agreement.tenant_id,
        text_for=lambda is_vendor: (both_languages(subject, " / "), both_languages(body)),
    )


@task
def mail_agreement_changed(agreement_ids: list[int]) -> int:
    """Tell both parties a third-party agreement was suspended, ended or reinstated."""
    from plugins.third_party.models import Agreement

    return sum(
        _agreement_mail(agreement, agreement.status)
        for agreement in db.session.scalars(select(Agreement).where(Agreement.id.in_(agreement_ids)))
    )


@task
def warn_expiring_agreements() -> int:
    """Daily: warn both parties 30 days before a third-party agreement in force ends (Part 2 §4.2), once each."""
    from plugins.third_party.agreements import expiring

    sent = 0
    pm = plugin_manager()
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            if not pm.is_enabled(NAME, tenant):
                continue
            today = local_today(tenant)
            for agreement in expiring(tenant.id, today):
                sent += _agreement_mail(agreement, "expiring")
                agreement.expiry_warned_on = today
            db.session.commit()
    return sent


@task
def sweep_back_to_back() -> int:
    """Every five minutes: judge the subcontractors' back-to-back targets; each one missed becomes a third-party
    breach once (Part 2 §6.1.2, §6.1.3)."""
    from plugins.third_party.work import sweep_tenant

    recorded = 0
    pm = plugin_manager()
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            if not pm.is_enabled(NAME, tenant):
                continue
            try:
                recorded += sweep_tenant(tenant.id)
            except Exception:  # one tenant's bad data (a calendar without working time) must not stop the others
                db.session.rollback()
                log.exception("back-to-back sweep failed for tenant %s", tenant.id)
    return recorded
