"""Screens of the client's ratings (§12.3): the rating block of a request's page (both parties see it; the
requester or the client's admin rates there), and the page the e-mailed link opens without signing in."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.core import dbscope
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db, limiter
from saas.requests.models import RequestStatus, ServiceRequest
from saas.satisfaction import services
from saas.satisfaction.forms import RatingForm

portal_bp = tenant_blueprint("portal_ratings", __name__, url_prefix="/portal/ratings", template_folder="templates")
link_bp = Blueprint("satisfaction_link", __name__, template_folder="templates")


def section_html(req: ServiceRequest, membership, **context) -> str:
    """The request's rating as a block of its page (saas_request_sections), with the form for those who rate."""
    return render_template("satisfaction/_request_section.html", **_section_context(req, membership, **context))


def _section_context(req: ServiceRequest, membership, form=None, message=None) -> dict:
    rating = services.of_request(req)
    can_rate = services.may_rate(req, membership) and (
        req.status == RequestStatus.RESOLVED or (req.status == RequestStatus.CLOSED and rating is None)
    )
    if form is None:
        form = RatingForm(formdata=None, data={"score": str(rating.score), "comment": rating.comment} if rating else {})
    return {"req": req, "rating": rating, "can_rate": can_rate, "form": form, "message": message}


@portal_bp.post("/<int:request_id>")
@roles_required(*CLIENT_ROLES)
def portal_rate(request_id):
    """Rate a resolved request of one's own client, or change the rating until the request is closed."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, visible_client_id())
    if not services.may_rate(req, g.membership):
        abort(403)
    form = RatingForm()
    status, message = 200, None
    if not form.validate_on_submit():
        status = 422
    else:
        try:
            services.rate(req, current_user._get_current_object(), form.score.data, form.comment.data or "")
        except ServiceError as exc:
            db.session.rollback()
            status, message = 422, (str(exc), "error")
        else:
            db.session.commit()
            message = (_("Thank you: your rating is recorded."), "success")
    if is_fragment_request():
        context = _section_context(req, g.membership, form=form if status != 200 else None, message=message)
        return render("satisfaction/_request_section.html", block="section", status=status, **context)
    # Without HTMX: back to the request's page, with what happened (the form's own error when it had one).
    errors = [str(e) for e in form.score.errors + form.comment.errors]
    flash(message[0] if message else " ".join(errors), message[1] if message else "error")
    return redirect(url_for("portal_requests.portal_detail", request_id=req.id))


@link_bp.route("/rate/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def rate_link(token):
    """The page the rating e-mail links to: rate the request once, without signing in, before the link expires."""
    tenant_id = services.tenant_of_token(token)
    if tenant_id is None:
        return render("satisfaction/link.html", status=404, refusal=services.LINK_REFUSALS["invalid"](), ask=None)
    dbscope.enter_tenant(tenant_id)
    ask, why = services.ask_of_token(token)
    if why:
        status = 404 if why == "invalid" else 410
        return render("satisfaction/link.html", status=status, refusal=services.LINK_REFUSALS[why](), ask=ask)
    form = RatingForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            rating = services.rate_by_link(token, form.score.data, form.comment.data or "")
        except ServiceError as exc:
            db.session.rollback()
            return render("satisfaction/link.html", status=422, refusal=str(exc), ask=ask)
        db.session.commit()
        return render("satisfaction/link.html", done=rating, ask=ask, refusal=None)
    status = 422 if request.method == "POST" else 200
    return render("satisfaction/link.html", status=status, form=form, ask=ask, refusal=None)
