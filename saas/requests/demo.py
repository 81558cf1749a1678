"""Demo activity: the first client's agreement signed by both parties, its past months' requests, and a week of
requests replayed on it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.billing.periods import periods_between
from saas.core.clock import frozen_at, local_date, local_today, now
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.extensions import db
from saas.requests import services, sla
from saas.requests.models import Channel, RequestStatus
from saas.team.models import TeamMember

S = RequestStatus


#: Each past month's requests: category, subject, hours to the first answer and to the fix (7x24 or office hours).
USUAL_MONTH = (
    ("REMOTE", "邮箱同步失败 Mailbox not syncing", 0.5, 3),
    ("FAULT", "核心数据库连接数告警 Database connections alarm", 1, 5),
    ("CONSULT", "年度巡检安排咨询 Yearly inspection planning", 2, 6),
)
#: The month the service fell short: answers past the agreement's hours, a fix past its target (§8.1.2, §8.1.3).
BAD_MONTH = (
    ("REMOTE", "共享盘无法访问 Shared drive unreachable", 6, 9),
    ("FAULT", "防火墙策略失效 Firewall rules not applied", 3, 80),
    ("CONSULT", "服务器扩容咨询 Server expansion question", 12, 20),
)


def history_months(tenant, contract) -> list:
    """The agreement's past periods the demo fills with ordinary requests: all but the last two ended ones (the
    service credits' demo plays those) and the current one."""
    today = local_today(tenant)
    ended = [p for p in periods_between(contract.effective_date, contract.effective_date, today) if p.end <= today]
    return ended[:-2]


def bad_month(months: list):
    """The past month the service fell short in (the evaluation's demo opens its improvement measure)."""
    return months[-2] if len(months) >= 2 else None


def seed_history(tenant) -> None:
    """Replay the agreement's past months: three requests each, answered and fixed within the agreement's hours and
    closed by the client, but for one month that fell short."""
    client = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    contract = services.contract_in_force(tenant, client.id) if client else None
    engineer = first_member(tenant, Role.VENDOR_ENGINEER)
    client_user = first_member(tenant, Role.CLIENT_USER, client.id) if client else None
    if contract is None or engineer is None or client_user is None:
        return
    cats = {c.code: c for c in services.categories(tenant)}
    zone = ZoneInfo(tenant.timezone)
    months = history_months(tenant, contract)
    bad = bad_month(months)
    for month in months:
        day = month.start + timedelta(days=3)
        for code, subject, answer, fix in BAD_MONTH if month is bad else USUAL_MONTH:
            while day.weekday() >= 5:  # raised on a working day, at ten in the morning
                day += timedelta(days=1)
            with frozen_at(datetime.combine(day, time(10), zone)) as clock:
                data = {"category_id": cats[code].id, "subject": subject, "description": subject.split(" ")[0]}
                req = services.create_request(tenant, client.id, data, client_user)
                clock.advance(hours=answer)
                services.reply(req, engineer, "已收到，正在处理。We are on it.", by_client=False)
                clock.advance(hours=fix - answer)
                services.change_status(req, S.RESOLVED, engineer, by_client=False, note="已处理。Done.")
                clock.advance(hours=2)
                services.change_status(req, S.CLOSED, client_user, by_client=True)
            day += timedelta(days=4)
    db.session.flush()


