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


def seed_termination(tenant) -> None:
    """The second client's agreement, ended for breach (§10.3) and settled (§10.4): signed eighty days ago and billed
    monthly, the client's request to cure the missed fault responses, its deadline passed, the client's notice of
    termination, and the final account with the last cut-short period."""

    from saas.billing import payments
    from saas.billing.models import Invoice
    from saas.billing.periods import period
    from saas.billing.services import bill, due_periods
    from saas.billing.settlement import settle
    from saas.core.models import Client
    from saas.notices.termination import terminate_for_breach

    clients = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()
    if len(clients) < 2:
        return
    client = clients[1]
    admin = first_member(tenant, Role.VENDOR_ADMIN)
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, client.id)
    if admin is None or client_admin is None:
        return
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    effective = today - timedelta(days=80)
    at = lambda day, hour=10: datetime.combine(day, time(hour), zone)  # noqa: E731
    with frozen_at(at(effective - timedelta(days=7))):
        contract = _signed_operations_agreement(
            tenant,
            client,
            admin,
            client_admin,
            effective,
            "运维服务协议 Operations service agreement",
            ("REMOTE", "FAULT"),
        )
    db.session.commit()
    # the last day in force a week before the second period would have ended: the settlement bills it cut short
    ended = period(effective, 1).end - timedelta(days=8)
    cure_sent = ended - timedelta(days=19)
    with frozen_at(at(cure_sent)) as clock:
        cure = services.send_notice(
            contract,
            Party.A,
            client_admin,
            {
                "kind": NoticeKind.CURE,
                "clause": "8.1.2",
                "subject": "限期整改：故障响应超时 Cure the missed fault responses",
                "body_zh": "本月多次故障请求未在约定时限内响应，依协议第 8.1.2 条构成违约。请于期限前整改，"
                "否则我方将依第 10.3 条解除协议。",
                "body_en": "Several fault requests this month were not answered within the agreed time, a breach "
                "under §8.1.2. Please cure it by the deadline; otherwise we shall terminate under §10.3.",
                "deadline": cure_sent + timedelta(days=14),
            },
        )
        db.session.commit()
        clock.advance(hours=2)
        services.mark_read(cure, admin, _membership(admin, tenant))
        services.acknowledge(cure, admin, _membership(admin, tenant), "已收到，正在整改。")
        db.session.commit()
    # the first period billed at its end as the nightly run does, and paid by transfer
    for day in sorted({p.end for p in due_periods(contract, today)}):
        if day > ended:
            break
        with frozen_at(at(day, 0)):
            bill(tenant, [contract.id], day)
            db.session.commit()
    for invoice in db.session.scalars(select(Invoice).where(Invoice.contract_id == contract.id)):
        paid_on = invoice.due_date - timedelta(days=2)
        with frozen_at(at(paid_on)):
            payment, _created = payments.record(
                tenant,
                client.id,
                "manual",
                f"转账 {invoice.number}",
                invoice.balance,
                invoice.currency,
                invoice_id=invoice.id,
                received_on=paid_on,
                note="网银转账",
            )
            payments.succeed(payment, [invoice])
    db.session.commit()
    with frozen_at(at(cure_sent + timedelta(days=16))):
        terminate_for_breach(
            cure,
            Party.A,
            client_admin,
            {
                "last_day": ended,
                "subject": "因违约解除协议 Termination for breach",
                "body_zh": "整改期限已过，故障响应仍未达到约定标准。依协议第 10.3 条，本协议自最后有效日后解除。",
                "body_en": "The deadline to cure has passed and fault responses still fall short. Under §10.3 the "
                "agreement ends after its last day in force.",
            },
        )
        db.session.commit()
    with frozen_at(at(ended + timedelta(days=1), 0)):
        settle(contract, None)
        db.session.commit()


def seed_successor(tenant) -> None:
    """After the settlement, the second client and the vendor sign a new agreement, in force from two weeks after
    the old one ended (so the client has one to take add-ons under, §13.1); not billed yet: its first period runs."""
    from saas.core.models import Client

    clients = db.session.scalars(select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)).all()
    if len(clients) < 2:
        return
    client = clients[1]
    ended = db.session.scalar(
        select(Contract.terminated_on)
        .where(Contract.client_id == client.id, Contract.status == ContractStatus.TERMINATED)
        .order_by(Contract.id.desc())
        .limit(1)
    )
    admin, client_admin = first_member(tenant, Role.VENDOR_ADMIN), first_member(tenant, Role.CLIENT_ADMIN, client.id)
    if ended is None or admin is None or client_admin is None:
        return
    zone, today = ZoneInfo(tenant.timezone), local_today(tenant)
    effective = min(ended + timedelta(days=14), today)
    with frozen_at(datetime.combine(effective - timedelta(days=5), time(10), zone)):
        _signed_operations_agreement(
            tenant,
            client,
            admin,
            client_admin,
            effective,
            "运维服务协议（续签） Operations service agreement (renewed)",
            ("REMOTE", "ONSITE", "FAULT"),
        )
    db.session.commit()


def _signed_operations_agreement(tenant, client, admin, client_admin, effective, title, codes):
    """An operations agreement of the second client with the catalogue's fees for `codes`, signed by both parties
    at the frozen moment (the one terminated for breach, and the one that renews it)."""
    from decimal import Decimal

    from saas.contracts import services as contracts
    from saas.contracts import signing

    catalogue = {s.code: s for s in contracts.list_services(tenant)}
    contract = contracts.create_draft(
        tenant,
        client.id,
        contracts.draft_terms(tenant)
        | {
            "title": title,
            "effective_date": effective,
            "party_a_signatory": "刘处长",
            "party_b_signatory": "张总",
            "signing_place": "上海",
            "mediation_venue": "北京市海淀区人民调解委员会",
            "court_venue": "北京市海淀区人民法院",
        },
        [
            {
                "service_id": catalogue[code].id,
                "description": catalogue[code].name_zh,
                "quantity": Decimal(1),
                "monthly_fee": catalogue[code].default_monthly_fee,
            }
            for code in codes
        ],
        admin,
    )
    signing.send_for_signatures(contract, admin)
    for party, user in (("B", admin), ("A", client_admin)):
        document = signing.documents(contract)[0]
        signing.sign(contract, party, user, document.id, document.sha256)
    return contract
