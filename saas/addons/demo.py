"""The demo's portal request (§13.1, §13.3): the second client's admin asks in the portal for an add-on on offer
under its agreement in force, signs it for Party A, and the vendor countersigns it the next day. Whatever add-on
types the tenant has enabled: it takes the first offer the client does not have yet."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.addons import services
from saas.addons.models import AddonAgreement
from saas.billing.services import in_force
from saas.core.clock import frozen_at, local_today, now
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.extensions import db


def seed_portal_request(tenant) -> None:
    """The second client's request in the portal, signed by both parties (once every agreement demo has played)."""
    clients = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()
    if len(clients) < 2:
        return
    client = clients[1]
    contract = services.main_agreement_of(tenant, client.id)
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, client.id)
    vendor = first_member(tenant, Role.VENDOR_ADMIN)
    if contract is None or client_admin is None or vendor is None:
        return
    taken = set(
        db.session.scalars(select(AddonAgreement.addon_type).where(AddonAgreement.contract_id == contract.id)).all()
    )
    offer = next((o for o in services.list_offers(tenant, offered_only=True) if o.addon_type not in taken), None)
    if offer is None:
        return
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    first_day, real_now = in_force(contract)[0], now()
    asked = min(datetime.combine(first_day + timedelta(days=2), time(9, 30), zone), real_now)
    with frozen_at(asked) as clock:
        starts_on = min(first_day + timedelta(days=4), today)
        agreement = services.propose(contract, offer, {"starts_on": starts_on}, client_admin, by_client=True)
        document = services.documents(agreement)[0]
        services.sign(agreement, "A", client_admin, document.id, document.sha256)
        db.session.commit()
        clock.set(min(asked + timedelta(days=1), real_now))  # the vendor countersigns the next day
        services.sign(agreement, "B", vendor, document.id, document.sha256)
        db.session.commit()
