"""Jobs of the support team: certificate expiry warnings (§5.2)."""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core import dbscope
from saas.core.clock import local_today
from saas.core.links import external_url
from saas.core.mail import both_languages, send_mail
from saas.core.models import VENDOR_ROLES, MailMessage, Membership, Role, Tenant, TenantStatus
from saas.extensions import db
from saas.jobs import task
from saas.team.models import TeamCertificate, TeamMember
from saas.team.services import EXPIRY_WARNING_DAYS

#: An expiry is still reported when the job was down for up to this many days; older ones are not scanned daily.
LOOK_BACK_DAYS = 30


@task
def warn_expiring_certificates() -> int:
    """Daily (§5.2): warn vendor admins and the holder, once per certificate and threshold; safe to re-run."""
    sent = 0
    tenants = db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    for tenant in tenants.all():
        with dbscope.tenant(tenant.id):
            sent += warn_tenant(tenant)
            db.session.commit()  # one tenant at a time: a failure later leaves earlier tenants done
    return sent


def warn_tenant(tenant: Tenant) -> int:
    """Mail about the tenant's certificates that reach 30 days before expiry, or expire; returns mails sent."""
    today = local_today(tenant)
    certs = db.session.scalars(
        select(TeamCertificate)
        .options(selectinload(TeamCertificate.member).selectinload(TeamMember.user))
        .join(TeamMember, TeamMember.id == TeamCertificate.member_id)
        .where(
            TeamCertificate.tenant_id == tenant.id,
            TeamMember.active.is_(True),
            TeamCertificate.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            TeamCertificate.expires_on >= today - timedelta(days=LOOK_BACK_DAYS),
        )
        .order_by(TeamCertificate.id)
    ).all()
    if not certs:
        return 0
    memberships = db.session.scalars(
        select(Membership).options(selectinload(Membership.user)).where(Membership.tenant_id == tenant.id)
    ).all()
    admins = [m.user for m in memberships if m.role == Role.VENDOR_ADMIN]
    staff = {m.user_id for m in memberships if m.role in VENDOR_ROLES}
    link = external_url("team.index", tenant=tenant.slug)
    pending = []
    for cert in certs:
        # The furthest threshold reached: a certificate found already expired is not also warned "30 days".
        threshold = "expired" if cert.expires_on <= today else f"{EXPIRY_WARNING_DAYS}d"
        holder = cert.member.user if cert.member.user_id in staff else None
        people = {u.id: u for u in [*admins, holder] if u is not None and u.active}
        for user in people.values():
            key = f"team-certificate:{cert.id}:{cert.expires_on.isoformat()}:{threshold}:{user.id}"
            pending.append((key, cert, threshold, user))
    # One look at the outbox for the whole tenant: the daily re-scan sends nothing twice and asks little.
    done = set(
        db.session.scalars(select(MailMessage.dedupe_key).where(MailMessage.dedupe_key.in_([p[0] for p in pending])))
    )
    sent = 0
    for key, cert, threshold, user in pending:
        if key in done:
            continue
        subject, body = _text(cert, threshold, link)
        send_mail(dedupe_key=key, to=user.email, subject=subject, body=body, tenant_id=tenant.id)
        sent += 1
    return sent


def _text(cert: TeamCertificate, threshold: str, link: str) -> tuple[str, str]:
    """Subject and body of the warning, in both languages."""

    def subject():
        if threshold == "expired":
            return _("Certificate expired: %(name)s of %(member)s", name=cert.name, member=cert.member.name)
        return _(
            "Certificate expires on %(day)s: %(name)s of %(member)s",
            day=cert.expires_on.isoformat(),
            name=cert.name,
            member=cert.member.name,
        )

    def body():
        if threshold == "expired":
            first = _(
                "The certificate %(name)s (%(number)s) of %(member)s expired on %(day)s.",
                name=cert.name,
                number=cert.number or "—",
                member=cert.member.name,
                day=cert.expires_on.isoformat(),
            )
        else:
            first = _(
                "The certificate %(name)s (%(number)s) of %(member)s expires on %(day)s.",
                name=cert.name,
                number=cert.number or "—",
                member=cert.member.name,
                day=cert.expires_on.isoformat(),
            )
        return "\n\n".join(
            [
                first,
                _(
                    "The agreement asks for a qualified support team (§5.2): renew the "
                    "certificate, then record the new one on the team page."
                ),
                link,
            ]
        )

    return both_languages(subject, " / "), both_languages(body)
