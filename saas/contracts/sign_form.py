"""Signing from a signature form: the checks and answers every page that signs a frozen text shares (the
agreement, its changes, add-ons, transfers of obligations)."""

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from saas.core.errors import ServiceError
from saas.extensions import db


def sign_from_form(form, sign, back_url: str, done):
    """Sign with what `form` carries (the confirmation, the document's id and the digest the signer saw):
    sign(user, document_id, sha256, ip, agent) -> result, done(result) -> the message once signed. A refusal is
    shown and nothing is written; either way back to `back_url`."""
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm you sign."), "error")
        return redirect(back_url)
    try:
        result = sign(
            current_user._get_current_object(),
            form.document_id.data,
            form.sha256.data,
            request.remote_addr or "",
            request.user_agent.string,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back_url)
    db.session.commit()
    flash(done(result), "success")
    return redirect(back_url)
