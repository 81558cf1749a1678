"""Extended coverage add-on (§13): an add-on type whose running agreements give new requests of chosen categories
7×24 clocks (or a shorter response), shown on the request page and in the main agreement's compliance view."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.plugins import PluginInfo, hookimpl, plugin_blueprint

NAME = "addon_extended_coverage"
HERE = Path(__file__).resolve().parent
#: Serves no route: it gives the plugin's templates to the app's loader.
bp = plugin_blueprint(NAME, __name__)


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Extended coverage add-on"),
        description=_l(
            "Sells add-on agreements (§13) that serve chosen request categories around the clock (7×24) or with a "
            "shorter response while they run."
        ),
    )


@hookimpl
def saas_blueprints():
    from plugins.addon_extended_coverage import models  # noqa: F401  (register the table)

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_addon_types():
    from plugins.addon_extended_coverage.services import addon_type

    return [addon_type()]


@hookimpl
def saas_request_coverage(req, contract, category):
    """§13: the coverage of the add-on running on the request's day, for the categories it covers."""
    from plugins.addon_extended_coverage.services import coverage_for

    return coverage_for(req, contract, category)


@hookimpl
def saas_request_created(req):
    """Keep where the coverage applied (the requests domain chose the strictest), before and after."""
    from plugins.addon_extended_coverage.services import record

    record(req)


@hookimpl
def saas_request_sections(req, membership):
    from flask import render_template
    from markupsafe import Markup

    from plugins.addon_extended_coverage.services import of_request
    from saas.core.plugins import RequestSection

    row = of_request(req)
    if row is None:
        return []
    html = render_template("addon_extended_coverage/_request_section.html", row=row)
    return [RequestSection(_l("Extended coverage"), Markup(html), order=20)]  # noqa: S704 (an autoescaped template)


@hookimpl
def saas_contract_obligations(contract):
    """The compliance view's row of the responses owed under the add-on, where the agreement has one signed."""
    from plugins.addon_extended_coverage.services import agreements_of, category_codes, measure
    from saas.core.plugins import Obligation

    agreements = agreements_of(contract)
    if not agreements:
        return []
    codes = sorted({code for a in agreements for code in category_codes(a)})
    return [
        Obligation(
            "§13",
            _l("Response under extended coverage (add-on)"),
            f"7×24 · {', '.join(codes)}",
            order=26,
            **measure(contract),
        )
    ]


@hookimpl
def saas_contract_sections(contract, membership):
    """The requests the add-on applied to, on the main agreement's page (either party)."""
    from datetime import timedelta

    from flask import render_template
    from markupsafe import Markup

    from plugins.addon_extended_coverage.services import agreements_of, category_codes, of_contract
    from saas.core.plugins import ContractSection

    agreements = agreements_of(contract)
    if not agreements:
        return []
    html = render_template(
        "addon_extended_coverage/_contract_section.html",
        agreements=[(a, ", ".join(sorted(category_codes(a))), a.stop - timedelta(days=1)) for a in agreements],
        rows=of_contract(contract),
        vendor=membership.role_enum.is_vendor,
    )
    return [ContractSection(_l("Requests under extended coverage"), Markup(html), order=30)]  # noqa: S704


@hookimpl
def saas_demo_data(tenant, session):
    """Before the billing replay and the requests demo (plain impls of plugins run first): the offer and the first
    client's signed agreement, so its months are billed and its requests raised under it."""
    from plugins.addon_extended_coverage.demo import seed

    seed(tenant, session)