def seed_activity(tenant) -> None:
    """Replay a week of requests under the first client's agreement: answered, waited on, visited, late."""
    client = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    contract = services.contract_in_force(tenant, client.id) if client else None
    engineer = first_member(tenant, Role.VENDOR_ENGINEER)
    client_user = first_member(tenant, Role.CLIENT_USER, client.id) if client else None
    if contract is None or engineer is None or client_user is None:
        return
    cats = {c.code: c for c in services.categories(tenant)}
    member = db.session.scalar(
        select(TeamMember).where(TeamMember.tenant_id == tenant.id, TeamMember.user_id == engineer.id)
    )
    week_ago = now().replace(minute=0, second=0, microsecond=0) - timedelta(days=6)
    if contract.effective_date > local_date(tenant, week_ago):
        return  # the agreement is not in force for the whole week to replay (a clock set before it)

    def raise_(code, subject, description, priority="normal", channel=Channel.PORTAL):
        data = {"category_id": cats[code].id, "subject": subject, "description": description, "priority": priority}
        if channel != Channel.PORTAL:
            data |= {"requester_name": "王经理", "requester_contact": "010-88886666"}
        actor = client_user if channel == Channel.PORTAL else engineer
        return services.create_request(tenant, client.id, data, actor, channel=channel)

    with frozen_at(week_ago) as clock:
        fault = raise_("FAULT", "ERP 系统无法登录 ERP login fails", "上午九点起所有用户登录报 500 错误。", "urgent")
        clock.advance(minutes=40)
        services.reply(fault, engineer, "已收到，正在排查应用服务器日志。", by_client=False)
        clock.advance(hours=1)
        services.change_status(
            fault, S.WAITING_ON_CLIENT, engineer, by_client=False, note="请提供出错时段的数据库告警截图。"
        )
        clock.advance(hours=3)
        services.reply(fault, client_user, "截图已发邮件。", by_client=True)
        clock.advance(hours=2)
        services.change_status(fault, S.RESOLVED, engineer, by_client=False, note="连接池参数已调整，登录恢复。")
        clock.advance(hours=20)
        services.change_status(fault, S.CLOSED, client_user, by_client=True)

        clock.advance(days=1)
        onsite = raise_(
            "ONSITE", "机房服务器硬盘告警 Disk alarm in the server room", "2 号机柜存储阵列亮黄灯，需要上门更换硬盘。"
        )
        clock.advance(hours=1)
        services.reply(onsite, engineer, "明天上午安排工程师上门。", by_client=False)
        clock.advance(hours=20)
        services.record_visit(
            onsite, engineer, member, now() - timedelta(hours=2), now(), "更换 2 块硬盘，阵列重建完成。"
        )
        services.change_status(onsite, S.RESOLVED, engineer, by_client=False)
        # The client rejects the fix twice: a service below the agreed standard (§8.1.1), recorded as a breach.
        for _round in range(2):
            clock.advance(hours=3)
            services.change_status(
                onsite, S.IN_PROGRESS, client_user, by_client=True, note="阵列仍报警。Still alarming."
            )
            clock.advance(hours=4)
            services.change_status(onsite, S.RESOLVED, engineer, by_client=False, note="更换背板，告警消除。")

        clock.advance(days=1)
        raise_("CONSULT", "备份策略咨询 Backup policy question", "想了解异地备份的方案和费用。", channel=Channel.PHONE)
        clock.advance(days=1)
        waiting = raise_("GENERAL", "新增 VPN 账号 New VPN accounts", "为财务部新增 3 个 VPN 账号。")
        clock.advance(hours=2)
        services.change_status(waiting, S.WAITING_ON_CLIENT, engineer, by_client=False, note="请提供三位同事的工号。")
        clock.advance(days=1)
        raise_("UPGRADE", "数据库版本升级评估 Database upgrade review", "评估从 12 升级到 15 的影响。", "low")
    raise_("REMOTE", "打印服务异常 Printing service down", "行政部打印机无法打印。", "high")
    # A fault raised just under its response time ago (7x24): unanswered, it breaches ten minutes after the demo is
    # seeded, while the new user watches the queue count down and the scheduler's sweep record it (§8.1.2).
    with frozen_at(now() - timedelta(hours=contract.fault_response_hours) + timedelta(minutes=10)):
        raise_("FAULT", "数据库主从延迟告警 Database replica lagging", "主从复制延迟超过 10 分钟。", "urgent")
    sla.sweep()
