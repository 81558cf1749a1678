"""The demo's feedback (§12.2, §12.3): the client's praise, confirmed, and a complaint about a request that the
vendor took up and upheld as its own breach below the agreed standard (§8.1.1), its outcome waiting for the client."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.contracts.models import Contract, ContractStatus
from saas.core.clock import frozen_at, local_today
from saas.core.models import Role
from saas.core.people import first_member
from saas.extensions import db
from saas.feedback import services
from saas.requests.models import ServiceRequest


def seed_feedback(tenant) -> None:
    contract = db.session.scalars(
        select(Contract)
        .where(Contract.tenant_id == tenant.id, Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.EXPIRING)))
        .order_by(Contract.id)
    ).first()
    if contract is None:
        return
    requests = db.session.scalars(
        select(ServiceRequest).where(ServiceRequest.contract_id == contract.id).order_by(ServiceRequest.id.desc())
    ).all()
    admin = first_member(tenant, Role.VENDOR_ADMIN)
    client_user = first_member(tenant, Role.CLIENT_USER, contract.client_id) or first_member(
        tenant, Role.CLIENT_ADMIN, contract.client_id
    )
    if not requests or admin is None or client_user is None:
        return
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    about = next((r for r in requests if r.received_at.astimezone(zone).date() < today - timedelta(days=7)), None)
    if about is None:
        return
    with frozen_at(datetime.combine(today - timedelta(days=6), time(9, 30), zone)) as clock:
        praise = services.submit(
            tenant,
            contract.client_id,
            client_user,
            {
                "kind": "praise",
                "subject": "驻场工程师处理及时 Prompt on-site engineer",
                "body": "感谢周末加班恢复系统。",
            },
        )
        clock.advance(hours=2)
        services.take_up(praise, admin)
        services.propose_outcome(praise, admin, "已转达工程师本人并在周会表扬。 Passed on to the engineer.")
        clock.advance(hours=3)
        services.confirm(praise, client_user, "谢谢。")
        clock.advance(days=1)
        complaint = services.submit(
            tenant,
            contract.client_id,
            client_user,
            {
                "kind": "complaint",
                "subject": "处理敷衍，问题反复出现 Handled carelessly, the problem keeps coming back",
                "body": "同一故障一周内出现三次，工程师未做根因分析。 The same fault came back three times in a week.",
                "request_id": about.id,
            },
        )
        clock.advance(hours=1)
        services.take_up(complaint, admin, "属实，安排复盘。")
        clock.advance(hours=4)
        services.uphold_as_breach(
            complaint,
            admin,
            "未按约定做根因分析即关闭处理，低于协议约定的服务标准。 Closed without the agreed root-cause analysis: "
            "below the agreed standard.",
        )
        services.propose_outcome(
            complaint,
            admin,
            "已完成根因分析并更换故障部件；本期服务赔偿按第 8.2 条计算。 Root cause found and the part replaced; "
            "this period's service credit follows §8.2.",
        )
    db.session.commit()
