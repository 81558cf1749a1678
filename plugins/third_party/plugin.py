"""Third parties (agreement Part 2): subcontractors who see only what is assigned to them."""

from flask_babel import lazy_gettext as _l

from saas.core.plugins import PluginInfo, hookimpl


@hookimpl
def saas_plugin_info():
    return PluginInfo(
        title=_l("Third parties"),
        description=_l("Subcontractors working for the vendor under the agreement's Part 2, with third-party users."),
    )
