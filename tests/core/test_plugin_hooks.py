"""The plugin contract (saas/core/hookspecs.py): every hook is called where it should be, per tenant.

Two meta-tests keep the contract, its tests and docs/plugins.md together: a new hook needs a test
named after it and a section in the plugin guide.
"""

import ast
import importlib
import os
import re
import types
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from plugins.payments_bank.models import BankAccount
from saas.core import plugin as core_plugin
from saas.core.models import AuditEvent, TenantPlugin
from saas.core.plugins import CORE, DashboardCard, PeriodicJob, hookimpl, migration_dirs, table_owner

ROOT = Path(__file__).resolve().parents[2]
HOOKSPECS = ROOT / "saas" / "core" / "hookspecs.py"
GUIDE = ROOT / "docs" / "plugins.md"
PLUGINS = {
    "addon_extended_coverage": "plugins.addon_extended_coverage.plugin",
    "addon_hours_bank": "plugins.addon_hours_bank.plugin",
    "payments_bank": "plugins.payments_bank.plugin",
    "payments_cheque": "plugins.payments_cheque.plugin",
    "payments_epay": "plugins.payments_epay.plugin",
    "third_party": "plugins.third_party.plugin",
}
#: Plugins only development and tests load (`saas.sandbox_plugins`, SANDBOX_PLUGINS): never a production instance.
SANDBOX_PLUGINS = {"payments_epay_sandbox": "plugins.payments_epay_sandbox.plugin"}
BANK_URL = "/t/{slug}/p/payments_bank/accounts"


def hook_names() -> list[str]:
    """Every saas_* function of the hookspecs module, read from its source."""
    tree = ast.parse(HOOKSPECS.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("saas_")]


def names_of_tests() -> set[str]:
    """The names of every test function (module level or in a class) under tests/."""
    names = set()
    for path in (ROOT / "tests").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                names.add(node.name)
    return names


def test_every_hook_has_a_test():
    hooks = hook_names()
    assert len(hooks) >= 7, f"hookspecs.py parsed badly: {hooks}"
    tests = names_of_tests()
    untested = [h for h in hooks if not any(h in name for name in tests)]
    assert not untested, f"hooks without a test named after them: {untested}"


def test_every_hook_is_documented():
    guide = GUIDE.read_text(encoding="utf-8")
    headings = [line for line in guide.splitlines() if line.startswith("#")]
    undocumented = [h for h in hook_names() if not any(h in line for line in headings)]
    assert not undocumented, f"hooks without a heading in docs/plugins.md: {undocumented}"


def test_plugins_are_found_through_entry_points(app):
    found = {ep.name: ep.value for ep in entry_points(group="saas.plugins")}
    assert found == PLUGINS
    assert {ep.name: ep.value for ep in entry_points(group="saas.sandbox_plugins")} == SANDBOX_PLUGINS
    pm = app.extensions["plugins"]
    assert pm.plugin_names() == sorted({**PLUGINS, **SANDBOX_PLUGINS})  # the testing config loads sandboxes
    for name, module in {**PLUGINS, **SANDBOX_PLUGINS}.items():
        assert pm.get_plugin(name) is importlib.import_module(module)


# --- helpers -------------------------------------------------------------------------------------


def nav_links(html: str) -> list[str]:
    """The hrefs of the console's sidebar navigation."""
    match = re.search(r'<nav class="sidebar".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', match.group(0)) if match else []


def card_figures(html: str) -> dict[str, str]:
    """Dashboard cards as {label: value}."""
    pairs = re.findall(r'<span class="stat-value">([^<]*)</span><span class="stat-label">([^<]*)</span>', html)
    return {label: value for value, label in pairs}


def operator(make_user):
    return make_user(email="operator@aftercare.example.com", platform_admin=True)


# --- one test per hook ---------------------------------------------------------------------------


