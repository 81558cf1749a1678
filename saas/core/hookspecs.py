"""THE plugin contract: every hook a plugin (or the core, registered the same way) may implement.

Plugins are modules named in ``[project.entry-points."saas.plugins"]``; they implement these with
``@hookimpl`` from :mod:`saas.core.plugins`. Hooks that take a ``tenant`` are only called on the
plugins enabled for that tenant; the others are called on every installed plugin.
"""

import pluggy

hookspec = pluggy.HookspecMarker("saas")


@hookspec(firstresult=True)
def saas_plugin_info():
    """Return this plugin's PluginInfo: its title, description and optional settings form class."""


@hookspec
def saas_blueprints():
    """Return a list of Flask blueprints to register (plugins: made with plugin_blueprint())."""


@hookspec
def saas_migration_dirs():
    """Return a list of directories holding this plugin's own Alembic branch of versions."""


@hookspec
def saas_template_filters():
    """Return a dict {name: function} of Jinja filters this plugin's templates use, registered app-wide."""


@hookspec
def saas_nav_items(tenant, membership):
    """Return a list of NavItem for the console of `tenant` as seen by `membership`."""


@hookspec
def saas_dashboard_cards(tenant, membership):
    """Return a list of DashboardCard (a labelled figure with a link) for the tenant's dashboard."""


@hookspec
def saas_periodic_jobs():
    """Return a list of PeriodicJob (task function, cron string in UTC, queue) for `rq cron`."""


@hookspec
def saas_metrics():
    """Return a list of prometheus-client collectors (objects whose collect() yields metric families) for /metrics.

    collect() runs at each scrape, inside the request's app context and in the platform scope of the database
    (every tenant's rows); a collector that raises loses only its own series for that scrape.
    """


@hookspec
def saas_demo_data(tenant, session):
    """Add this plugin's demo rows for a freshly seeded demo `tenant` using `session`; return nothing."""


@hookspec
def saas_contract_obligations(contract):
    """Return a list of Obligation rows (clause, what is owed, parameter, and later applied/met/breached)."""


@hookspec
def saas_contract_sections(contract, membership):
    """Return a list of ContractSection blocks to show on `contract`'s page to `membership` (vendor or client)."""


@hookspec
def saas_contract_annexes(contract):
    """Return a list of ContractAnnex(number, items): lines the rendered agreement lists under its annex `number`
    (e.g. annex 6, the third-party agreements attached), in the document's language (called under force_locale)."""


@hookspec
def saas_request_sections(req, membership):
    """Return a list of RequestSection blocks to show on service request `req`'s page to `membership` (either party)."""


@hookspec
def saas_request_created(req):
    """A service request `req` was just raised (flushed, its due times and timeline set): act on it; return nothing."""


@hookspec
def saas_request_coverage(req, contract, category):
    """Return a list of RequestCoverage (a 7×24 calendar, shorter hours) for new request `req`; [] leaves it be."""


@hookspec
def saas_plugin_disabling(tenant, plugin):
    """Return a list of reasons (text for people) why `plugin` may not be switched off for `tenant` now, e.g. signed
    agreements that rest on it; [] when nothing stands in the way."""


@hookspec
def saas_addon_types():
    """Return a list of AddonType: the add-on services (§13) this plugin provides, whatever the tenant."""


@hookspec
def saas_payment_methods(tenant):
    """Return a list of PaymentMethod (name, label, whether clients pay online) this plugin offers `tenant` (§3.2)."""


@hookspec
def saas_payment_instructions(tenant, invoice):
    """Return a list of PaymentInstruction (title, safe HTML) telling the client how to pay `invoice` this way."""


@hookspec(firstresult=True)
def saas_payment_start(tenant, invoice, method, membership, return_url):
    """Start paying `invoice` online with `method` for `membership`: return the URL to send the payer to, or None."""


@hookspec(firstresult=True)
def saas_payment_notification(tenant, method, request):
    """Handle a provider's notification for `method`: return the response the provider expects, or None if not yours."""


@hookspec(firstresult=True)
def saas_payment_sandbox(tenant, provider, create):
    """Offer `tenant` a stand-in gateway for online `provider` ("alipay"): a PaymentSandbox, or None if not yours."""


@hookspec
def saas_payment_reconcile(tenant, today):
    """Settle what this method left open for `tenant` by `today` (trades to query, lines to match); return a count."""


@hookspec
def saas_billing_lines(tenant, contract_ids, today):
    """Return a list of BillingLine this plugin has waiting for the next invoice of these contracts (§3.1.1)."""


@hookspec
def saas_amounts_held(tenant, invoice_ids):
    """Return {invoice id: Decimal} of the amounts of these invoices that are held (under dispute, §9): the held
    part is owed no overdue breach, no late penalty and no reminder while it is held."""


@hookspec
def saas_billing_lines_billed(tenant, billed):
    """Mark BillingLines as billed: `billed` maps each line's key to the id of the invoice it went on."""
