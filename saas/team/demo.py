"""Demo support team (§5.1): five people with certificates, one expiring soon (§5.2), and assignment rules."""

from datetime import date

from sqlalchemy import select

from saas.core.models import Membership, Tenant, User
from saas.requests.models import RequestCategory
from saas.team import services as team


def seed_team(tenant: Tenant, session) -> None:
    """A small support team (§5.1) with certificates, one of them expiring soon (§5.2), and assignment rules."""

    def staff(prefix):
        return session.scalar(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant.id, User.email.startswith(f"{prefix}@"))
            .limit(1)
        )

    people = [
        (
            "张伟 Zhang Wei",
            "system_engineer",
            "Linux, VMware vSphere, Oracle 19c",
            "vendor.engineer",
            [
                ("RHCE", "Red Hat", "RHCE-190-223-411", date(2025, 3, 1), date(2028, 3, 1)),
                ("Oracle OCP", "Oracle", "OCP-19C-5521", date(2023, 12, 10), date(2026, 12, 10)),
            ],
        ),
        (
            "李娜 Li Na",
            "dba",
            "Oracle RAC, MySQL, 达梦 DM8",
            None,
            [("Oracle OCM", "Oracle", "OCM-12C-0087", date(2022, 5, 20), None)],
        ),
        (
            "王强 Wang Qiang",
            "network_engineer",
            "Cisco, Huawei, firewalls",
            None,
            [("HCIE Routing & Switching", "Huawei", "HCIE-31874", date(2024, 9, 1), date(2027, 9, 1))],
        ),
        ("陈静 Chen Jing", "support_engineer", "Windows, Office 365, helpdesk", None, []),
        (
            "刘洋 Liu Yang",
            "project_manager",
            "PMP, ITIL",
            "vendor.admin",
            [("PMP", "PMI", "PMP-3300125", date(2024, 1, 15), date(2027, 1, 15))],
        ),
    ]
    for name, role, skills, login, certs in people:
        member = team.save_member(
            tenant,
            {
                "name": name,
                "team_role": role,
                "skills": skills,
                "phone": "010-88886666",
                "user_id": staff(login) if login else None,
            },
        )
        for cert_name, issuer, number, issued_on, expires_on in certs:
            team.add_certificate(
                member,
                {
                    "name": cert_name,
                    "issuer": issuer,
                    "number": number,
                    "issued_on": issued_on,
                    "expires_on": expires_on,
                },
            )
    categories = {
        c.code: c.id for c in session.scalars(select(RequestCategory).where(RequestCategory.tenant_id == tenant.id))
    }
    for code, role in (("FAULT", "system_engineer"), ("ONSITE", "system_engineer"), ("CONSULT", "support_engineer")):
        if code in categories:
            team.save_rule(tenant, {"category_id": categories[code], "team_role": role})
