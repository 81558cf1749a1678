"""Client organisations of a vendor (Party A) and their contact people."""

from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from saas.core import audit
from saas.core.errors import ServiceError
from saas.core.models import Client, ClientContact, Membership, Tenant
from saas.extensions import db


class ClientChoice(NamedTuple):
    """A client as a pick list shows it: `(id, legal_name)`, also readable as `.id` and `.legal_name`."""

    id: int
    legal_name: str


def choices(tenant: Tenant) -> list[ClientChoice]:
    """The tenant's clients as (id, legal_name) pairs ordered by name, for filters and select fields."""
    rows = db.session.execute(
        select(Client.id, Client.legal_name).where(Client.tenant_id == tenant.id).order_by(Client.legal_name)
    )
    return [ClientChoice(*row) for row in rows]


def _uscc_taken(tenant: Tenant, uscc: str, except_id: int | None = None) -> bool:
    stmt = select(Client.id).where(Client.tenant_id == tenant.id, Client.uscc == uscc)
    if except_id is not None:
        stmt = stmt.where(Client.id != except_id)
    return db.session.scalar(stmt) is not None


def save_client(tenant: Tenant, data: dict, client: Client | None = None) -> Client:
    """Create or update a client; its unified social credit code is unique within the vendor."""
    if _uscc_taken(tenant, data["uscc"], client.id if client else None):
        raise ServiceError(_("Another client already has this unified social credit code."))
    created = client is None
    client = client or Client(tenant_id=tenant.id)
    for key in ("legal_name", "uscc", "address", "notes"):
        setattr(client, key, data.get(key) or "")
    db.session.add(client)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent request took the code between check and insert
        db.session.rollback()
        raise ServiceError(_("Another client already has this unified social credit code.")) from exc
    audit.record(
        "client.created" if created else "client.updated",
        tenant_id=tenant.id,
        target=client,
        legal_name=client.legal_name,
    )
    return client


def list_clients(tenant: Tenant, *, query: str = "", after: int | None = None, limit: int = 25):
    """One page of the tenant's clients by id (keyset), filtered by name or code; returns (rows, next_after)."""
    stmt = select(Client).where(Client.tenant_id == tenant.id)
    if query:
        pattern = f"%{query.strip()}%"
        stmt = stmt.where(or_(Client.legal_name.ilike(pattern), Client.uscc.ilike(pattern)))
    if after:
        stmt = stmt.where(Client.id > after)
    rows = db.session.scalars(stmt.order_by(Client.id).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def member_counts(tenant: Tenant, client_ids: list[int]) -> dict[int, int]:
    """Number of people (client admins and users) per client, in one query."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        select(Membership.client_id, func.count(Membership.id))
        .where(Membership.tenant_id == tenant.id, Membership.client_id.in_(client_ids))
        .group_by(Membership.client_id)
    )
    return dict(rows.all())


def add_contact(client: Client, data: dict) -> ClientContact:
    """Add a contact person to a client."""
    contact = ClientContact(tenant_id=client.tenant_id, client_id=client.id, **data)
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "client.contact_added", tenant_id=client.tenant_id, target=contact, client_id=client.id, name=contact.name
    )
    return contact


def remove_contact(contact: ClientContact) -> None:
    """Remove a contact person from a client."""
    audit.record(
        "client.contact_removed",
        tenant_id=contact.tenant_id,
        target=contact,
        client_id=contact.client_id,
        name=contact.name,
    )
    db.session.delete(contact)
