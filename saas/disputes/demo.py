"""The demo's dispute: billing staff waived last period's service credit, the client contested it, negotiation did
not settle it and it went to the mediation committee named in the agreement (§9.1, §9.2)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.core.clock import frozen_at, local_date, now
from saas.core.models import Role
from saas.core.people import first_member
from saas.credits import services as credits
from saas.credits.models import CreditStatus, ServiceCredit
from saas.disputes import services
from saas.disputes.models import Subject
from saas.extensions import db


def seed_disputes(tenant) -> None:
    credit = db.session.scalars(
        select(ServiceCredit)
        .where(ServiceCredit.tenant_id == tenant.id, ServiceCredit.status == CreditStatus.PROPOSED)
        .order_by(ServiceCredit.period_start.desc())
    ).first()
    billing, admin = first_member(tenant, Role.VENDOR_BILLING), first_member(tenant, Role.VENDOR_ADMIN)
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, credit.client_id) if credit else None
    if None in (credit, billing, admin, client_admin):
        return
    zone = ZoneInfo(tenant.timezone)
    start = datetime.combine(credit.period_end, time(15), zone)
    if now() - start < timedelta(days=2):
        return  # the period ended too recently to have a history
    with frozen_at(start) as clock:
        credits.waive(credit, billing, "客户报障时未提供日志，响应时间应从收到日志起算。")
        clock.advance(hours=3)
        dispute = services.open_dispute(
            tenant,
            "A",
            client_admin,
            subject=Subject.CREDIT,
            subject_id=credit.id,
            contract=None,
            summary="两次远程支持请求均在报障后超过约定时限才响应，日志并非响应的前提。请恢复该项服务抵扣。",
            client_id=credit.client_id,
        )
        clock.advance(hours=20)
        services.record_minutes(dispute, admin, "电话协商：乙方坚持按收到日志时间起算，甲方不同意。")
        clock.advance(hours=1)
        today = local_date(tenant, now())
        services.escalate(dispute, admin, result="协商未达成一致", deadline=today + timedelta(days=45))
    db.session.commit()
