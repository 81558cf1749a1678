"""Screens of the vendor's recorded breaches (§8.1.1–§8.1.3): the vendor's list across its clients, and each
client's own in the portal, by kind and month, each with the deadline it missed and its request."""

from datetime import date

from flask import request

from saas.core.clients import choices as client_choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.parsing import parse_date, parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, roles_required, tenant_blueprint, visible_client_id
from saas.requests.breaches import list_breaches
from saas.requests.labels import BREACH_LABELS

bp = tenant_blueprint("breaches", __name__, url_prefix="/breaches", template_folder="templates")
portal_bp = tenant_blueprint("portal_breaches", __name__, url_prefix="/portal/breaches", template_folder="templates")


def _month() -> date | None:
    """The month filter ("2026-11"), as its first day; anything else is no filter."""
    value = request.args.get("month", "")
    try:
        return parse_date(f"{value}-01") if len(value) == 7 else None
    except ValueError:
        return None


def _list(portal: bool):
    client_id = visible_client_id() if portal else parse_id(request.args.get("client", ""))
    kind = request.args.get("kind", "")
    kind = kind if kind in BREACH_LABELS else ""
    month = _month()
    after = parse_id(request.args.get("after", ""))
    rows, next_after = list_breaches(current_tenant, client_id=client_id, kind=kind, month=month, after=after)
    filters = {
        "kind": kind or None,
        "month": month.strftime("%Y-%m") if month else None,
        **({} if portal else {"client": client_id}),
    }
    return render(
        "requests/breaches.html",
        block="rows" if after else "content",
        breaches=rows,
        next_after=next_after,
        portal=portal,
        filters=filters,
        kinds=BREACH_LABELS,
        clients=[] if portal else client_choices(current_tenant),
        endpoint="portal_breaches.portal_index" if portal else "breaches.index",
    )


@bp.get("/")
@roles_required(*VENDOR_ROLES)
def index():
    """Every recorded breach of the vendor across its clients, newest first."""
    return _list(portal=False)


@portal_bp.get("/")
@roles_required(*CLIENT_ROLES)
def portal_index():
    """The breaches of the agreement recorded for this client, newest first."""
    return _list(portal=True)
