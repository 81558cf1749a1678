"""The sandbox as a plugin of its own: offered through a hook, enabled per tenant, absent from production."""

import os
from datetime import UTC, datetime
from urllib.parse import urlsplit

from alembic.script import ScriptDirectory
from flask import g
from sqlalchemy import inspect as sa_inspect

from plugins.payments_epay import providers
from plugins.payments_epay_sandbox import gateway as sandbox
from saas.core import dbscope
from saas.core.plugins import PaymentSandbox, migration_dirs
from saas.core.tenants import plugin_settings
from saas.demo import DEMO_PASSWORD, seed_demo
from saas.testing.fixtures import PRODUCTION_SECRETS
from tests.plugins.payments_epay.conftest import cashier_url, open_at_gateway, press_pay
from tests.plugins.payments_epay_sandbox.test_sandbox import at_cashier

SANDBOX_TABLES = {"payments_epay_sandbox_app", "payments_epay_sandbox_trade"}


def test_hook_saas_payment_sandbox_offers_the_gateway_only_where_the_sandbox_is_enabled(app, db, alpha, enable_plugin):
    with app.test_request_context():
        dbscope.enter_tenant(alpha.id)  # as resolving /t/alpha/ does (a request sees no tenant's rows before)
        offered = providers.sandbox_for(alpha)
        assert isinstance(offered, PaymentSandbox) and offered.gateway_url == sandbox.gateway_url()
        assert offered.app_id == ""  # nothing made by asking
        made = providers.sandbox_for(alpha, create=True)
        app_row = sandbox.app_for(alpha)
        assert (made.app_id, made.seller_id) == (app_row.app_id, app_row.seller_id)
        assert (made.merchant_private_key, made.gateway_public_key) == (
            app_row.merchant_private_key,
            app_row.gateway_public_key,
        )
        assert providers.provider_for(alpha).gateway == sandbox.gateway_url()
        pm = app.extensions["plugins"]
        assert pm.for_tenant(alpha).saas_payment_sandbox(tenant=alpha, provider="wechat", create=False) is None
        enable_plugin(alpha, "payments_epay_sandbox", enabled=False)
        g.pop("_enabled_plugins", None)  # the plugin manager keeps a tenant's plugins for the request
        assert providers.sandbox_for(alpha) is None and not providers.is_ready(alpha)


def test_sandbox_pages_answer_404_for_a_tenant_that_has_not_enabled_it(db, alpha, invoice, payer, enable_plugin):
    trade = press_pay(payer, invoice)
    url = cashier_url(payer, trade)
    gateway_trade = open_at_gateway(payer, trade)
    enable_plugin(alpha, "payments_epay_sandbox", enabled=False)
    assert payer.get(url).status_code == 404  # the gateway, for this tenant's app
    assert payer.get(f"/sandbox/alipay/cashier/{gateway_trade.token}").status_code == 404
    assert at_cashier(payer, gateway_trade, "pay").status_code == 404
    assert "pay-payments_epay" not in payer.get(f"/t/alpha/portal/invoices/{invoice.id}").get_data(as_text=True)
    enable_plugin(alpha, "payments_epay_sandbox")
    assert payer.get(f"/sandbox/alipay/cashier/{gateway_trade.token}").status_code == 200


def test_the_sandbox_has_its_own_alembic_branch_and_head(app, db):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    head = script.get_revision("payments_epay_sandbox@head")
    assert head.revision == "pes0002" and "payments_epay_sandbox" in script.get_revision("pes0001").branch_labels
    assert {"pes0002", "pe0003"} <= set(script.get_heads())  # `flask db heads`: one per branch
    assert "0001_core" in {r.revision for r in script.iterate_revisions(head.revision, "base")}


def test_a_production_instance_neither_loads_the_sandbox_nor_has_its_tables(app, tmp_path):
    from flask_migrate import upgrade

    from saas import create_app
    from saas.extensions import db

    production = create_app(
        "production",
        overrides={
            **PRODUCTION_SECRETS,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.db'}",
            "BASE_URL": "https://aftercare.example.com",
        },
    )
    pm = production.extensions["plugins"]
    assert "payments_epay_sandbox" not in pm.plugin_names() and pm.get_plugin("payments_epay_sandbox") is None
    assert "payments_epay" in pm.plugin_names()
    assert "payments_epay_sandbox" not in production.blueprints
    assert not [r.rule for r in production.url_map.iter_rules() if r.rule.startswith("/sandbox/")]
    assert not [d for d in migration_dirs(pm) if "payments_epay_sandbox" in d]
    with production.app_context():
        script = ScriptDirectory.from_config(production.extensions["migrate"].migrate.get_config())
        assert "pes0001" not in {r.revision for r in script.walk_revisions()}
        upgrade(revision="heads")
        tables = set(sa_inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert "payments_epay_trade" in tables and not tables & SANDBOX_TABLES
    # The testing instance, for contrast, has them and serves the gateway.
    assert "payments_epay_sandbox" in app.blueprints and os.path.basename(sandbox.GATEWAY_PATH) == "gateway.do"


def test_s3_2_3_demo_clients_pay_through_the_sandbox_in_chinese_too(app, db, client, clock):
    clock.set(datetime(2026, 5, 10, 2, tzinfo=UTC))  # the demo agreement (effective 31 January) has billed months
    seed_demo()
    db.session.remove()
    client.sign_in("client.admin1@huayun.example.com", DEMO_PASSWORD)
    client.post_form("/language", {"lang": "zh_Hans_CN"})
    from saas.billing.models import Invoice
    from saas.billing.payments import OPEN_INVOICES
    from saas.core.models import Client, Tenant

    huayun = db.session.query(Tenant).filter_by(slug="huayun").one()
    assert plugin_settings(huayun, "payments_epay")["provider"] == "sandbox"
    first = db.session.query(Client).filter_by(tenant_id=huayun.id).order_by(Client.id).first()
    newest = (
        db.session.query(Invoice)
        .filter(Invoice.client_id == first.id, Invoice.status.in_(OPEN_INVOICES))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .first()
    )
    page = client.get(f"/t/huayun/portal/invoices/{newest.id}").get_data(as_text=True)
    assert 'data-testid="pay-payments_epay"' in page and "支付宝（沙箱）" in page
    response = client.post_form(f"/t/huayun/portal/invoices/{newest.id}/pay", {"method": "payments_epay"})
    go = client.get(response.location)
    cashier = client.get(go.headers["Refresh"].removeprefix("0;url="))
    assert cashier.status_code == 303 and urlsplit(cashier.location).path.startswith("/sandbox/alipay/cashier/")
    page = client.get(cashier.location).get_data(as_text=True)
    assert "支付宝沙箱收银台" in page and huayun.legal_name in page