def test_hook_saas_plugin_info_titles_on_the_platform_tenant_page(app, client, world, make_user):
    pm = app.extensions["plugins"]
    infos = {name: pm.info(name) for name in pm.plugin_names()}
    # info(name) is that plugin's own answer, not the first answer of any plugin.
    with app.test_request_context():
        titles = {n: str(i.title) for n, i in infos.items()}
    assert titles == {
        "addon_extended_coverage": "Extended coverage add-on",
        "addon_hours_bank": "Hours bank",
        "payments_bank": "Bank transfer",
        "payments_cheque": "Cheque payments",
        "payments_epay": "Online payment",
        "payments_epay_sandbox": "Alipay sandbox gateway",
        "third_party": "Third parties",
    }
    assert infos["payments_bank"].settings_form is None
    assert infos["payments_cheque"].settings_form.__name__ == "ChequeSettingsForm"
    assert infos["payments_epay"].settings_form.__name__ == "EpaySettingsForm"

    with app.test_request_context():
        descriptions = {n: str(i.description) for n, i in infos.items()}
    client.sign_in(operator(make_user).email)
    page = client.get(f"/platform/tenants/{world.tenant('alpha').id}").get_data(as_text=True)
    for name in infos:
        assert f'<tr id="plugin-{name}">' in page
        assert f"<strong>{titles[name]}</strong>" in page
        assert descriptions[name] in page


def test_hook_saas_plugin_info_settings_form_decides_the_settings_page(client, world, enable_plugin):
    alpha = world.tenant("alpha")
    for name in ("payments_cheque", "third_party"):
        enable_plugin(alpha, name)
    client.sign_in(world.person("alpha", "vendor_admin").email)
    plugins_page = client.get("/t/alpha/plugins").get_data(as_text=True)
    assert "Cheque payments" in plugins_page and "Third parties" in plugins_page
    assert 'href="/t/alpha/plugins/payments_cheque/settings"' in plugins_page
    assert "/t/alpha/plugins/third_party/settings" not in plugins_page
    assert client.get("/t/alpha/plugins/payments_cheque/settings").status_code == 200
    # A plugin without a settings form has no settings page, even when enabled.
    assert client.get("/t/alpha/plugins/third_party/settings").status_code == 404
    assert client.get("/t/alpha/plugins/no_such_plugin/settings").status_code == 404


def test_hook_saas_blueprints_plugin_routes_live_under_the_tenant(app):
    names = app.extensions["plugins"].plugin_names()
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert rules["plugin_payments_bank.accounts"] == "/t/<tenant>/p/payments_bank/accounts"
    assert rules["plugin_payments_bank.delete"] == "/t/<tenant>/p/payments_bank/accounts/<int:account_id>/delete"
    plugin_rules = [(e, r) for e, r in rules.items() if e.startswith("plugin_")]
    assert plugin_rules
    for endpoint, rule in plugin_rules:
        name = endpoint.split(".")[0].removeprefix("plugin_")
        assert name in names
        assert rule.startswith(f"/t/<tenant>/p/{name}/"), rule


def test_hook_saas_blueprints_every_blueprint_comes_from_the_hook(app):
    pm = app.extensions["plugins"]
    from_hook = [bp for bps in pm.hook.saas_blueprints() for bp in bps]
    assert sorted(bp.name for bp in from_hook) == sorted(app.blueprints)
    for bp in from_hook:
        assert app.blueprints[bp.name] is bp


def test_core_uses_the_same_hooks(app):
    """The core registers itself as plugin "core": its screens, nav, cards and jobs come through the hooks."""
    pm = app.extensions["plugins"]
    assert pm.get_plugin(CORE) is core_plugin
    assert CORE not in pm.plugin_names()  # not something an operator can switch off
    core_bps = core_plugin.saas_blueprints()
    assert {bp.name for bp in core_bps} == {"auth", "platform", "console", "portal", "operations", "webhooks"}
    for bp in core_bps:
        assert app.blueprints[bp.name] is bp
    callers = {
        hook: [impl.plugin_name for impl in getattr(pm.hook, hook).get_hookimpls()]
        for hook in ("saas_blueprints", "saas_migration_dirs", "saas_nav_items", "saas_dashboard_cards")
    }
    for hook, names in callers.items():
        assert CORE in names, f"the core does not implement {hook}"


def test_hook_saas_migration_dirs_branch_is_applied(app, db):
    pm = app.extensions["plugins"]
    bank_versions = ROOT / "plugins" / "payments_bank" / "migrations" / "versions"
    cheque_versions = ROOT / "plugins" / "payments_cheque" / "migrations" / "versions"
    epay_versions = ROOT / "plugins" / "payments_epay" / "migrations" / "versions"
    sandbox_versions = ROOT / "plugins" / "payments_epay_sandbox" / "migrations" / "versions"
    third_party_versions = ROOT / "plugins" / "third_party" / "migrations" / "versions"
    coverage_versions = ROOT / "plugins" / "addon_extended_coverage" / "migrations" / "versions"
    hours_versions = ROOT / "plugins" / "addon_hours_bank" / "migrations" / "versions"
    expected = [
        coverage_versions,
        hours_versions,
        bank_versions,
        cheque_versions,
        epay_versions,
        sandbox_versions,
        third_party_versions,
    ]
    assert sorted(migration_dirs(pm)) == [str(d) for d in expected]
    assert core_plugin.saas_migration_dirs() == []

    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    locations = config.get_main_option("version_locations").split(os.pathsep)
    assert str(ROOT / "migrations" / "versions") in locations
    assert str(bank_versions) in locations

    script = ScriptDirectory.from_config(config)
    bank = script.get_revision("payments_bank@head")
    assert Path(bank.path).parent == bank_versions
    assert "payments_bank" in bank.branch_labels
    below = {r.revision for r in script.iterate_revisions(bank.revision, "base")}
    assert "0001_core" in below  # the branch depends_on the core's first revision

    with db.engine.connect() as conn:
        applied = MigrationContext.configure(conn).get_current_heads()
        # `upgrade heads` (the app fixture) applied every branch: each head is applied or below an applied one.
        assert bank.revision in applied
        done = {r.revision for r in script.iterate_revisions(applied, "base")}
        assert set(script.get_heads()) <= done
        columns = {c["name"] for c in sa_inspect(conn).get_columns("payments_bank_account")}
        assert columns == {c.name for c in BankAccount.__table__.columns}


