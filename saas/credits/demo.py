"""The demo's service credits: fault responses missed two periods ago, credited at that period's end and confirmed
by billing staff; remote-support responses missed last period, credited and waiting for billing staff."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.billing.periods import periods_between
from saas.core.clock import frozen_at, local_today
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.credits import services as credits
from saas.extensions import db
from saas.requests import services as requests
from saas.requests import sla
from saas.requests.models import RequestStatus


def _missed_responses(tenant, client, code, subjects, at, engineer, client_user):
    """Requests raised at `at` that nobody answers before their response deadline (§8.1.2); answered, fixed and
    closed the next day."""
    zone = ZoneInfo(tenant.timezone)
    category = {c.code: c for c in requests.categories(tenant)}[code]
    with frozen_at(datetime.combine(at, time(9, 30), zone)) as clock:
        raised = [
            requests.create_request(
                tenant, client.id, {"category_id": category.id, "subject": subject, "priority": "high"}, client_user
            )
            for subject in subjects
        ]
        clock.advance(hours=30)  # past every response deadline, on any calendar
        sla.sweep()
        for req in raised:
            requests.reply(req, engineer, "抱歉回复晚了，正在处理。Sorry for the late answer.", by_client=False)
            requests.change_status(req, RequestStatus.RESOLVED, engineer, by_client=False, note="已修复。Fixed.")
            requests.change_status(req, RequestStatus.CLOSED, client_user, by_client=True)


def seed_credits(tenant) -> None:
    """Two ended periods with breaches on the first client's agreement: the older credit confirmed, the newer one
    proposed, each on the night its period ended, as the nightly job would have."""
    client = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    contract = requests.contract_in_force(tenant, client.id) if client else None
    engineer = first_member(tenant, Role.VENDOR_ENGINEER)
    billing = first_member(tenant, Role.VENDOR_BILLING)
    client_user = first_member(tenant, Role.CLIENT_USER, client.id) if client else None
    if None in (contract, engineer, billing, client_user):
        return
    today = local_today(tenant)
    ended = [p for p in periods_between(contract.effective_date, contract.effective_date, today) if p.end <= today]
    if len(ended) < 2:
        return  # the agreement has not run two whole periods yet (a clock set early)
    older, newer = ended[-2], ended[-1]
    zone = ZoneInfo(tenant.timezone)
    _missed_responses(
        tenant,
        client,
        "FAULT",
        [
            "核心交换机端口闪断 Core switch port flapping",
            "邮件服务器队列积压 Mail queue stuck",
            "VPN 网关掉线 VPN gateway down",
        ],
        older.start + timedelta(days=9),
        engineer,
        client_user,
    )
    with frozen_at(datetime.combine(older.end, time(0, 20), zone)) as clock:
        credits.propose_credits(tenant, older.end)
        clock.advance(hours=10)
        for credit in [c for c in credits.of_contract(contract) if c.period_start == older.start]:
            credits.confirm(credit, billing, "按协议第 8.2 条确认。Confirmed under §8.2.")
    _missed_responses(
        tenant,
        client,
        "REMOTE",
        ["财务系统报表导出失败 Finance report export fails", "OA 附件无法上传 OA attachments fail"],
        newer.start + timedelta(days=12),
        engineer,
        client_user,
    )
    with frozen_at(datetime.combine(newer.end, time(0, 20), zone)):
        credits.propose_credits(tenant, newer.end)
    db.session.commit()
