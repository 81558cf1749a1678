"""The tenant is resolved once per request from the URL; every tenant-owned row is loaded through it."""

from functools import wraps

from flask import Blueprint, abort, g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from werkzeug.local import LocalProxy

from saas.core import dbscope
from saas.core.parsing import MAX_ID, parse_id  # noqa: F401  (MAX_ID re-exported for callers)
from saas.extensions import db

#: The vendor whose URL (/t/<slug>/...) this request is under; None outside tenant URLs.
current_tenant = LocalProxy(lambda: g.get("tenant"))
#: The signed-in person's membership in current_tenant.
current_membership = LocalProxy(lambda: g.get("membership"))


class TenantScoped:
    """Mixin for rows owned by a tenant: adds an indexed tenant_id, and `get_in` to load one row by id."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)

    @classmethod
    def get_in(cls, tenant, ident, client_id: int | None = None, *, for_update: bool = False):
        """The row `ident` of this table inside `tenant` (a Tenant or its id) and client, else None.

        The one way services load a tenant's row by id: an id of another tenant or client, a bad id, or
        none at all are the same None, so no caller compares tenant ids by hand.
        """
        return get_in(cls, tenant, ident, client_id, for_update=for_update)


class ClientScoped(TenantScoped):
    """Mixin for rows owned by one client of a tenant: tenant_id and client_id."""

    @declared_attr
    def client_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)


def scoped_select(model, tenant, client_id: int | None = None):
    """SELECT model rows of one tenant (and, for client-owned rows or client roles, of one client)."""
    stmt = select(model).where(model.tenant_id == getattr(tenant, "id", tenant))
    if client_id is not None:
        if hasattr(model, "client_id"):
            stmt = stmt.where(model.client_id == client_id)
        elif model.__name__ == "Client":  # a client's own people may load only their own organisation
            stmt = stmt.where(model.id == client_id)
    return stmt


def get_or_404(model, ident, tenant, client_id: int | None = None, for_update: bool = False):
    """Load one row by id inside a tenant (and client); anything else is a 404, never another's row.

    `for_update` locks the row until the transaction ends, so two people acting on it at once take turns
    and each sees what the other did (on SQLite it takes the database's write lock: saas/core/sqlite.py).
    """
    row = get_in(model, tenant, ident, client_id, for_update=for_update)
    if row is None:
        abort(404)
    return row


def get_in(model, tenant, ident, client_id: int | None = None, *, for_update: bool = False):
    """Load one row by id inside a tenant (and client), or None; see TenantScoped.get_in."""
    ident = parse_id(ident)
    if tenant is None or ident is None:
        return None
    stmt = scoped_select(model, tenant, client_id).where(model.id == ident)
    if for_update:
        stmt = stmt.with_for_update(of=model).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def owned_by(row, tenant, client_id: int | None = None) -> bool:
    """Whether a row already in hand belongs to `tenant` (a Tenant or its id) and, if given, to that client.

    The guard for rows a caller passes in (a team member to assign, an agreement to hand over to); rows loaded
    by id go through get_in instead.
    """
    if row is None or row.tenant_id != getattr(tenant, "id", tenant):
        return False
    return client_id is None or getattr(row, "client_id", client_id) == client_id


def visible_client_id() -> int | None:
    """The client a client-role member is confined to; None for vendor staff who see all clients."""
    membership = g.get("membership")
    if membership is not None and membership.role_enum.is_client:
        return membership.client_id
    return None


def tenant_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """A blueprint whose routes live under /t/<tenant>/... and require a membership of that tenant."""
    bp = Blueprint(name, import_name, url_prefix=f"/t/<tenant>{url_prefix}", **kwargs)

    @bp.url_value_preprocessor
    def _pull_tenant(endpoint, values):
        g.tenant_slug = values.pop("tenant", None) if values else None

    @bp.url_defaults
    def _push_tenant(endpoint, values):
        if "tenant" not in values and g.get("tenant") is not None:
            values["tenant"] = g.tenant.slug

    @bp.before_request
    def _resolve_tenant():
        return resolve_tenant(g.tenant_slug)

    return bp


def resolve_tenant(slug: str | None) -> None:
    """Set g.tenant and g.membership for the signed-in member, or answer 404 (not a member) or 403."""
    from saas.core.models import Tenant

    if not current_user.is_authenticated:
        from saas.extensions import login_manager

        return login_manager.unauthorized()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    membership = current_user.membership_in(tenant.id) if tenant is not None else None
    if membership is None:
        abort(404)
    dbscope.enter_tenant(tenant.id)  # from here on PostgreSQL shows this tenant's rows only
    if not tenant.is_active:
        abort(403, description="tenant_suspended")
    g.tenant, g.membership = tenant, membership
    if request.blueprint and request.blueprint.startswith("plugin_"):
        from saas.core.plugins import plugin_manager

        if not plugin_manager().is_enabled(request.blueprint.removeprefix("plugin_"), tenant):
            abort(404)


def roles_required(*roles):
    """Allow a tenant view only to members with one of these roles; others get 403."""
    allowed = {str(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            membership = g.get("membership")
            if membership is None or membership.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator
