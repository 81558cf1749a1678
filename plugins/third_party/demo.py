"""Demo rows of the third-party plugin (Part 2 §1.1, Part 2 §4.1): two subcontractors of each demo vendor, one with a
qualification lapsing within 30 days; on the first client's agreement one approved by its admin, one awaiting it."""

from datetime import timedelta

from stdnum.cn import uscc

from plugins.third_party import services
from saas.contracts.services import list_services
from saas.core.clock import frozen_at, local_today, now
from saas.core.models import Role
from saas.core.people import first_member

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
    with frozen_at(now() - timedelta(days=10)) as clock:
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
    if client_admin is not None:
        from plugins.third_party.liability_demo import seed_liability

        seed_liability(tenant, contract, made[0][0], admin)
    session.flush()
