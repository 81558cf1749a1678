"""The vendor admin's API tokens: list, make (the secret shown once), revoke; how to point Alertmanager here."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.api import tokens
from saas.api.forms import TokenForm
from saas.api.models import ApiToken
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, choices
from saas.core.links import external_url
from saas.core.models import Role
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.extensions import db

bp = tenant_blueprint("api_tokens", __name__, url_prefix="/api-tokens", template_folder="templates")
admin_only = roles_required(Role.VENDOR_ADMIN)


def _page(form: TokenForm, status: int = 200, created: ApiToken | None = None, secret: str | None = None):
    clients = client_choices(current_tenant)
    form.client_id.choices = choices([(0, _("All clients")), *clients])
    return render(
        "api/tokens.html",
        status=status,
        tokens=tokens.list_tokens(current_tenant),
        form=form,
        confirm=ConfirmForm(),
        clients=clients,
        created=created,
        secret=secret,
        scopes=tokens.SCOPES,
        webhook_url=external_url("api.alertmanager_webhook"),
        openapi_url=external_url("api.openapi"),
    )


@bp.get("/")
@admin_only
def index():
    """The tenant's API tokens, the form for a new one, and the Alertmanager set-up."""
    return _page(TokenForm(formdata=None))


@bp.post("/")
@admin_only
def create():
    """Make a token and show its secret, this once (it is not kept, only its digest)."""
    form = TokenForm()
    form.client_id.choices = choices([(0, ""), *client_choices(current_tenant)])
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        token, secret = tokens.create_token(
            current_tenant,
            form.name.data,
            form.scopes.data,
            client_id=form.client_id.data or None,
            actor=current_user._get_current_object(),
        )
    except ServiceError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(exc)]
        return _page(form, status=422)
    db.session.commit()
    return _page(TokenForm(formdata=None), created=token, secret=secret)


@bp.post("/<int:token_id>/revoke")
@admin_only
def revoke(token_id):
    """Revoke a token for good: whatever uses it gets 401 from now on."""
    token = get_or_404(ApiToken, token_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tokens.revoke_token(token, current_user._get_current_object())
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("api_tokens.index"))
