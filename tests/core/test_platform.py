"""The platform console: the operator creates, suspends and reactivates tenants; audit across tenants."""

from sqlalchemy import select

from saas.core.models import AuditEvent, MailMessage, Tenant


def operator(client, make_user):
    user = make_user(platform_admin=True, email="operator@example.com")
    client.sign_in(user.email)
    return user


def test_operator_creates_a_tenant_and_its_admin_is_invited(client, db, make_user):
    operator(client, make_user)
    form = {
        "name": "Gamma IT",
        "slug": "gamma",
        "legal_name": "伽马信息技术有限公司",
        "uscc": "",
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "admin_email": "boss@gamma.example.com",
    }
    bad = client.post_form("/platform/tenants/new", {**form, "slug": "Not OK!", "uscc": "123"}).get_data(as_text=True)
    assert "Use lower-case letters, digits and hyphens only." in bad
    assert "This is not a valid unified social credit code." in bad
    created = client.post_form("/platform/tenants/new", form)
    assert created.status_code == 302
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "gamma"))
    assert tenant.timezone == "Asia/Shanghai" and tenant.is_active
    assert db.session.scalar(select(MailMessage.to)) == "boss@gamma.example.com"
    taken = client.post_form("/platform/tenants/new", form).get_data(as_text=True)
    assert "This short name is already taken." in taken


def test_operator_suspends_and_reactivates(client, db, make_user, world):
    operator(client, make_user)
    tenant_id = world.tenant("alpha").id
    client.post_form(f"/platform/tenants/{tenant_id}/status", {"status": "suspended"})
    db.session.expire_all()
    assert not db.session.get(Tenant, tenant_id).is_active
    assert "Suspended" in client.get("/platform/").get_data(as_text=True)
    client.post_form(f"/platform/tenants/{tenant_id}/status", {"status": "active"})
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).is_active
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)).all()
    assert "tenant.suspended" in actions and "tenant.reactivated" in actions
    assert client.post_form(f"/platform/tenants/{tenant_id}/status", {"status": "deleted"}).status_code == 400


def test_platform_console_is_for_operators_only(client, world):
    assert client.get("/platform/").status_code == 302  # anonymous: sign in first
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get("/platform/").status_code == 403
    assert client.get(f"/platform/tenants/{world.tenant('alpha').id}").status_code == 403


def test_audit_log_is_per_tenant_for_vendors_and_whole_for_the_operator(client, make_user, world):
    client.sign_in(world.person("beta", "vendor_admin").email)
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    alpha_log = client.get("/t/alpha/audit?action=client.").get_data(as_text=True)
    assert "Marker-alpha-c1" in alpha_log and "Marker-beta" not in alpha_log
    client.post_form("/logout")
    operator(client, make_user)
    whole = client.get("/platform/audit?action=client.").get_data(as_text=True)
    assert "Marker-alpha-c1" in whole and "Marker-beta-c1" in whole


def test_outbox_shows_each_tenant_only_its_own_mail(client, make_user, world):
    from saas.core.people import invite

    invite(world.tenant("alpha"), email="a-invitee@example.com", role="vendor_engineer")
    invite(world.tenant("beta"), email="b-invitee@example.com", role="vendor_engineer")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get("/t/alpha/outbox").get_data(as_text=True)
    assert "a-invitee@example.com" in page and "b-invitee@example.com" not in page


def test_s1_1_vendor_admin_keeps_the_organisation_details(client, db, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    form = {
        "name": "Alpha",
        "legal_name": "阿尔法信息技术有限公司",
        "uscc": "bad",
        "address": "上海",
        "timezone": "UTC",
        "currency": "CNY",
    }
    bad = client.post_form("/t/alpha/organisation", form).get_data(as_text=True)
    assert "This is not a valid unified social credit code." in bad
    assert client.post_form("/t/alpha/organisation", {**form, "uscc": ""}).status_code == 302
    db.session.expire_all()
    tenant = db.session.get(Tenant, world.tenant("alpha").id)
    assert (tenant.legal_name, tenant.timezone, tenant.uscc) == ("阿尔法信息技术有限公司", "UTC", None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.profile_changed"))
    assert event.data["timezone"] == ["Asia/Shanghai", "UTC"]
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert client.get("/t/alpha/organisation").status_code == 403
