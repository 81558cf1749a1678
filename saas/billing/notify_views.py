"""Where payment providers deliver their notifications: public, signed by the provider, checked by the method."""

from flask import Blueprint, abort, make_response, request
from sqlalchemy import select

from saas.billing import methods
from saas.core import dbscope
from saas.core.models import Tenant
from saas.extensions import csrf, db, limiter

bp = Blueprint("billing_notify", __name__)
csrf.exempt(bp)  # the provider signs its notification; the method's plugin verifies that signature instead


@bp.post("/pay/notify/<tenant_slug>/<method>")
@limiter.limit("600 per minute")
def notify(tenant_slug, method):
    """A provider's notification: the enabled method's plugin verifies and records it; we answer once committed."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None or not tenant.is_active:
        abort(404)
    dbscope.enter_tenant(tenant.id)
    answer = methods.handle_notification(tenant, method, request)
    if answer is None:
        abort(404)
    response = make_response(answer)
    if response.status_code < 400:
        # The provider stops retrying once it reads our answer: say "success" only after the commit.
        db.session.commit()
    else:
        db.session.rollback()  # refused: nothing of it is written
    return response
