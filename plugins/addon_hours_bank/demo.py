"""Demo rows of the hours bank (§13): the vendor's offer, the first client's bank signed by both parties two months
back, so the billing replay bills its months on the regular invoices, and this month's time on the client's requests,
beyond what the bank holds, so the portal shows a balance with overage (billed on the next invoice).

The bank's past months have no time logged: the requests demo replays its requests after the billing replay, and
time for a month already invoiced is refused (the invoice and the balance would part).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plugins.addon_hours_bank import services
from saas.addons import services as addons
from saas.addons.models import AddonAgreement
from saas.billing.periods import periods_between
from saas.billing.services import in_force
from saas.contracts.models import Contract
from saas.core.clock import frozen_at, local_date, local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.requests.models import ServiceRequest

OFFER = {
    "addon_type": services.NAME,
    "name_zh": "工时包",
    "name_en": "Hours bank",
    "description_zh": "每月 20 小时工程师工时，未用完的工时可结转至下月；超出部分按每小时 350 元计费。",
    "description_en": "20 engineer hours a month, unused hours carried into the next month; hours beyond the bank "
    "at 350.00 an hour.",
    "currency": "CNY",
    "monthly_fee": "3000.00",
    "unit_price": "350.00",
    "terms": {"hours_per_month": "20", "one_off_hours": "0", "rollover": "next_month"},
}
#: This month's time on the client's requests: 44 h, beyond the month's 20 h and the 20 h carried in.
TIME = (
    ("8", "on_site", "上门更换故障硬盘，阵列重建 On site: failed disks replaced, array rebuilt"),
    ("3.5", "remote", "远程排查邮箱同步 Remote: mailbox sync traced"),
    ("7.5", "on_site", "机房巡检与除尘 Data-centre inspection and cleaning"),
    ("6", "remote", "数据库连接池调优 Database connection pool tuned"),
    ("8", "on_site", "现场核对防火墙策略 Firewall rules checked on site"),
    ("4.5", "remote", "备份任务重新配置 Backup jobs reconfigured"),
    ("6.5", "remote", "交换机固件升级 Switch firmware upgraded"),
)


def _first_contract(tenant, session):
    client = session.scalar(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id).limit(1))
    if client is None:
        return None
    return session.scalar(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.client_id == client.id, Contract.status.in_(addons.IN_FORCE))
        .order_by(Contract.id)
        .limit(1)
    )


def seed_bank(tenant, session) -> None:
    """The offer, and the first client's bank from the start of the period two before this one, signed the week
    before by both parties (before the billing replay, which bills its fees and measured overage)."""
    vendor, contract = first_member(tenant, Role.VENDOR_ADMIN), _first_contract(tenant, session)
    if vendor is None:
        return
    offer = addons.save_offer(tenant, OFFER, vendor)
    signer = first_member(tenant, Role.CLIENT_ADMIN, contract.client_id) if contract is not None else None
    if contract is None or signer is None:
        return
    today = local_today(tenant)
    periods = periods_between(contract.effective_date, contract.effective_date, today + timedelta(days=1))
    first_day = in_force(contract)[0]  # an agreement not begun yet (the tests' clock): its bank from its first day
    starts_on = max(periods[max(0, len(periods) - 3)].start, first_day) if periods else first_day
    zone = ZoneInfo(tenant.timezone)
    with frozen_at(min(datetime.combine(starts_on - timedelta(days=7), time(10), zone), now())):
        agreement = addons.propose(contract, offer, {"starts_on": starts_on}, vendor)
        for party, user in (("B", vendor), ("A", signer)):
            document = addons.documents(agreement)[0]
            addons.sign(agreement, party, user, document.id, document.sha256)
    session.flush()


def seed_time(tenant, session) -> None:
    """This month's time on the first client's requests, by its engineer and the vendor's admin, on the days since
    each was raised (once the requests demo has played)."""
    bank = session.scalar(
        select(AddonAgreement)
        .where(AddonAgreement.tenant_id == tenant.id, AddonAgreement.addon_type == services.NAME)
        .order_by(AddonAgreement.id)
        .limit(1)
    )
    if bank is None:
        return
    month = services.current(bank, local_today(tenant))
    people = [p for p in (first_member(tenant, Role.VENDOR_ENGINEER), first_member(tenant, Role.VENDOR_ADMIN)) if p]
    if month is None or not people:
        return
    requests = session.scalars(
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == tenant.id, ServiceRequest.contract_id == bank.contract_id)
        .order_by(ServiceRequest.received_at)
    ).all()
    requests = [r for r in requests if local_date(tenant, r.received_at) >= month.start]
    if not requests:
        return
    today = local_today(tenant)
    zone = ZoneInfo(tenant.timezone)
    for index, (hours, kind, note) in enumerate(TIME):
        for turn in range(len(requests)):  # its request, or the next one where it fits
            req = requests[(index + turn) % len(requests)]
            first = local_date(tenant, req.received_at)
            days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
            if _log_somewhere(req, {"hours": hours, "kind": kind, "note": note}, days, people, zone):
                break
    session.flush()


def _log_somewhere(req, data, days, people, zone) -> bool:
    """Log the entry on the first day and by the first person it fits (a day holds 24 h a person); False: none."""
    for day in days:
        for person in people:
            with frozen_at(min(datetime.combine(day, time(18), zone), now())):
                try:
                    services.log_time(req, {**data, "worked_on": day}, person)
                except ServiceError:
                    continue
                return True
    return False
