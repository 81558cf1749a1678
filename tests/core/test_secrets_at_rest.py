"""Operations: secrets kept in the database are sealed with ENCRYPTION_KEYS, rotated, and refused when missing."""

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import text

from plugins.payments_epay import keys
from saas import create_app
from saas.config import ConfigError
from saas.core import dbscope
from saas.core.secret_rotation import encrypted_columns, rotate_all
from saas.core.secrets import SecretsError, seal, unseal
from saas.core.tenants import plugin_settings, save_plugin_settings
from saas.extensions import db as _db
from saas.testing.fixtures import PRODUCTION_SECRETS


@pytest.fixture(scope="module")
def private_key():
    return keys.generate()[0]


@pytest.fixture
def alpha(world, enable_plugin):
    tenant = world.tenant("alpha")
    enable_plugin(tenant, "payments_epay")
    enable_plugin(tenant, "payments_epay_sandbox")
    return tenant


def stored_settings(tenant) -> str:
    """The settings row as the database holds it (what a dump would show)."""
    with dbscope.platform():
        return _db.session.execute(
            text("SELECT CAST(settings AS TEXT) FROM tenant_plugin WHERE tenant_id = :t AND plugin = 'payments_epay'"),
            {"t": tenant.id},
        ).scalar_one()


def save_alipay(tenant, private_key):
    save_plugin_settings(
        tenant,
        "payments_epay",
        {"provider": "alipay", "app_id": "2021000123456789", "app_private_key": private_key, "alipay_public_key": "P"},
    )
    _db.session.commit()


def test_p3_secrets_plugin_keys_are_not_plaintext_in_the_database(db, app, alpha, private_key):
    save_alipay(alpha, private_key)

    raw = stored_settings(alpha)
    body = private_key.splitlines()[1]  # a line of the key's base64
    assert body not in raw and "PRIVATE KEY" not in raw
    assert '"app_id": "2021000123456789"' in raw.replace('":"', '": "')  # what is not secret stays readable
    assert plugin_settings(alpha, "payments_epay")["app_private_key"] == private_key  # the plugin reads it plain


def test_p3_secrets_sandbox_private_keys_are_sealed(db, app, alpha):
    from plugins.payments_epay.providers import sandbox_for

    sandbox = sandbox_for(alpha, create=True)
    _db.session.commit()
    assert "PRIVATE KEY" in sandbox.merchant_private_key
    with dbscope.platform():
        raw = _db.session.execute(
            text("SELECT merchant_private_key, gateway_private_key FROM payments_epay_sandbox_app")
        ).one()
    assert all(value.startswith("gAAAAA") and "PRIVATE" not in value for value in raw)


def test_p3_secrets_survive_a_key_rotation(db, app, alpha, private_key):
    save_alipay(alpha, private_key)
    sandbox_before = _sandbox_key(alpha)
    old_key = app.config["ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    try:
        app.config["ENCRYPTION_KEYS"] = f"{new_key},{old_key}"  # the new key first: sealed under it from now on
        _db.session.expire_all()
        assert plugin_settings(alpha, "payments_epay")["app_private_key"] == private_key  # the old key still opens

        counts = rotate_all()
        _db.session.commit()
        assert counts["tenant_plugin.settings"] == 1
        assert counts["payments_epay_sandbox_app.merchant_private_key"] == 1

        app.config["ENCRYPTION_KEYS"] = new_key  # the old key removed
        _db.session.expire_all()
        assert plugin_settings(alpha, "payments_epay")["app_private_key"] == private_key
        assert _sandbox_key(alpha) == sandbox_before

        app.config["ENCRYPTION_KEYS"] = old_key  # what the old key alone can open now: nothing
        _db.session.expire_all()
        with pytest.raises(SecretsError, match="cannot be opened"):
            plugin_settings(alpha, "payments_epay")
    finally:
        app.config["ENCRYPTION_KEYS"] = old_key
        _db.session.rollback()


def _sandbox_key(tenant) -> str:
    from plugins.payments_epay.providers import sandbox_for

    return sandbox_for(tenant, create=True).merchant_private_key


def test_p3_secrets_rotation_seals_a_secret_saved_before_sealing(db, app, alpha, private_key):
    from saas.core.tenants import plugin_row

    plugin_row(alpha, "payments_epay").settings = {"provider": "alipay", "app_private_key": private_key}
    _db.session.commit()
    assert "PRIVATE KEY" in stored_settings(alpha)

    rotate_all()
    _db.session.commit()
    assert "PRIVATE KEY" not in stored_settings(alpha)
    assert plugin_settings(alpha, "payments_epay")["app_private_key"] == private_key


def test_p3_secrets_rotate_command_reports_what_it_sealed(db, app, alpha, private_key):
    save_alipay(alpha, private_key)
    result = CliRunner().invoke(app.cli, ["saas", "rotate-secrets"], obj=None, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "tenant_plugin.settings: 1 sealed again" in result.output


def test_p3_secrets_every_encrypted_column_is_found():
    names = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert {"payments_epay_sandbox_app.merchant_private_key", "payments_epay_sandbox_app.gateway_private_key"} <= names


def test_p3_secrets_seal_and_unseal(app):
    with app.app_context():
        token = seal("pa55word")
        assert token.startswith("gAAAAA") and "pa55word" not in token
        assert unseal(token) == "pa55word"
        assert seal("pa55word") != token  # a fresh IV each time: equal secrets do not look equal in a dump


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "change-me"}, "SECRET_KEY is an example value"),
        ({"SECRET_KEY": "short"}, "shorter than 32"),
        ({"ENCRYPTION_KEYS": None}, "ENCRYPTION_KEYS is not set"),
        ({"ENCRYPTION_KEYS": "not-a-key"}, "key 1 is not a Fernet key"),
    ],
)
def test_p3_production_refuses_to_start_without_real_keys(tmp_path, monkeypatch, overrides, message):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    settings = {
        **PRODUCTION_SECRETS,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
        "BASE_URL": "https://aftercare.example.com",
        **overrides,
    }
    with pytest.raises((ConfigError, SecretsError), match=message):
        create_app("production", overrides=settings)


def test_p3_production_starts_with_real_keys(tmp_path):
    app = create_app(
        "production",
        overrides={**PRODUCTION_SECRETS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"},
    )
    assert app.config["ENV_NAME"] == "production"


def test_p3_secrets_the_upgrade_seals_keys_saved_in_plain_before(tmp_path, private_key):
    """pe0003 seals the Alipay keys an earlier version stored plain; its downgrade opens them again."""
    from flask_migrate import downgrade, upgrade

    from saas.core.models import Tenant, TenantPlugin

    scratch = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with scratch.app_context():
        upgrade(revision="heads")
        downgrade(revision="pe0002")
        tenant = Tenant(name="T", slug="t", legal_name="T Ltd", timezone="Asia/Shanghai", currency="CNY")
        _db.session.add(tenant)
        _db.session.flush()
        plain = {"provider": "alipay", "app_private_key": private_key, "alipay_public_key": "PUBLIC"}
        _db.session.add(TenantPlugin(tenant_id=tenant.id, plugin="payments_epay", enabled=True, settings=plain))
        _db.session.commit()

        upgrade(revision="heads")
        raw = _db.session.execute(text("SELECT settings FROM tenant_plugin")).scalar_one()
        assert "PRIVATE KEY" not in raw and "PUBLIC" not in raw and '"provider": "alipay"' in raw
        assert plugin_settings(tenant, "payments_epay") == plain

        downgrade(revision="pe0002")
        _db.session.expire_all()
        assert _db.session.get(TenantPlugin, 1).settings == plain
