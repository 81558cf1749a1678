"""The core's background jobs: invitation e-mails, the daily notice of invitations that expired, old form tokens."""

from flask_babel import gettext as _
from sqlalchemy import select

from saas.core.clock import now
from saas.core.invitation_tokens import invitation_token
from saas.core.links import external_url
from saas.core.mail import both_languages, send_mail
from saas.core.models import Invitation
from saas.extensions import db
from saas.jobs import task


@task
def send_invitation_email(invitation_id: int) -> None:
    """E-mail the invitation link; running it again for the same link sends nothing more."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.status_at(now()) != "pending":
        return
    link = external_url("auth.invitation", token=invitation_token(invitation))
    tenant = invitation.tenant

    def render():
        return _(
            "%(inviter)s invites you to join %(tenant)s on Aftercare.\n\n"
            "Open this link to accept (it works once, until %(expires)s UTC):\n%(link)s\n\n"
            "If you did not expect this invitation, ignore this e-mail.",
            inviter=invitation.invited_by.name if invitation.invited_by else tenant.name,
            tenant=tenant.name,
            expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
            link=link,
        )

    send_mail(
        dedupe_key=f"invitation:{invitation.id}:{invitation.nonce}",
        to=invitation.email,
        subject=both_languages(lambda: _("Invitation to join %(tenant)s", tenant=tenant.name)),
        body=both_languages(render),
        tenant_id=tenant.id,
    )
    if invitation.sent_at is None:
        invitation.sent_at = now()
        db.session.commit()


@task
def notify_expired_invitations() -> int:
    """Tell each inviter, once, that an invitation expired unanswered; returns how many were told."""
    current = now()
    expired = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.expires_at <= current,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expiry_notified_at.is_(None),
        )
        .order_by(Invitation.id)
        .limit(500)
    ).all()
    for invitation in expired:
        if invitation.invited_by is not None:

            def render(inv=invitation):
                return _(
                    "Your invitation to %(email)s to join %(tenant)s expired on %(expires)s UTC without an answer. "
                    "You can send it again from the People page.",
                    email=inv.email,
                    tenant=inv.tenant.name,
                    expires=inv.expires_at.strftime("%Y-%m-%d %H:%M"),
                )

            send_mail(
                dedupe_key=f"invitation-expired:{invitation.id}",
                to=invitation.invited_by.email,
                subject=both_languages(lambda inv=invitation: _("Invitation expired: %(email)s", email=inv.email)),
                body=both_languages(render),
                tenant_id=invitation.tenant_id,
            )
        invitation.expiry_notified_at = current
        db.session.commit()
    return len(expired)


@task
def forget_old_form_tokens() -> int:
    """Delete one-time form tokens older than any form that could still be sent; returns how many."""
    from saas.core.submissions import forget_old

    return forget_old()


@task
def deliver_webhooks(delivery_ids: list[int]) -> int:
    """Send these webhook deliveries (those due and not being sent already); a failure waits for its retry."""
    from saas.core.webhooks import deliver

    return deliver(delivery_ids)


@task
def deliver_due_webhooks() -> int:
    """Every minute: the webhook deliveries whose next attempt is due (retries, and those inline mode left)."""
    from saas.core.webhooks import deliver, due_deliveries

    return deliver(due_deliveries(now()))


@task
def notify_webhook_disabled(endpoint_ids: list[int]) -> int:
    """Tell the tenant's admins, once, that an endpoint was switched off after failing for days; how many mails."""
    from saas.core.models import Membership, Role
    from saas.core.webhooks import DISABLE_AFTER, WebhookEndpoint

    sent = 0
    for endpoint in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))).all():
        if endpoint.enabled or endpoint.disabled_at is None:
            continue
        link = external_url("webhooks.endpoint", tenant=endpoint.tenant.slug, endpoint_id=endpoint.id)
        admins = db.session.scalars(
            select(Membership).where(Membership.tenant_id == endpoint.tenant_id, Membership.role == Role.VENDOR_ADMIN)
        ).all()

        def render(e=endpoint, link=link):
            return _(
                "Every delivery to the webhook endpoint %(url)s has failed for %(days)d days, so it was switched "
                "off on %(when)s UTC and is sent nothing more.\n\nIts delivery log says what the endpoint answered. "
                "Once it works again, switch it back on and replay what it missed:\n%(link)s",
                url=e.url,
                days=DISABLE_AFTER.days,
                when=e.disabled_at.strftime("%Y-%m-%d %H:%M"),
                link=link,
            )

        for membership in admins:
            send_mail(
                dedupe_key=f"webhook-disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}:{membership.user_id}",
                to=membership.user.email,
                subject=both_languages(lambda e=endpoint: _("Webhook endpoint switched off: %(url)s", url=e.url)),
                body=both_languages(render),
                tenant_id=endpoint.tenant_id,
            )
            sent += 1
    return sent
