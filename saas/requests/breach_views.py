"""Screens of the vendor's recorded breaches (§8.1.1–§8.1.3): the vendor's list across its clients, and each
client's own in the portal, by kind and month, each with the deadline it missed and its request; a breach's page
with its evidence, and the vendor's form to record a service below the agreed standard by hand (§8.1.1)."""

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_date, parse_id
from saas.core.rendering import evidence_download, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.requests.breaches import list_breaches, record_below_standard
from saas.requests.forms import BreachForm
from saas.requests.labels import BREACH_LABELS
from saas.requests.models import BreachFile, ServiceRequest, SlaBreach

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


def _file(breach: SlaBreach, file_id: int):
    row = db.session.scalar(
        select(BreachFile)
        .options(undefer(BreachFile.data))
        .where(BreachFile.id == file_id, BreachFile.breach_id == breach.id, BreachFile.tenant_id == breach.tenant_id)
    )
    if row is None:
        abort(404)
    return evidence_download(row.data, row.filename)


@bp.get("/")
@roles_required(*VENDOR_ROLES)
def index():
    """Every recorded breach of the vendor across its clients, newest first."""
    return _list(portal=False)


@bp.get("/<int:breach_id>")
@roles_required(*VENDOR_ROLES)
def detail(breach_id):
    """One breach with its clause, request and evidence."""
    breach = get_or_404(SlaBreach, breach_id, current_tenant)
    return render("requests/breach.html", breach=breach, kinds=BREACH_LABELS, portal=False)


@bp.get("/<int:breach_id>/files/<int:breach_file_id>")
@roles_required(*VENDOR_ROLES)
def download(breach_id, breach_file_id):
    """A file of a breach's evidence, as a download."""
    return _file(get_or_404(SlaBreach, breach_id, current_tenant), breach_file_id)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def new():
    """Record by hand a service of a request below the agreed standard (§8.1.1), with evidence."""
    req = get_or_404(ServiceRequest, parse_id(request.args.get("request", "")), current_tenant)
    form = BreachForm()
    if form.validate_on_submit():
        files = [(f.filename, f.mimetype, f.read()) for f in (form.evidence.data or []) if getattr(f, "filename", "")]
        try:
            breach = record_below_standard(
                req,
                current_user._get_current_object(),
                description=form.description.data,
                happened_on=form.happened_on.data,
                files=files,
            )
        except ServiceError as exc:
            db.session.rollback()
            form.description.errors = [*form.description.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Breach recorded under §8.1.1."), "success")
            return redirect(url_for("breaches.detail", breach_id=breach.id))
    return render("requests/breach_form.html", form=form, req=req, status=422 if request.method == "POST" else 200)


@portal_bp.get("/")
@roles_required(*CLIENT_ROLES)
def portal_index():
    """The breaches of the agreement recorded for this client, newest first."""
    return _list(portal=True)


@portal_bp.get("/<int:breach_id>")
@roles_required(*CLIENT_ROLES)
def portal_detail(breach_id):
    """One breach of the vendor toward this client, with its evidence."""
    breach = get_or_404(SlaBreach, breach_id, current_tenant, visible_client_id())
    return render("requests/breach.html", breach=breach, kinds=BREACH_LABELS, portal=True)


@portal_bp.get("/<int:breach_id>/files/<int:breach_file_id>")
@roles_required(*CLIENT_ROLES)
def portal_download(breach_id, breach_file_id):
    """A file of a breach's evidence, as a download."""
    return _file(get_or_404(SlaBreach, breach_id, current_tenant, visible_client_id()), breach_file_id)
