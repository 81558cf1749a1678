"""Demo rows of the third-party plugin (Part 2 §1.1, §4.1, §4.2, §6.1, §8.2): two subcontractors of each demo vendor,
one with a qualification lapsing within 30 days; on the first client's agreement one approved by its admin, one
awaiting it; the approved one's annex 6 agreement for on-site support, its person (third.party@), and the requests
given to it: one resolved in time, one answered late (its breach), one waiting for it; and, signed by both parties
after those, the transfer of the agreement's on-site support to it (Part 2 §4.3), so new on-site requests go to it."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stdnum.cn import uscc

from plugins.third_party import agreements, services, transfers, work
from saas.calendars.working_time import add_working_time, working_intervals
from saas.contracts.services import last_day, list_services
from saas.core.clock import frozen_at, local_today, now
from saas.core.models import Role
from saas.core.people import first_member, user_by_email
from saas.requests import services as requests
from saas.requests import sla

SUBCONTRACTORS = [
    {
        "legal_name": "上海申联网络工程有限公司 Shenlian Network Engineering",
        "code": "91310104MA1FL2K3",
        "address": "上海市徐汇区漕溪北路 88 号",
        "contact_name": "陈工 Chen Wei",
        "contact_phone": "021-64381234",
        "contact_email": "service@shenlian.example.com",
        "regions": "上海 Shanghai, 江苏 Jiangsu, 浙江 Zhejiang",
        "services": ("ONSITE",),
        "qualifications": [
            ("信息系统集成及服务资质（三级）ITSS Level 3", "XZ3310020181234", "中国电子信息行业联合会 CEIA", 20),
            ("ISO/IEC 27001 信息安全管理体系认证 ISMS", "ISMS-2025-0456", "中国质量认证中心 CQC", 400),
        ],
        "scope": "驻场巡检与硬件更换（上海地区）。On-site inspections and hardware replacement in Shanghai.",
    },
    {
        "legal_name": "杭州云栖数据服务有限公司 Yunqi Data Services",
        "code": "91330106MA2KQ7P8",
        "address": "杭州市西湖区云栖小镇 6 号楼",
        "contact_name": "林经理 Lin Na",
        "contact_phone": "0571-87651234",
        "contact_email": "support@yunqi.example.com",
        "regions": "浙江 Zhejiang",
        "services": ("REMOTE",),
        "qualifications": [("数据库运维工程师认证 Certified DBA", "OCP-889102", "Oracle", 300)],
        "scope": "夜间数据库远程监控与备份检查。Night-time remote database monitoring and backup checks.",
    },
]


def _code(base: str, tenant_id: int) -> str:
    """A valid unified social credit code, distinct per demo vendor (the check character computed)."""
    body = f"{base}{tenant_id % 10}"[:17]
    return body + uscc.calc_check_digit(body)


def seed(tenant, session) -> None:
    """Put two subcontractors on file and propose both for the first agreement in force; its client approves one."""
    admin = first_member(tenant, Role.VENDOR_ADMIN)
    contracts = services.proposable_contracts(tenant)
    if admin is None or not contracts:
        return
    contract = contracts[0]
    client_admin = first_member(tenant, Role.CLIENT_ADMIN, contract.client_id)
    catalogue = {s.code: s.id for s in list_services(tenant)}
    today = local_today(tenant)
    made = []
    agreement = None
    late_at = _late_moment(tenant)
    # Ten days back, or further when the late request's working day lies further back (a holiday week): the
    # proposal approved and the agreement in force before it.
    with frozen_at(min(now() - timedelta(days=10), late_at - timedelta(days=9))) as clock:
        for row in SUBCONTRACTORS:
            data = {
                **{k: row[k] for k in ("legal_name", "address", "contact_name", "contact_phone", "contact_email")},
                "uscc": _code(row["code"], tenant.id),
                "regions": row["regions"],
                "service_ids": [catalogue[c] for c in row["services"] if c in catalogue],
            }
            subcontractor = services.save_subcontractor(tenant, data, admin)
            for name, number, issuer, days in row["qualifications"]:
                services.add_qualification(
                    subcontractor,
                    {"name": name, "number": number, "issuer": issuer, "expires_on": today + timedelta(days=days)},
                    admin,
                )
            made.append((subcontractor, row["scope"]))
        clock.advance(hours=1)
        approved = services.propose(made[0][0], contract, made[0][1], admin)
        if client_admin is not None:
            clock.advance(days=2)
            services.decide(
                approved,
                True,
                "同意，请提前一天告知驻场人员名单。Approved; name the on-site staff a day ahead.",
                client_admin,
            )
        clock.advance(days=5)
        services.propose(made[1][0], contract, made[1][1], admin)
        clock.advance(hours=2)
        agreement = _attach_agreement(tenant, contract, made[0][0], catalogue, admin)
    if client_admin is not None:
        from plugins.third_party.liability_demo import seed_liability

        seed_liability(tenant, contract, made[0][0], admin)
    session.flush()
    if agreement is not None:
        _replay_work(tenant, contract, made[0][0], admin, late_at)
        if client_admin is not None:
            _sign_transfer(contract, made[0][0], catalogue, admin, client_admin)
    session.flush()


def _attach_agreement(tenant, contract, subcontractor, catalogue, admin):
    """Annex 6: the back-to-back agreement for the client's on-site support in Shanghai, and its person placed."""
    on_contract = {line.service_id for line in contract.lines}
    if catalogue.get("ONSITE") not in on_contract or not services.may_work_on(contract, subcontractor):
        return None
    if not contract.effective_date <= local_today(tenant) <= last_day(contract):
        return None  # a clock set outside the agreement's term: nothing could be given under it
    agreement = agreements.create_agreement(
        contract,
        subcontractor,
        {
            "service_ids": [catalogue["ONSITE"]],
            "regions": "上海 Shanghai",
            "monthly_fee": "3500.00",
            "response_hours": LATE_RESPONSE_HOURS.seconds // 3600,
            "resolution_hours": 24,
            # From the day before: the replayed work is raised a few hours before this moment of the replay, on
            # the previous local day when the replay runs late in Shanghai's evening.
            "starts_on": max(contract.effective_date, local_today(tenant) - timedelta(days=1)),
            "ends_on": last_day(contract),
        },
        (
            "third-party-agreement-onsite.pdf",
            "application/pdf",
            f"%PDF-1.4\n% 第三方服务合同 Third-party service agreement {contract.number}\n".encode(),
        ),
        admin,
    )
    email = f"third.party@{tenant.slug}.example.com"
    if user_by_email(email) is not None:
        agreements.add_person(subcontractor, email, "陈工 Chen Wei", admin)
    return agreement


