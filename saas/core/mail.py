"""Sending e-mail: through SMTP when configured, and always recorded (the outbox) so a re-run sends nothing twice."""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.core.models import MailMessage
from saas.extensions import db

log = logging.getLogger(__name__)

#: Mail to people whose language we do not know is written in both, Chinese first.
MAIL_LOCALES = ("zh_Hans_CN", "en")
BODY_SEPARATOR = "\n\n----------\n\n"


def both_languages(render, separator: str = BODY_SEPARATOR) -> str:
    """render() once per mail language, joined (use " / " for subjects)."""
    parts = []
    for locale in MAIL_LOCALES:
        with force_locale(locale):
            parts.append(render())
    return separator.join(parts)


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with a mail; its content is made only when the mail really goes out over SMTP."""

    filename: str
    mimetype: str
    #: Makes the bytes (an invoice PDF takes a second: the outbox backend never asks for it).
    content: Callable[[], bytes]


def send_mail(
    *,
    dedupe_key: str,
    to: str,
    subject: str,
    body: str,
    tenant_id: int | None = None,
    attachments: tuple[MailAttachment, ...] = (),
) -> MailMessage:
    """Send one e-mail once per dedupe_key; a second call with the same key returns the first record."""
    existing = db.session.scalar(select(MailMessage).where(MailMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    backend = current_app.config["MAIL_BACKEND"]
    message = MailMessage(
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
        to=to,
        subject=subject,
        body_text=body,
        backend=backend,
        attachments=[{"filename": a.filename, "mimetype": a.mimetype} for a in attachments],
    )
    db.session.add(message)
    try:
        # Claim the key before sending: a concurrent run of the same job stops here.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(MailMessage).where(MailMessage.dedupe_key == dedupe_key))
    if backend == "smtp":
        _send_smtp(to, subject, body, attachments)
    else:
        log.info("mail (outbox backend, not sent over SMTP) to=%s subject=%s\n%s", to, subject, body)
    db.session.commit()
    return message


def mail_people(people, *, key: str, tenant_id: int | None, text_for: Callable[[bool], tuple[str, str]]) -> int:
    """Mail each (user, is_vendor) of `people` once under `key` (text_for(is_vendor) gives subject and body)."""
    sent = 0
    for user, is_vendor in people:
        subject, body = text_for(is_vendor)
        send_mail(dedupe_key=f"{key}:{user.id}", to=user.email, subject=subject, body=body, tenant_id=tenant_id)
        sent += 1
    return sent


def _send_smtp(to: str, subject: str, body: str, attachments: tuple[MailAttachment, ...] = ()) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_DEFAULT_SENDER"], to, subject
    msg.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        msg.add_attachment(attachment.content(), maintype=maintype, subtype=subtype, filename=attachment.filename)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)


def list_mail(*, tenant_id: int | None, platform: bool = False, before: int | None = None, limit: int = 25):
    """One page of sent mail, newest first (keyset on id); a tenant sees only its own."""
    stmt = select(MailMessage)
    if not platform:
        stmt = stmt.where(MailMessage.tenant_id == tenant_id)
    if before:
        stmt = stmt.where(MailMessage.id < before)
    rows = db.session.scalars(stmt.order_by(MailMessage.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