def test_hook_saas_migration_dirs_models_match_the_migrations(db):
    """The core's and the plugins' migrations together build exactly the tables of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert "payments_bank_account" in db.metadata.tables
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_hook_saas_migration_dirs_tables_are_owned_by_their_plugin(app, db):
    names = app.extensions["plugins"].plugin_names()
    assert table_owner("payments_bank_account", names) == "payments_bank"
    assert table_owner("tenant_plugin", names) == CORE
    assert table_owner("client", names) == CORE
    # Every table in the models belongs to the core or to a plugin that ships a migration branch.
    with_branch = {Path(d).parts[-3] for d in migration_dirs(app.extensions["plugins"])}
    for table in db.metadata.tables:
        assert table_owner(table, names) in {CORE, *with_branch}, table


def test_hook_saas_nav_items_bank_accounts_follow_the_tenant(client, world, enable_plugin):
    url = BANK_URL.format(slug="alpha")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    links = nav_links(client.get("/t/alpha/").get_data(as_text=True))
    assert "/t/alpha/clients" in links  # the core's own entries
    assert url not in links

    enable_plugin(world.tenant("alpha"), "payments_bank")
    page = client.get("/t/alpha/").get_data(as_text=True)
    assert url in nav_links(page)
    assert f'href="{url}">Bank accounts</a>' in page

    enable_plugin(world.tenant("alpha"), "payments_bank", enabled=False)
    assert url not in nav_links(client.get("/t/alpha/").get_data(as_text=True))


def test_hook_saas_nav_items_by_role_and_tenant(client, world, enable_plugin):
    enable_plugin(world.tenant("alpha"), "payments_bank")
    enable_plugin(world.tenant("alpha"), "payments_cheque")
    url = BANK_URL.format(slug="alpha")
    cheques = "/t/alpha/plugins/payments_cheque/settings"
    seen = {}
    for role, home in [
        ("vendor_admin", "/t/alpha/"),
        ("vendor_billing", "/t/alpha/"),
        ("vendor_engineer", "/t/alpha/"),
        ("client_admin", "/t/alpha/portal/"),
        ("client_user", "/t/alpha/portal/"),
        ("third_party", "/t/alpha/third-party"),
    ]:
        client.sign_in(world.person("alpha", role).email)
        response = client.get(home)
        assert response.status_code == 200, role
        seen[role] = nav_links(response.get_data(as_text=True))
        assert seen[role], f"{role} has no navigation at all"
    assert {r for r, links in seen.items() if url in links} == {"vendor_admin", "vendor_billing"}
    assert {r for r, links in seen.items() if cheques in links} == {"vendor_admin"}
    # beta has not enabled the plugin: its admin does not get the entry.
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert BANK_URL.format(slug="beta") not in nav_links(client.get("/t/beta/").get_data(as_text=True))


# A plugin that is not installed through an entry point: given to create_app(extra_plugins=...).
tickets_plugin = types.ModuleType("tickets_plugin")


@hookimpl
def _tickets_cards(tenant, membership):
    return [DashboardCard("Open tickets", f"T{tenant.id}", "console.dashboard", order=5)]


@hookimpl
def _tickets_nightly_jobs():
    return [PeriodicJob(print, cron="0 2 * * *", queue="billing", timeout=60)]


tickets_plugin.saas_dashboard_cards = _tickets_cards
tickets_plugin.saas_periodic_jobs = _tickets_nightly_jobs


@pytest.fixture
def tickets_app(app, db):
    """A second app on the same database, with the tickets plugin installed next to the real ones."""
    from saas import create_app
    from saas.extensions import db as _db
    from saas.testing.fixtures import SaasClient

    other = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x"},
        extra_plugins={"helpdesk": tickets_plugin},
    )
    other.test_client_class = SaasClient
    yield other
    with other.app_context():
        _db.engine.dispose()


#: The contracts and requests domains' figures (no contract or request in the world fixture yet).
CONTRACT_CARDS = {
    "Contracts in force": "0",
    "In the renewal window": "0",
    "Awaiting signatures": "0",
    "Open requests": "0",
    "Due within 2 hours": "0",
    "Waiting on client": "0",
    "SLA breaches this month": "0",
}


def test_hook_saas_dashboard_cards_core_figures(client, world):
    client.sign_in(world.person("alpha", "vendor_admin").email)
    figures = card_figures(client.get("/t/alpha/").get_data(as_text=True))
    # alpha: 2 clients, 7 members (one per role, and a second client admin), no open invitation.
    assert figures == {"Clients": "2", "People": "7", "Open invitations": "0", **CONTRACT_CARDS}
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    assert card_figures(client.get("/t/alpha/").get_data(as_text=True)) == {"Clients": "2", **CONTRACT_CARDS}


def test_hook_saas_dashboard_cards_from_an_extra_plugin(db, world, tickets_app):
    from saas.core.tenants import set_plugin_enabled

    pm = tickets_app.extensions["plugins"]
    assert "helpdesk" in pm.plugin_names()
    set_plugin_enabled(world.tenant("alpha"), "helpdesk", True, pm.plugin_names())
    db.session.commit()
    alpha_id = world.tenant("alpha").id

    browser = tickets_app.test_client()
    browser.sign_in(world.person("alpha", "vendor_admin").email)
    figures = card_figures(browser.get("/t/alpha/").get_data(as_text=True))
    assert figures == {
        "Open tickets": f"T{alpha_id}",
        "Clients": "2",
        "People": "7",
        "Open invitations": "0",
        **CONTRACT_CARDS,
    }
    # Cards are sorted by their order: the plugin's (5) comes before the core's (10...).
    assert list(figures)[0] == "Open tickets"
    # beta has not enabled it: the hook is not even called for beta.
    browser.sign_in(world.person("beta", "vendor_admin").email)
    assert card_figures(browser.get("/t/beta/").get_data(as_text=True)) == {
        "Clients": "2",
        "People": "7",
        "Open invitations": "0",
        **CONTRACT_CARDS,
    }


def test_hook_saas_periodic_jobs_registered_with_rq_cron(fake_redis):
    """`rq cron saas.cron` loads the module, which registers every PeriodicJob of the core and the plugins."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fake_redis)
    scheduler.load_config_from_file("saas.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    job = jobs["saas.core.tasks.notify_expired_invitations"]
    assert (job.cron, job.queue_name, job.job_options["job_timeout"]) == ("15 1 * * *", "mail", 600)
    assert jobs["saas.core.tasks.forget_old_form_tokens"].cron == "40 19 * * *"
    assert jobs["saas.api.tasks.forget_old_idempotency_keys"].cron == "45 19 * * *"


def test_hook_saas_periodic_jobs_of_a_plugin(fake_redis, monkeypatch):
    from rq.cron import CronScheduler

    import saas.core.plugins

    build = saas.core.plugins.build_plugin_manager
    monkeypatch.setattr(saas.core.plugins, "build_plugin_manager", lambda: build(extra_plugins={"t": tickets_plugin}))
    scheduler = CronScheduler(connection=fake_redis)
    scheduler.load_config_from_file("saas.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    assert "saas.core.tasks.notify_expired_invitations" in jobs
    job = jobs["builtins.print"]
    assert (job.cron, job.queue_name, job.job_options["job_timeout"]) == ("0 2 * * *", "billing", 60)


def test_hook_saas_demo_data_adds_a_bank_account_per_demo_tenant(app, db):
    from saas.core.models import Tenant
    from saas.demo import VENDORS, seed_demo

    seed_demo()
    db.session.remove()
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    assert [t.slug for t in tenants] == [v["slug"] for v in VENDORS]
    for tenant in tenants:
        accounts = db.session.scalars(select(BankAccount).where(BankAccount.tenant_id == tenant.id)).all()
        assert len(accounts) == 1, tenant.slug
        assert accounts[0].account_name == tenant.legal_name
        assert (accounts[0].currency, accounts[0].is_default) == ("CNY", True)


# --- per-tenant enablement and the operator's switch ---------------------------------------------


def test_disabled_plugin_routes_answer_404_for_that_tenant_only(client, world, enable_plugin):
    enable_plugin(world.tenant("alpha"), "payments_bank")
    client.sign_in(world.person("alpha", "vendor_admin").email)
    assert client.get(BANK_URL.format(slug="alpha")).status_code == 200
    assert client.get(BANK_URL.format(slug="alpha") + "/new").status_code == 200
    client.sign_in(world.person("beta", "vendor_admin").email)
    assert client.get(BANK_URL.format(slug="beta")).status_code == 404
    assert client.get(BANK_URL.format(slug="beta") + "/new").status_code == 404
    assert client.post_form(BANK_URL.format(slug="beta") + "/new", {"bank_name": "X"}).status_code == 404


def plugin_state(db, tenant, name):
    db.session.expire_all()
    row = db.session.scalar(
        select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id, TenantPlugin.plugin == name)
    )
    return bool(row and row.enabled)


def test_operator_toggles_a_plugin_for_a_tenant(db, client, world, make_user):
    beta = world.tenant("beta")
    toggle = f"/platform/tenants/{beta.id}/plugins/payments_bank"
    beta_admin = world.person("beta", "vendor_admin").email
    operator_email = operator(make_user).email
    client.sign_in(operator_email)
    assert 'data-testid="enable-payments_bank"' in client.get(f"/platform/tenants/{beta.id}").get_data(as_text=True)

    # HTMX: the answer is the plugin's row only, now with the button that disables it.
    response = client.post_form(toggle, {"enabled": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    row = response.get_data(as_text=True).strip()
    assert row.startswith('<tr id="plugin-payments_bank">') and row.endswith("</tr>")
    assert row.count("<tr") == 1 and "<html" not in row and "plugin-payments_cheque" not in row
    assert 'data-testid="disable-payments_bank"' in row
    assert plugin_state(db, beta, "payments_bank")
    assert plugin_state(db, world.tenant("alpha"), "payments_bank") is False
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plugin.enabled")).all()
    assert [(e.tenant_id, e.data) for e in events] == [(beta.id, {"plugin": "payments_bank"})]

    client.sign_in(beta_admin)
    assert client.get(BANK_URL.format(slug="beta")).status_code == 200

    # Without HTMX: a redirect back to the tenant's page.
    client.sign_in(operator_email)
    response = client.post_form(toggle, {"enabled": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/platform/tenants/{beta.id}")
    assert not plugin_state(db, beta, "payments_bank")
    client.sign_in(beta_admin)
    assert client.get(BANK_URL.format(slug="beta")).status_code == 404


def test_operator_toggle_needs_csrf_and_a_real_plugin(db, client, world, make_user):
    beta = world.tenant("beta")
    client.sign_in(operator(make_user).email)
    response = client.post(f"/platform/tenants/{beta.id}/plugins/payments_bank", data={"enabled": "1"})
    assert response.status_code == 400
    assert not plugin_state(db, beta, "payments_bank")
    assert client.post_form(f"/platform/tenants/{beta.id}/plugins/nope", {"enabled": "1"}).status_code == 404
    assert client.post_form("/platform/tenants/999999/plugins/payments_bank", {"enabled": "1"}).status_code == 404


@pytest.mark.parametrize("role", ["vendor_admin", "vendor_billing", "client_admin", "third_party"])
def test_non_operator_cannot_toggle_plugins(db, client, world, role):
    alpha = world.tenant("alpha")
    client.sign_in(world.person("alpha", role).email)
    toggle = f"/platform/tenants/{alpha.id}/plugins/payments_bank"
    assert client.post_form(toggle, {"enabled": "1"}, headers={"HX-Request": "true"}).status_code == 403
    assert client.get(f"/platform/tenants/{alpha.id}").status_code == 403
    assert not plugin_state(db, alpha, "payments_bank")
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plugin.enabled")).all() == []


def test_every_audited_action_has_a_label():
    """The audit log shows people a label, never a raw code, for every action the code records."""
    import re
    from pathlib import Path

    from saas.core.audit import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    recorded = {
        m
        for path in [*root.glob("saas/**/*.py"), *root.glob("plugins/**/*.py")]
        for m in re.findall(r'audit\.record\(\s*"([a-z_.]+)"', path.read_text())
    }
    # actions named by a variable or an f-string
    recorded |= {
        "contracts.document_viewed",
        "contracts.document_downloaded",
        "contracts.amendment_proposed",
        "contracts.termination_proposed",
    }
    assert recorded and recorded <= set(ACTION_LABELS), sorted(recorded - set(ACTION_LABELS))


class SeesNewRequests:
    """A stand-in plugin noting every request it is told of."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def saas_request_created(self, req):
        self.seen.append((req.tenant_id, req.number, req.id is not None))


def test_hook_saas_request_created_for_the_tenants_that_enabled_it(
    app, db, world, enable_plugin, make_signed_contract, clock
):
    from datetime import UTC, date, datetime

    from flask import g

    from saas.core.plugins import plugin_manager
    from saas.requests import services as requests

    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    made = {}
    for slug in ("alpha", "beta"):
        tenant = world.tenant(slug)
        make_signed_contract(tenant, world.clients(slug)[0], effective=date(2026, 11, 1))
        made[slug] = (tenant, requests.categories(tenant)[0])
    db.session.commit()

    def raise_in(slug):
        tenant, category = made[slug]
        return requests.create_request(
            tenant, world.clients(slug)[0].id, {"category_id": category.id, "subject": "x"}, None, channel="phone"
        )

    pm = plugin_manager()
    plugin = SeesNewRequests()
    pm.register(plugin, name="request_spy_test")
    try:
        raise_in("alpha")
        assert plugin.seen == []  # installed, not enabled for alpha: not told
        enable_plugin(made["alpha"][0], "request_spy_test")
        g.pop("_enabled_plugins", None)  # the plugin manager keeps a tenant's plugins for the request
        req = raise_in("alpha")
        assert plugin.seen == [(made["alpha"][0].id, req.number, True)]  # flushed: it has its id and number
        raise_in("beta")
        assert len(plugin.seen) == 1  # beta has not enabled it
    finally:
        pm.unregister(plugin)


class ListsAnAnnex:
    """A stand-in plugin listing one line under annex 3, in the document's language."""

    @hookimpl
    def saas_contract_annexes(self, contract):
        from flask_babel import get_locale

        from saas.core.plugins import ContractAnnex

        return [ContractAnnex(3, (f"Plan {contract.number} ({get_locale()})",))]


def test_hook_saas_contract_annexes_lists_lines_under_the_annex_in_each_language(
    app, db, world, enable_plugin, make_contract
):
    from flask import g

    from saas.contracts import signing
    from saas.core.plugins import plugin_manager

    contract = make_contract(world.tenant("alpha"), world.clients("alpha")[0])
    plain = signing.render_document(contract, "en", 1)
    pm = plugin_manager()
    plugin = ListsAnAnnex()
    pm.register(plugin, name="annex_test")
    try:
        assert signing.render_document(contract, "en", 1) == plain  # installed, not enabled: nothing listed
        enable_plugin(world.tenant("alpha"), "annex_test")
        g.pop("_enabled_plugins", None)
        english = signing.render_document(contract, "en", 1)
        chinese = signing.render_document(contract, "zh_Hans_CN", 1)
        assert f"<li>Plan {contract.number} (en)</li>" in english
        assert f"<li>Plan {contract.number} (zh_Hans_CN)</li>" in chinese
        assert english.index("Annex 3</span>") < english.index(f"Plan {contract.number}") < english.index("Annex 4<")
        assert signing.render_document(contract, "en", 1) == english  # the same data, the same bytes
    finally:
        pm.unregister(plugin)
