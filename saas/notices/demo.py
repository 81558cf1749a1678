"""The demo's notices: the vendor's notice of the client's late payment, read and acknowledged; the client's notice
of the vendor's missed fault responses, read by the vendor and waiting for its acknowledgement."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.contracts.models import Contract, ContractStatus
from saas.core.clock import frozen_at, local_today
from saas.core.models import Membership, Role
from saas.core.people import first_member
from saas.extensions import db
from saas.notices import services
from saas.notices.models import NoticeKind, Party


def _membership(user, tenant) -> Membership:
    return user.membership_in(tenant.id)


def seed_notices(tenant) -> None:
    contract = db.session.scalars(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.EXPIRING)))
        .order_by(Contract.id)
    ).first()
    if contract is None:
        return
    admin = first_member(tenant, Role.VENDOR_ADMIN)
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, contract.client_id)
    if admin is None or client_admin is None:
        return
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    sent = datetime.combine(today - timedelta(days=10), time(10), zone)
    with frozen_at(sent) as clock:
        late = services.send_notice(
            contract,
            Party.B,
            admin,
            {
                "kind": NoticeKind.CURE,
                "clause": "8.1.4",
                "subject": "逾期付款催告 Overdue payment",
                "body_zh": "贵方发票已逾期未付，依协议第 8.1.4 条构成违约。"
                "请于期限前付清，否则将按第 8.2 条计收违约金。",
                "body_en": "Your invoice is overdue, a breach under §8.1.4. Please pay it by the deadline; "
                "otherwise the penalty of §8.2 applies.",
                "deadline": today + timedelta(days=20),
            },
            [("付款记录 Payment record.txt", "text/plain", "应付 10,500.00 元，截至今日未到账。".encode())],
        )
        db.session.commit()  # delivered by e-mail as it is sent
        clock.advance(hours=3)
        services.mark_read(late, client_admin, _membership(client_admin, tenant))
        clock.advance(hours=1)
        services.acknowledge(late, client_admin, _membership(client_admin, tenant), "已收到，财务本周内安排付款。")
        clock.advance(days=2)
        breach = services.send_notice(
            contract,
            Party.A,
            client_admin,
            {
                "kind": NoticeKind.BREACH,
                "clause": "8.1.2",
                "subject": "故障响应超时 Fault responses missed",
                "body_zh": "上月三次故障请求均未在约定的响应时限内响应，依协议第 8.1.2 条构成违约。",
                "body_en": "Three fault requests last month were not answered within the agreed response time: a "
                "breach under §8.1.2.",
                "deadline": None,
            },
        )
        db.session.commit()
        clock.advance(hours=5)
        services.mark_read(breach, admin, _membership(admin, tenant))
    db.session.commit()