#: The late request: assigned 10 minutes after it is raised and answered 3 hours later, past its 2 hours to answer.
LATE_ASSIGNED, LATE_REPLY, LATE_RESPONSE_HOURS = timedelta(minutes=10), timedelta(hours=3), timedelta(hours=2)


def _late_moment(tenant) -> datetime:
    """When the late request is raised: the opening of the latest working day two days back or more on the on-site
    category's calendar, so that its 2 hours to answer run out before the late answer whatever day the demo is seeded
    (a weekend or a holiday week in a business-hours calendar would push them to the next working day)."""
    onsite = next((c for c in requests.categories(tenant) if c.code == "ONSITE"), None)
    spec = sla.calendar_spec(onsite.calendar if onsite is not None else None)
    zone = ZoneInfo(spec.timezone)
    fallback = now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    day = fallback.astimezone(zone).date()
    for _ in range(60):
        opens = next(working_intervals(spec, datetime.combine(day, time(0), zone).astimezone(UTC)), None)
        if opens is not None and opens[0].astimezone(zone).date() == day:
            assigned = opens[0] + LATE_ASSIGNED
            due = add_working_time(spec, assigned, LATE_RESPONSE_HOURS)
            if due is not None and due < assigned + LATE_REPLY:
                return opens[0]
        day -= timedelta(days=1)
    return fallback


