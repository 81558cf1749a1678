"""Demo data: two vendors, each with two clients and a person in every role, to try isolation by hand."""

from sqlalchemy import select

from saas.core.clients import add_contact, save_client
from saas.core.models import Tenant
from saas.core.people import add_membership, create_user
from saas.core.plugins import plugin_manager
from saas.core.tenants import create_tenant, set_plugin_enabled
from saas.extensions import db

DEMO_PASSWORD = "demo-password-2026"
PLATFORM_ADMIN = "operator@aftercare.example.com"

#: Valid unified social credit codes (check character computed per GB 32100-2015).
VENDORS = [
    {
        "slug": "huayun",
        "name": "华云信息 Huayun IT",
        "legal_name": "北京华云信息技术有限公司",
        "uscc": "91110108MA01A2B3C4",
        "address": "北京市海淀区中关村大街1号",
        "clients": [
            ("上海明远制造有限公司", "91310115MA1K3N4P5Q", "上海市浦东新区张江路100号"),
            ("杭州青禾物流股份有限公司", "91330106MA2H7J8K9L", "杭州市西湖区文三路200号"),
        ],
    },
    {
        "slug": "deltaops",
        "name": "Delta Ops 德尔塔运维",
        "legal_name": "深圳德尔塔运维服务有限公司",
        "uscc": "91440300MA5F6G7H8J",
        "address": "深圳市南山区科技园南区",
        "clients": [
            ("广州南岭医药集团有限公司", "91440101MA9W8X7Y6Z", "广州市天河区体育西路50号"),
            ("成都天府教育科技有限公司", "91510100MA6C5D4E3F", "成都市高新区天府大道300号"),
        ],
    },
]


def _valid(code: str) -> str:
    """Replace the last character with the correct check character, so demo codes always validate."""
    from stdnum.cn import uscc

    return code[:-1] + uscc.calc_check_digit(code[:-1])


def demo_accounts() -> list[tuple[str, str, str]]:
    """(e-mail, tenant slug, role) of every demo sign-in, for the README and the tests."""
    rows = [(PLATFORM_ADMIN, "", "platform operator")]
    for v in VENDORS:
        for role in ("vendor_admin", "vendor_engineer", "vendor_billing", "third_party"):
            rows.append((f"{role.replace('_', '.')}@{v['slug']}.example.com", v["slug"], role))
        for i in (1, 2):
            for role in ("client_admin", "client_user"):
                rows.append((f"{role.replace('_', '.')}{i}@{v['slug']}.example.com", v["slug"], role))
    return rows


def seed_demo() -> None:
    """Create the demo vendors, clients, people and plugin settings."""
    create_user(email=PLATFORM_ADMIN, name="平台运营 Platform Operator", password=DEMO_PASSWORD, platform_admin=True)
    pm = plugin_manager()
    for v in VENDORS:
        tenant = create_tenant(
            name=v["name"], slug=v["slug"], legal_name=v["legal_name"], uscc=_valid(v["uscc"]), address=v["address"]
        )
        for plugin in pm.plugin_names():
            set_plugin_enabled(tenant, plugin, True, pm.plugin_names())
        clients = []
        for legal_name, code, address in v["clients"]:
            client = save_client(tenant, {"legal_name": legal_name, "uscc": _valid(code), "address": address})
            add_contact(
                client,
                {
                    "name": "王经理",
                    "title": "IT 部经理",
                    "email": f"it@{v['slug']}-{client.id}.example.com",
                    "phone": "010-88886666",
                    "is_billing": False,
                },
            )
            add_contact(
                client,
                {
                    "name": "李会计",
                    "title": "财务",
                    "email": f"finance@{v['slug']}-{client.id}.example.com",
                    "phone": "010-88887777",
                    "is_billing": True,
                },
            )
            clients.append(client)
        for email, _slug, role in demo_accounts():
            if _slug != v["slug"]:
                continue
            client_id = None
            if role.startswith("client"):
                client_id = clients[int(email.split("@")[0][-1]) - 1].id
            name = f"{role.replace('_', ' ').title()} ({v['slug']})"
            user = create_user(email=email, name=name, password=DEMO_PASSWORD)
            add_membership(tenant, user, role, client_id)
        pm.hook.saas_demo_data(tenant=tenant, session=db.session)
    # One consultant works for both vendors, to show the organisation switcher.
    both = create_user(email="consultant@example.com", name="Consultant 顾问", password=DEMO_PASSWORD)
    for slug in ("huayun", "deltaops"):
        add_membership(db.session.scalar(select(Tenant).where(Tenant.slug == slug)), both, "vendor_engineer")
    db.session.commit()
