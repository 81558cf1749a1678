"""§3.2.2 cheque payments: the tenant's cheque settings, through the core's plugin settings page."""

import pytest

from saas.core.tenants import plugin_settings

URL = "/t/alpha/plugins/payments_cheque/settings"


@pytest.fixture
def alpha(world, enable_plugin):
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_cheque")
    return tenant


def form(**overrides):
    data = {
        "payee": "北京阿尔法信息技术有限公司",
        "deposit_bank": "招商银行北京分行",
        "bounce_fee": "25",
        "instructions": "请在支票背面注明发票号。",
    }
    data.update(overrides)
    return data


def test_s3_2_2_settings_are_saved(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(URL).get_data(as_text=True)
    assert "Cheques payable to" in page and "Fee charged for a bounced cheque" in page

    response = client.post_form(URL, form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(URL)
    assert plugin_settings(alpha, "payments_cheque") == {
        "payee": "北京阿尔法信息技术有限公司",
        "deposit_bank": "招商银行北京分行",
        "bounce_fee": "25.00",  # money as a string Decimal, two places, never a float
        "instructions": "请在支票背面注明发票号。",
    }
    # The page shows the stored values again.
    page = client.get(URL).get_data(as_text=True)
    assert 'value="北京阿尔法信息技术有限公司"' in page
    assert 'value="25.00"' in page
    assert "请在支票背面注明发票号。" in page


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("12.5", "12.50"), ("0", "0.00"), ("100", "100.00"), ("", None)],
)
def test_s3_2_2_bounce_fee_is_stored_with_two_places(db, client, world, alpha, typed, stored):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(URL, form(bounce_fee=typed)).status_code == 302
    assert plugin_settings(alpha, "payments_cheque")["bounce_fee"] == stored
    assert client.get(URL).status_code == 200


def test_s3_2_2_settings_change_is_audited(db, client, world, alpha):
    from sqlalchemy import select

    from saas.core.models import AuditEvent

    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(URL, form())
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plugin.settings_changed")).all()
    assert [(e.tenant_id, e.data) for e in events] == [(alpha.id, {"plugin": "payments_cheque"})]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("payee", "", "This field is required."),
        ("payee", "x" * 201, "Field cannot be longer than 200 characters."),
        ("bounce_fee", "-1", "The number cannot be negative."),
        ("bounce_fee", "100000.01", "Number must be between 0 and 100000."),
        ("bounce_fee", "twenty", "Enter a plain number such as 1234.56."),
        ("bounce_fee", "1E+2", "Enter a plain number such as 1234.56."),  # an exponent is no amount anyone types
        ("bounce_fee", "0.125", "Use at most 2 decimal places."),  # refused, never rounded silently
        ("bounce_fee", "NaN", "Enter a plain number such as 1234.56."),
        ("bounce_fee", "Infinity", "Enter a plain number such as 1234.56."),
    ],
)
def test_s3_2_2_invalid_settings_are_refused(db, client, world, alpha, field, value, message):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    response = client.post_form(URL, form(**{field: value}))
    assert response.status_code == 200
    assert f'<p class="error" role="alert">{message}</p>' in response.get_data(as_text=True)
    assert plugin_settings(alpha, "payments_cheque") == {}


def test_s3_2_2_settings_404_when_the_plugin_is_disabled(db, client, world, enable_plugin):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(URL).status_code == 404
    assert client.post_form(URL, form()).status_code == 404
    assert plugin_settings(world.tenant("alpha"), "payments_cheque") == {}
    enable_plugin(world.tenant("alpha"), "payments_cheque")
    assert client.get(URL).status_code == 200
    enable_plugin(world.tenant("alpha"), "payments_cheque", enabled=False)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("role", ["vendor_billing", "vendor_engineer", "client_admin"])
def test_s3_2_2_only_the_vendor_admin_edits_settings(db, client, world, alpha, role):
    client.sign_in(world.person("alpha", role).email)
    assert client.get(URL).status_code == 403
    assert client.post_form(URL, form()).status_code == 403
    assert plugin_settings(alpha, "payments_cheque") == {}
