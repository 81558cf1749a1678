"""§3.2.3 online payment: the tenant's provider settings, through the core's plugin settings page."""

import pytest

from saas.core.tenants import plugin_settings

URL = "/t/alpha/plugins/payments_epay/settings"
APP_ID = "2021000123456789"


@pytest.fixture
def alpha(world, enable_plugin):
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_epay")
    return tenant


@pytest.fixture
def production(app):
    """ENV_NAME flipped to production for one test."""
    app.config["ENV_NAME"] = "production"
    yield
    app.config["ENV_NAME"] = "testing"


def errors_in(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_s3_2_3_alipay_settings_are_saved(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(URL).get_data(as_text=True)
    assert "Payment provider" in page and "Alipay app ID" in page

    response = client.post_form(URL, {"provider": "alipay", "app_id": f"  {APP_ID} ", "seller_id": "2088000000000001"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(URL)
    assert plugin_settings(alpha, "payments_epay") == {
        "provider": "alipay",
        "app_id": APP_ID,  # stripped
        "seller_id": "2088000000000001",
    }
    page = client.get(URL).get_data(as_text=True)
    assert f'value="{APP_ID}"' in page
    assert '<option selected value="alipay">' in page


@pytest.mark.parametrize("app_id", ["", "   "])
def test_s3_2_3_alipay_needs_the_app_id(db, client, world, alpha, app_id):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, {"provider": "alipay", "app_id": app_id, "seller_id": ""}))
    assert '<p class="error" role="alert">Alipay needs the app ID.</p>' in page
    assert plugin_settings(alpha, "payments_epay") == {}


@pytest.mark.parametrize(
    "app_id", ["202100012345678", "20210001234567890", "2021O00123456789", "２０２１０００１２３４５６７８９"]
)
def test_s3_2_3_alipay_app_id_has_16_digits(db, client, world, alpha, app_id):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, {"provider": "alipay", "app_id": app_id, "seller_id": ""}))
    assert '<p class="error" role="alert">An Alipay app ID has 16 digits.</p>' in page
    assert plugin_settings(alpha, "payments_epay") == {}


def test_s3_2_3_unknown_provider_and_long_seller_id_refused(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, {"provider": "paypal", "app_id": APP_ID, "seller_id": ""}))
    assert "Not a valid choice." in page
    page = errors_in(client.post_form(URL, {"provider": "alipay", "app_id": APP_ID, "seller_id": "9" * 33}))
    assert "Field cannot be longer than 32 characters." in page
    assert plugin_settings(alpha, "payments_epay") == {}


def test_s3_2_3_sandbox_allowed_outside_production(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(URL, {"provider": "sandbox", "app_id": "", "seller_id": ""}).status_code == 302
    assert plugin_settings(alpha, "payments_epay") == {"provider": "sandbox", "app_id": "", "seller_id": ""}


def test_s3_2_3_sandbox_refused_in_production(db, client, world, alpha, production):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, {"provider": "sandbox", "app_id": APP_ID, "seller_id": ""}))
    assert '<p class="error" role="alert">The sandbox gateway is not available in production.</p>' in page
    assert plugin_settings(alpha, "payments_epay") == {}
    # Alipay is still fine in production.
    assert client.post_form(URL, {"provider": "alipay", "app_id": APP_ID, "seller_id": ""}).status_code == 302
    assert plugin_settings(alpha, "payments_epay")["provider"] == "alipay"


def test_s3_2_3_settings_404_when_the_plugin_is_disabled(db, client, world, enable_plugin):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(URL).status_code == 404
    assert client.post_form(URL, {"provider": "alipay", "app_id": APP_ID, "seller_id": ""}).status_code == 404
    assert plugin_settings(world.tenant("alpha"), "payments_epay") == {}
    # Enabled for beta does not open it for alpha.
    enable_plugin(world.tenant("beta"), "payments_epay")
    assert client.get(URL).status_code == 404
    enable_plugin(world.tenant("alpha"), "payments_epay")
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("role", ["vendor_billing", "vendor_engineer", "client_user", "third_party"])
def test_s3_2_3_only_the_vendor_admin_edits_settings(db, client, world, alpha, role):
    client.sign_in(world.person("alpha", role).email)
    assert client.get(URL).status_code == 403
    assert client.post_form(URL, {"provider": "alipay", "app_id": APP_ID, "seller_id": ""}).status_code == 403
    assert plugin_settings(alpha, "payments_epay") == {}
