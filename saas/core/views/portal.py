"""The client portal: a client's people see their organisation, its contacts and colleagues."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.core.models import CLIENT_ROLES, Client, Membership
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db

bp = tenant_blueprint("portal", __name__, url_prefix="/portal")
client_only = roles_required(*CLIENT_ROLES)


@bp.get("/")
@client_only
def home():
    """The client's own organisation: details, contacts and the vendor's details."""
    client = get_or_404(Client, visible_client_id(), current_tenant, client_id=visible_client_id())
    return render("portal/home.html", client=client)


@bp.get("/people")
@client_only
def people():
    """The people of the client's organisation who can sign in."""
    client_id = visible_client_id()
    client = get_or_404(Client, client_id, current_tenant, client_id=client_id)
    members = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.tenant_id == current_tenant.id, Membership.client_id == client_id)
        .order_by(Membership.id)
    ).all()
    return render("portal/people.html", client=client, members=members)
