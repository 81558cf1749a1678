"""`flask --app wsgi saas ...`: demo data, tenants, users and plugins from the command line."""

from sqlalchemy import func, select

from saas.core.models import Client, Membership, Tenant, TenantPlugin, User
from saas.demo import DEMO_PASSWORD, demo_accounts


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["saas", *args], input=input)


def test_demo_seeds_two_vendors_with_every_role_once(app, db, client):
    assert run(app, "demo", "--if-empty").output.strip() == "demo data seeded"
    assert run(app, "demo", "--if-empty").output.strip() == "database already has data; demo not seeded"
    assert db.session.scalar(select(func.count(Tenant.id))) == 2
    for slug in ("huayun", "deltaops"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        assert db.session.scalar(select(func.count(Client.id)).where(Client.tenant_id == tenant.id)) == 2
        roles = set(db.session.scalars(select(Membership.role).where(Membership.tenant_id == tenant.id)))
        assert roles == {
            "vendor_admin",
            "vendor_engineer",
            "vendor_billing",
            "client_admin",
            "client_user",
            "third_party",
        }
    for email, _slug, _role in demo_accounts():
        assert client.sign_in(email, DEMO_PASSWORD).status_code == 302
        client.post_form("/logout")


def test_create_tenant_user_and_enable_plugin(app, db):
    bad = run(app, "create-tenant", "acme", "--name", "Acme", "--legal-name", "Acme Ltd", "--uscc", "123")
    assert bad.exit_code != 0 and "invalid unified social credit code" in bad.output
    ok = run(app, "create-tenant", "acme", "--name", "Acme", "--legal-name", "Acme Ltd")
    assert ok.exit_code == 0, ok.output
    assert run(app, "create-tenant", "acme", "--name", "A", "--legal-name", "A").exit_code != 0

    short = run(app, "create-user", "a@example.com", "--name", "A", "--password", "short")
    assert short.exit_code != 0 and "at least 12" in short.output
    made = run(
        app,
        "create-user",
        "Admin@Example.com",
        "--name",
        "Admin",
        "--password",
        "long-enough-password",
        "--tenant",
        "acme",
        "--role",
        "vendor_admin",
    )
    assert made.exit_code == 0, made.output
    user = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    assert user.memberships[0].role == "vendor_admin"

    assert run(app, "enable-plugin", "acme", "payments_bank").exit_code == 0
    assert db.session.scalar(select(TenantPlugin.enabled).where(TenantPlugin.plugin == "payments_bank"))
    assert run(app, "enable-plugin", "acme", "payments_bank", "--disable").exit_code == 0
    db.session.expire_all()
    assert not db.session.scalar(select(TenantPlugin.enabled).where(TenantPlugin.plugin == "payments_bank"))
    unknown = run(app, "enable-plugin", "acme", "nope")
    assert unknown.exit_code != 0 and "There is no plugin named nope." in unknown.output
