"""The platform console: the operator creates and suspends tenants and enables plugins per tenant."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from saas.core import audit, dbscope
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm, TenantForm
from saas.core.mail import list_mail
from saas.core.models import Membership, Role, Tenant, TenantStatus
from saas.core.parsing import parse_id
from saas.core.people import invite
from saas.core.plugins import plugin_manager
from saas.core.rendering import is_fragment_request, render
from saas.core.tenants import create_tenant, set_plugin_enabled, set_tenant_status
from saas.extensions import db

bp = Blueprint("platform", __name__, url_prefix="/platform")


@bp.before_request
@login_required
def _platform_admins_only():
    if not current_user.is_platform_admin:
        abort(403)
    dbscope.enter_platform()  # the operator's screens see every tenant


def _tenant(tenant_id: int) -> Tenant:
    return db.get_or_404(Tenant, tenant_id)


@bp.get("/")
def tenants():
    """All tenants with their member counts."""
    rows = db.session.execute(
        select(Tenant, func.count(Membership.id))
        .outerjoin(Membership, Membership.tenant_id == Tenant.id)
        .group_by(Tenant.id)
        .order_by(Tenant.name)
    ).all()
    return render("platform/tenants.html", rows=rows)


@bp.route("/tenants/new", methods=["GET", "POST"])
def new_tenant():
    """Create a tenant and invite its first vendor admin."""
    form = TenantForm()
    if form.validate_on_submit():
        try:
            tenant = create_tenant(
                name=form.name.data.strip(),
                slug=form.slug.data,
                legal_name=form.legal_name.data.strip(),
                uscc=form.uscc.data,
                address=form.address.data,
                timezone=form.timezone.data,
                currency=form.currency.data,
            )
            db.session.commit()
            invite(tenant, email=form.admin_email.data, role=Role.VENDOR_ADMIN)
        except ServiceError as exc:
            db.session.rollback()
            form.slug.errors.append(str(exc))
        else:
            flash(_("Tenant %(name)s created; its admin has been invited.", name=tenant.name), "success")
            return redirect(url_for("platform.tenant", tenant_id=tenant.id))
    return render("platform/tenant_form.html", form=form)


@bp.get("/tenants/<int:tenant_id>")
def tenant(tenant_id):
    """A tenant: status and plugins."""
    row = _tenant(tenant_id)
    pm = plugin_manager()
    enabled = pm.enabled_names(row)
    plugins = [(name, pm.info(name), name in enabled) for name in pm.plugin_names()]
    return render("platform/tenant.html", tenant=row, plugins=plugins, form=ConfirmForm())


@bp.post("/tenants/<int:tenant_id>/status")
def tenant_status(tenant_id):
    """Suspend or reactivate a tenant."""
    row = _tenant(tenant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    status = request.form.get("status")
    if status not in {s.value for s in TenantStatus}:
        abort(400)
    set_tenant_status(row, TenantStatus(status))
    db.session.commit()
    flash(_("Tenant suspended.") if status == TenantStatus.SUSPENDED else _("Tenant reactivated."), "success")
    return redirect(url_for("platform.tenant", tenant_id=row.id))


@bp.post("/tenants/<int:tenant_id>/plugins/<name>")
def tenant_plugin(tenant_id, name):
    """Enable or disable a plugin for a tenant (HTMX swaps the plugin's row)."""
    row = _tenant(tenant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    pm = plugin_manager()
    if name not in pm.plugin_names():
        abort(404)
    refusal, status = "", 200
    try:
        set_plugin_enabled(row, name, request.form.get("enabled") == "1", pm.plugin_names())
    except ServiceError as exc:  # something still rests on it (signed add-on agreements): it stays on
        db.session.rollback()
        refusal, status = str(exc), 422
    else:
        db.session.commit()
    if not is_fragment_request():
        if refusal:
            flash(refusal, "error")
        return redirect(url_for("platform.tenant", tenant_id=row.id))
    enabled = name in pm.enabled_names(row)
    return render(
        "platform/tenant.html",
        block="plugin_row",
        status=status,
        refusal=refusal,
        refusal_for=name,
        tenant=row,
        plugin=(name, pm.info(name), enabled),
        form=ConfirmForm(),
        plugins=[(n, pm.info(n), n in pm.enabled_names(row)) for n in pm.plugin_names()],
    )


@bp.get("/audit")
def audit_log():
    """Every tenant's audit events and the platform's own, newest first."""
    events, next_before = audit.list_events(
        tenant_id=None,
        platform=True,
        before=request.args.get("before", type=parse_id),
        action=request.args.get("action", ""),
    )
    tenants = {t.id: t for t in db.session.scalars(select(Tenant))}
    return render(
        "platform/audit.html",
        events=events,
        next_before=next_before,
        tenants=tenants,
        action=request.args.get("action", ""),
    )


@bp.get("/outbox")
def outbox():
    """Mail the instance has sent (or, without SMTP, kept here instead of sending)."""
    messages, next_before = list_mail(tenant_id=None, platform=True, before=request.args.get("before", type=parse_id))
    return render("platform/outbox.html", messages=messages, next_before=next_before)
