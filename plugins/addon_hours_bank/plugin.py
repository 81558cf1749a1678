"""Hours bank (§13): prepaid engineer hours under a main agreement, drawn down by time logged on its requests, roll-over
as its terms say, the hours beyond it billed per hour on the regular invoice; both parties see the balance."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import AddonTerm, AddonType, NavItem, PluginInfo, RequestSection, hookimpl

NAME = "addon_hours_bank"
HERE = Path(__file__).resolve().parent


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Hours bank"),
        description=_l(
            "A prepaid bank of engineer hours signed as an add-on (§13): time logged on requests draws it down, "
            "overage billed per hour."
        ),
    )


@hookimpl
def saas_addon_types():
    from plugins.addon_hours_bank.services import measure

    return [
        AddonType(
            name=NAME,
            label_zh="工时包",
            label_en="Hours bank",
            description_zh="预付的工程师工时（如每月 20 小时，或一次性工时块）：服务请求和上门服务所记工时从中扣减，"
            "未用工时按约定结转或作废，超出部分按小时计费。",
            description_en="Prepaid engineer hours (e.g. 20 hours a month, or a one-off block): time logged on "
            "requests and on-site visits draws them down, unused hours roll over or expire as agreed, hours beyond "
            "the bank are billed per hour.",
            terms=(
                AddonTerm("hours_per_month", _l("Hours a month"), "decimal", default="20", minimum=0, maximum=1000),
                AddonTerm(
                    "one_off_hours",
                    _l("One-off block of hours, granted on the first day"),
                    "decimal",
                    default="0",
                    minimum=0,
                    maximum=10000,
                ),
                AddonTerm(
                    "rollover",
                    _l("Unused monthly hours"),
                    "choice",
                    default="next_month",
                    choices=(
                        ("expire", _l("expire at the month's end")),
                        ("next_month", _l("are carried into the next month only")),
                        ("keep", _l("are kept while the agreement runs")),
                    ),
                ),
            ),
            pricing=("monthly", "one_off", "usage"),
            unit_zh="小时",
            unit_en="hour",
            measure=measure,
        )
    ]


@hookimpl
def saas_blueprints():
    from plugins.addon_hours_bank.views import bp  # importing the views imports the models too

    return [bp]


@hookimpl
def saas_migration_dirs():
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Hours banks"), "plugin_addon_hours_bank.index", VENDOR_ROLES, order=58),
        NavItem(_l("Our hours banks"), "plugin_addon_hours_bank.portal", CLIENT_ROLES, order=18),
    ]


@hookimpl
def saas_request_sections(req, membership):
    """The time logged on the request and the bank it draws: engineers log time here, the client reads it."""
    from plugins.addon_hours_bank.views import section_html

    role = membership.role_enum
    if role.is_vendor:
        return [RequestSection(_l("Time logged"), section_html(req, vendor=True), order=40)]
    if role.is_client and membership.client_id == req.client_id:
        return [RequestSection(_l("Time logged"), section_html(req, vendor=False), order=40)]
    return []


@hookimpl
def saas_demo_data(tenant, session):
    """Before the billing replay: the hours-bank offer and the first client's bank, signed, so its months are billed."""
    from plugins.addon_hours_bank.demo import seed_bank

    seed_bank(tenant, session)


@hookimpl(wrapper=True, specname="saas_demo_data")
def hours_demo(tenant, session):
    """Once the requests demo has played: time logged on the client's requests this month, beyond its bank."""
    from plugins.addon_hours_bank.demo import seed_time

    result = yield
    seed_time(tenant, session)
    return result