def _replay_work(tenant, contract, subcontractor, admin, late_at: datetime) -> None:
    """Three on-site requests given to the subcontractor: one resolved in time, one answered late (a Part 2 §6.1.2
    breach of its back-to-back clock), and one waiting for it now, so its person finds work on signing in."""
    person = user_by_email(f"third.party@{tenant.slug}.example.com")
    client_user = first_member(tenant, Role.CLIENT_USER, contract.client_id)
    member = agreements.member_of(tenant, person) if person else None
    onsite = next((c for c in requests.categories(tenant) if c.code == "ONSITE"), None)
    if member is None or client_user is None or onsite is None:
        return

    def raise_(subject, description):
        return requests.create_request(
            tenant,
            contract.client_id,
            {"category_id": onsite.id, "subject": subject, "description": description},
            client_user,
        )

    start = now().replace(minute=0, second=0, microsecond=0)
    with frozen_at(start - timedelta(days=3)) as clock:
        done = raise_("UPS 电池更换 UPS battery replacement", "机房 UPS 自检报电池老化，请上门更换。")
        clock.advance(minutes=20)
        work.assign(done, subcontractor, admin)
        clock.advance(minutes=30)
        work.acknowledge(done, member, person)
        work.reply(done, member, person, "明早九点到场更换电池。We will be on site at 9 tomorrow.", [])
        clock.advance(hours=15)
        work.record_visit(done, member, person, now(), None, "到场，开始更换 4 节电池。")
        clock.advance(hours=2)
        visit = requests.visits(done)[-1]
        requests.record_departure(
            done, visit, person, now(), "电池已更换，UPS 自检通过。Batteries replaced, self-test passed."
        )
        work.resolve(done, member, person, "更换 4 节 UPS 电池，自检通过。Replaced 4 UPS batteries; self-test passed.")
        work.sweep_tenant(tenant.id)
    with frozen_at(late_at) as clock:
        late = raise_("核心交换机端口故障 Core switch port down", "3 楼核心交换机 24 口不通，需要现场排查。")
        clock.advance(seconds=LATE_ASSIGNED.total_seconds())
        work.assign(late, subcontractor, admin)
        clock.advance(seconds=LATE_REPLY.total_seconds())  # past its 2 hours to answer the vendor, in working time
        work.reply(
            late,
            member,
            person,
            "抱歉回复晚了，已安排工程师。Sorry for the late answer; an engineer is on the way.",
            [],
        )
        work.sweep_tenant(tenant.id)
        clock.advance(hours=2)
        work.record_visit(late, member, person, now(), None, "更换光模块。Replaced the optic.")
        clock.advance(hours=1)
        work.resolve(late, member, person, "更换 SFP 光模块后端口恢复。The port is back after replacing the SFP.")
        work.sweep_tenant(tenant.id)
    with frozen_at(start - timedelta(minutes=40)) as clock:
        waiting = raise_("门禁服务器无法启动 Access-control server will not boot", "安保部门禁服务器断电后无法启动。")
        clock.advance(minutes=15)
        work.assign(waiting, subcontractor, admin)


def _sign_transfer(contract, subcontractor, catalogue, admin, client_admin) -> None:
    """The transfer of on-site support to the approved subcontractor from today, signed by both parties (Part 2 §4.3):
    written after the replayed requests, which the vendor gave by hand."""
    transfer = transfers.create_transfer(
        contract,
        subcontractor,
        {"service_ids": [catalogue["ONSITE"]], "category_ids": [], "starts_on": local_today(contract.tenant)},
        admin,
    )
    for party, signer in (("B", admin), ("A", client_admin)):
        document = transfers.documents(transfer)[0]
        transfers.sign(transfer, party, signer, document.id, document.sha256)
