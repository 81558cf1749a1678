"""The vendor admin's webhooks: endpoints (the secret shown once), their delivery log, a test event, replays."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.core import events, webhooks
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, WebhookEndpointForm
from saas.core.models import Role
from saas.core.parsing import parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.core.webhooks import WebhookDelivery, WebhookEndpoint
from saas.extensions import db

bp = tenant_blueprint("webhooks", __name__, url_prefix="/webhooks")
admin_only = roles_required(Role.VENDOR_ADMIN)


def _me():
    return current_user._get_current_object()


def _data(form: WebhookEndpointForm) -> dict:
    data = {name: form[name].data for name in ("url", "description", "events", "enabled")}
    if "secret" in form:
        data["secret"] = form.secret.data
    return data


@bp.get("/")
@admin_only
def index():
    """The tenant's webhook endpoints with their status and latest delivery."""
    return render(
        "console/webhooks.html",
        rows=webhooks.list_endpoints(current_tenant),
        events=events,
        delivery_status=webhooks.status_label,
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def new():
    """Register an endpoint; its page then shows the secret, this once."""
    form = WebhookEndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(current_tenant, _data(form), _me())
        except ServiceError as exc:
            db.session.rollback()
            form.url.errors = [*form.url.errors, str(exc)]
        else:
            db.session.commit()
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    status = 422 if request.method == "POST" else 200
    return render("console/webhook_form.html", status=status, form=form, endpoint=None)


@bp.get("/<int:endpoint_id>")
@admin_only
def endpoint(endpoint_id):
    """An endpoint: its settings, the secret once after it was made or rolled, and its delivery log."""
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, current_tenant)
    after = request.args.get("after", type=parse_id)
    rows, next_after = webhooks.list_deliveries(endpoint, after=after)
    secret = None
    if not after:
        secret = webhooks.reveal_secret(endpoint)
        db.session.commit()
    return render(
        "console/webhook.html",
        block="rows" if request.args.get("after") else "content",
        endpoint=endpoint,
        rows=rows,
        next_after=next_after,
        secret=secret,
        confirm=ConfirmForm(),
        events=events,
        delivery_status=webhooks.status_label,
    )


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@admin_only
def edit(endpoint_id):
    """Change an endpoint's URL, events, description, or switch it on or off (its secret is rolled apart)."""
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, current_tenant, for_update=request.method == "POST")
    form = WebhookEndpointForm(obj=endpoint) if request.method == "GET" else WebhookEndpointForm()
    del form.secret
    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(endpoint, _data(form), _me())
        except ServiceError as exc:
            db.session.rollback()
            form.url.errors = [*form.url.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    status = 422 if request.method == "POST" else 200
    return render("console/webhook_form.html", status=status, form=form, endpoint=endpoint)


@bp.post("/<int:endpoint_id>/roll-secret")
@admin_only
def roll_secret(endpoint_id):
    """Replace the endpoint's secret; its page shows the new one, this once."""
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, current_tenant, for_update=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    webhooks.roll_secret(endpoint, _me())
    db.session.commit()
    flash(_("A new secret was made: the old one signs nothing more."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/test")
@admin_only
def send_test(endpoint_id):
    """Send the endpoint a `ping` event; its delivery heads the log."""
    endpoint = get_or_404(WebhookEndpoint, endpoint_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    webhooks.send_test(endpoint)
    db.session.commit()
    flash(_("Test event sent: the log below shows the answer."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


@bp.get("/deliveries/<int:delivery_id>")
@admin_only
def delivery(delivery_id):
    """One delivery: the request sent (headers and body) and each attempt's answer."""
    delivery = get_or_404(WebhookDelivery, delivery_id, current_tenant)
    return render(
        "console/webhook_delivery.html",
        delivery=delivery,
        endpoint=delivery.endpoint,
        attempts=webhooks.attempts_of(delivery),
        body=webhooks.pretty_body(delivery.event),
        confirm=ConfirmForm(),
        events=events,
        delivery_status=webhooks.status_label,
    )


@bp.post("/deliveries/<int:delivery_id>/replay")
@admin_only
def replay(delivery_id):
    """Send a delivery's event again (same event id), logged as a replay."""
    delivery = get_or_404(WebhookDelivery, delivery_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        webhooks.replay(delivery, _me())
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("webhooks.delivery", delivery_id=delivery.id))
    db.session.commit()
    flash(_("Event %(id)s sent again.", id=delivery.event.public_id), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=delivery.endpoint_id))
