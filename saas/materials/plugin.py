"""Party A's materials register their screens, navigation, daily job, invoice lines, request section, labels and
demo data through the hooks."""

from flask_babel import lazy_gettext as _l

from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.plugins import NavItem, PeriodicJob, RequestSection, hookimpl
from saas.materials import models  # noqa: F401  (register the tables)

#: The steps of an ask's timeline (materials/detail.html).
STEP_LABELS = {
    "asked": _l("Asked of the client"),
    "reminded": _l("Reminded: due tomorrow"),
    "overdue": _l("Not supplied by the deadline: Party A's breach recorded"),
    "supplied": _l("Supplied by the client"),
    "withdrawn": _l("Withdrawn by the vendor"),
}


@hookimpl
def saas_blueprints():
    from saas.materials.views import bp, portal_bp

    return [bp, portal_bp]


@hookimpl
def saas_migration_dirs():
    return []  # core tables: migrations/versions


@hookimpl
def saas_nav_items(tenant, membership):
    return [
        NavItem(_l("Materials asked"), "materials.index", VENDOR_ROLES, order=22),
        NavItem(_l("Client breaches"), "materials.breaches_index", VENDOR_ROLES, order=23),
        NavItem(_l("Materials asked of us"), "portal_materials.portal_index", CLIENT_ROLES, order=12),
        NavItem(_l("Our breaches"), "portal_materials.portal_breaches", CLIENT_ROLES, order=13),
    ]


@hookimpl
def saas_template_filters():
    from saas.materials.services import ACTION_LABELS

    return {
        "materials_step": lambda code: str(STEP_LABELS.get(code, code)),
        "materials_action": lambda code: str(ACTION_LABELS.get(code, code)),
    }


@hookimpl
def saas_periodic_jobs():
    from saas.materials.tasks import sweep_materials

    # 00:10 in Shanghai: the day before's deadlines have passed; before the credits (00:20) and billing (00:30).
    return [PeriodicJob(sweep_materials, cron="10 16 * * *", queue="default", timeout=900)]


@hookimpl
def saas_billing_lines(tenant, contract_ids, today):
    """§8.2 for the client: confirmed penalties for materials not supplied go on the contract's next invoice."""
    from saas.materials.penalties import billing_lines

    return billing_lines(tenant, contract_ids)


@hookimpl
def saas_billing_lines_billed(tenant, billed):
    from saas.materials.penalties import mark_billed

    mark_billed(tenant, billed)


@hookimpl
def saas_request_sections(req, membership):
    """The materials asked for the request, with the vendor's ask form or the client's supply forms."""
    from markupsafe import Markup

    from saas.materials.views import section_html

    role = membership.role_enum
    if not (role.is_vendor or (role.is_client and membership.client_id == req.client_id)):
        return []
    html = section_html(req, vendor=role.is_vendor)
    return [RequestSection(_l("Technical materials from the client"), Markup(html), order=10)]  # noqa: S704


@hookimpl(trylast=True)  # once the requests demo has played
def saas_demo_data(tenant, session):
    from saas.materials.demo import seed_materials

    seed_materials(tenant)
