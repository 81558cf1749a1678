"""The demo's materials (Part 3, 说明二 1.2): one request whose clocks stood still while the client gathered the logs
asked for, then ran again when they came; one ask not supplied by its deadline, recorded as the client's breach,
with a §8.2 penalty proposed on the remote-support line's monthly fee."""

from datetime import timedelta

from sqlalchemy import select

from saas.core.clock import frozen_at, now
from saas.core.models import Client, Role
from saas.core.people import first_member
from saas.extensions import db
from saas.materials import breaches, penalties, services
from saas.requests import services as requests


def seed_materials(tenant) -> None:
    """Three days ago a request paused for materials supplied the next morning; a week ago one never supplied."""
    client = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).first()
    contract = requests.contract_in_force(tenant, client.id) if client else None
    engineer = first_member(tenant, Role.VENDOR_ENGINEER)
    billing = first_member(tenant, Role.VENDOR_BILLING) or first_member(tenant, Role.VENDOR_ADMIN)
    client_user = first_member(tenant, Role.CLIENT_USER, client.id) if client else None
    if None in (contract, engineer, billing, client_user) or not contract.lines:
        return
    cats = {c.code: c for c in requests.categories(tenant)}
    start = now().replace(minute=0, second=0, microsecond=0)

    def raise_(subject, description):
        data = {"category_id": cats["REMOTE"].id, "subject": subject, "description": description, "priority": "high"}
        return requests.create_request(tenant, client.id, data, client_user)

    with frozen_at(start - timedelta(days=7)) as clock:
        never = raise_("报表服务器性能下降 Report server slow", "月末报表生成时间从 5 分钟增加到 1 小时。")
        clock.advance(minutes=30)
        requests.reply(never, engineer, "已收到，需要贵方的数据库慢查询日志。", by_client=False)
        services.ask(
            never,
            engineer,
            "最近 7 天的数据库慢查询日志（slow.log）和 AWR 报告。Slow-query log and AWR report of the last 7 days.",
            now() + timedelta(days=2),
        )
        clock.advance(days=3)
        breaches.sweep(tenant)  # the deadline passed with nothing supplied: Party A's breach
        clock.advance(hours=2)
        breach = breaches.breach_of(services.of_request(never)[0])
        line = contract.lines[0]
        penalties.propose(breach, billing, line=line)

    with frozen_at(start - timedelta(days=3)) as clock:
        paused = raise_("备份任务失败 Backup job fails", "夜间备份任务连续两天失败。")
        clock.advance(minutes=20)
        requests.reply(paused, engineer, "请提供备份软件的作业日志。", by_client=False)
        services.ask(
            paused,
            engineer,
            "备份软件最近两次失败作业的完整日志。Full logs of the two failed backup jobs.",
            now() + timedelta(days=1),
        )
        clock.advance(hours=16)
        services.supply(
            services.of_request(paused)[0],
            client_user,
            "日志已附上。Logs attached.",
            [("backup-job.log", "text/plain", b"2026-01-01 02:00 job 17 failed: target volume full\n")],
        )
        clock.advance(hours=2)
        requests.reply(
            paused,
            engineer,
            "目标卷已满，已清理并扩容。The target volume was full: cleaned and extended.",
            by_client=False,
        )
    db.session.commit()
