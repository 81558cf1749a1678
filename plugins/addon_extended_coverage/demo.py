"""Demo rows of the extended coverage add-on: the vendor's offer, and the first client's agreement signed by both
parties a few months back, so the billing replay bills it and the requests demo raises its categories under it."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plugins.addon_extended_coverage.services import AROUND_THE_CLOCK, NAME
from saas.addons import services as addons
from saas.billing.services import in_force
from saas.core.clock import add_months, frozen_at, local_today
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.requests.services import contract_in_force

#: The demo's categories: faults (7×24 already in the standard set) and consultations (office hours without it).
DEMO_CATEGORIES = "FAULT,CONSULT"
MONTHS_BACK = 3


def seed(tenant, session) -> None:
    """The offer, and the first client's add-on agreement from MONTHS_BACK months ago, signed by both parties."""
    client = session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    vendor_admin = first_member(tenant, Role.VENDOR_ADMIN)
    contract = contract_in_force(tenant, client.id) if client else None
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, client.id) if client else None
    if contract is None or vendor_admin is None or client_admin is None:
        return
    offer = addons.save_offer(
        tenant,
        {
            "addon_type": NAME,
            "name_zh": "7×24 延伸支持",
            "name_en": "7×24 extended coverage",
            "description_zh": "故障处理与咨询类请求在服务期内按 7×24 小时计算时限。",
            "description_en": "Faults and consultations are served around the clock while the add-on runs.",
            "monthly_fee": "800.00",
            "terms": {"categories": "FAULT", "coverage": AROUND_THE_CLOCK, "response_hours": 0},
        },
        vendor_admin,
    )
    start, _stop = in_force(contract)
    starts_on = max(start, add_months(local_today(tenant), -MONTHS_BACK))
    with frozen_at(datetime.combine(starts_on, time(9), ZoneInfo(tenant.timezone))):
        agreement = addons.propose(
            contract, offer, {"starts_on": starts_on, "terms": {"categories": DEMO_CATEGORIES}}, vendor_admin
        )
        for party, signer in (("B", vendor_admin), ("A", client_admin)):
            document = addons.documents(agreement)[0]
            addons.sign(agreement, party, signer, document.id, document.sha256)
    session.flush()
