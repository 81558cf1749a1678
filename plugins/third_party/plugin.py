"""Third parties (agreement Part 2): subcontractors who see only what is assigned to them."""

from flask_babel import lazy_gettext as _l

from saas.core.plugins import PluginInfo, hookimpl


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Third parties"),
        description=_l("Subcontractors under Part 2 of the agreement; their people sign in as third-party users."),
    )
