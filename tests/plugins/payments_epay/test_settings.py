"""§3.2.3 online payment: the tenant's provider settings, through the core's plugin settings page."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from plugins.payments_epay import keys
from plugins.payments_epay_sandbox import gateway as sandbox
from saas.core.tenants import plugin_settings

URL = "/t/alpha/plugins/payments_epay/settings"
APP_ID = "2021000123456789"
SELLER_ID = "2088000000000001"


@pytest.fixture(scope="module")
def key_pairs():
    """The app's key pair and Alipay's (made here: Alipay's would come from its open platform)."""
    return {"app": keys.generate(), "alipay": keys.generate()}


def bare(pem: str) -> str:
    """A key as Alipay's key tool gives it: base64 on one line, no PEM armour."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def alipay_form(key_pairs, **changes) -> dict:
    """A complete Alipay form: the app's private key as PEM, Alipay's public key as bare base64."""
    return {
        "provider": "alipay",
        "app_id": APP_ID,
        "seller_id": SELLER_ID,
        "app_private_key": key_pairs["app"][0],
        "alipay_public_key": bare(key_pairs["alipay"][1]),
        **changes,
    }


@pytest.fixture
def alpha(world, enable_plugin):
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_epay")
    enable_plugin(tenant, "payments_epay_sandbox")  # so that the sandbox may be chosen
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


def test_s3_2_3_alipay_settings_are_saved(db, client, world, alpha, key_pairs):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = client.get(URL).get_data(as_text=True)
    assert "Payment provider" in page and "Alipay app ID" in page and "Alipay's public key" in page

    response = client.post_form(URL, alipay_form(key_pairs, app_id=f"  {APP_ID} "))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(URL)
    assert plugin_settings(alpha, "payments_epay") == {
        "provider": "alipay",
        "app_id": APP_ID,  # stripped
        "seller_id": SELLER_ID,
        "app_private_key": key_pairs["app"][0],
        "alipay_public_key": key_pairs["alipay"][1],  # stored as PEM, whichever way it was pasted
    }
    page = client.get(URL).get_data(as_text=True)
    assert f'value="{APP_ID}"' in page
    assert '<option selected value="alipay">' in page


def test_s3_2_3_saved_keys_are_never_shown_again_and_stay_when_left_empty(db, client, world, alpha, key_pairs):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    client.post_form(URL, alipay_form(key_pairs))
    saved = plugin_settings(alpha, "payments_epay")
    page = client.get(URL).get_data(as_text=True)
    for pem in (key_pairs["app"][0], key_pairs["alipay"][1]):
        body = bare(pem)
        assert body[40:80] not in page  # not a piece of either key
        assert f"Saved, ends with …{keys.tail(pem)}. Leave empty to keep it." in page
    # Saved again with the key fields left empty: the keys stay as they were.
    assert (
        client.post_form(
            URL, alipay_form(key_pairs, app_private_key="", alipay_public_key="", seller_id="2088000000000002")
        ).status_code
        == 302
    )
    assert plugin_settings(alpha, "payments_epay") == {**saved, "seller_id": "2088000000000002"}
    # A page shown again with an error does not echo a key just typed either.
    other_private, _other_public = keys.generate()
    page = errors_in(client.post_form(URL, alipay_form(key_pairs, app_id="123", app_private_key=other_private)))
    assert "An Alipay app ID has 16 digits." in page and bare(other_private)[40:80] not in page
    assert plugin_settings(alpha, "payments_epay") == {**saved, "seller_id": "2088000000000002"}


def _short_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (too short: refused)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("app_private_key", "not a key", "This is not an RSA private key of 2048 bits or more."),
        ("app_private_key", "short", "This is not an RSA private key of 2048 bits or more."),
        ("app_private_key", "", "Alipay needs the app's private key."),
        (
            "alipay_public_key",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "This is not an RSA public key of 2048 bits or more.",
        ),
        ("alipay_public_key", "alipay private", "This is a private key: paste Alipay's public key here"),
        ("alipay_public_key", "app public", "This is your app's own public key: paste Alipay's public key"),
        ("alipay_public_key", "", "Alipay needs Alipay's public key."),
        ("seller_id", "1234567890123456", "A seller ID is 2088 followed by 12 digits."),
    ],
)
def test_s3_2_3_keys_and_ids_are_checked_by_loading_them(db, client, world, alpha, key_pairs, field, value, error):
    value = {"short": _short_key(), "alipay private": key_pairs["alipay"][0], "app public": key_pairs["app"][1]}.get(
        value, value
    )
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, alipay_form(key_pairs, **{field: value})))
    assert error in page
    assert plugin_settings(alpha, "payments_epay") == {}


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


def test_s3_2_3_choosing_the_sandbox_sets_up_its_app_and_keys(db, client, world, alpha):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.post_form(URL, {"provider": "sandbox", "app_id": "", "seller_id": ""}).status_code == 302
    assert plugin_settings(alpha, "payments_epay") == {
        "provider": "sandbox",
        "app_id": "",
        "seller_id": "",
        "app_private_key": "",
        "alipay_public_key": "",
    }
    app = sandbox.app_for(alpha)  # made by choosing it, with two fresh key pairs of its own
    assert app.app_id.isdigit() and len(app.app_id) == 16
    assert app.seller_id.startswith("2088") and len(app.seller_id) == 16
    assert keys.public_of(app.merchant_private_key) == app.merchant_public_key
    assert keys.public_of(app.gateway_private_key) == app.gateway_public_key != app.merchant_public_key
    page = client.get(URL).get_data(as_text=True)
    assert f"Sandbox app {app.app_id}, seller {app.seller_id}" in page
    assert bare(app.merchant_private_key)[40:80] not in page
    # Saving again keeps the same app: its keys do not change under pending trades.
    assert client.post_form(URL, {"provider": "sandbox", "app_id": "", "seller_id": ""}).status_code == 302
    assert sandbox.app_for(alpha).merchant_public_key == app.merchant_public_key


def test_s3_2_3_sandbox_refused_in_production(db, client, world, alpha, production, key_pairs):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    page = errors_in(client.post_form(URL, {"provider": "sandbox", "app_id": APP_ID, "seller_id": ""}))
    assert '<p class="error" role="alert">The sandbox gateway is not available in production.</p>' in page
    assert plugin_settings(alpha, "payments_epay") == {}
    assert sandbox.app_for(alpha) is None
    # Alipay is still fine in production.
    assert client.post_form(URL, alipay_form(key_pairs)).status_code == 302
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
