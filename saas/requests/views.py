"""Screens of service requests: the vendor's queue and request pages, categories, and the client's portal."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from saas.calendars.models import ServiceCalendar
from saas.core.clients import choices as client_choices
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.plugins import plugin_manager
from saas.core.rendering import attachment, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.requests import labels, services, sla
from saas.requests.forms import (
    AssignForm,
    CategoryForm,
    CloseForm,
    LogRequestForm,
    ReplyForm,
    RequestForm,
    StatusForm,
    VisitForm,
)
from saas.requests.models import RequestAttachment, RequestCategory, RequestStatus, ServiceRequest
from saas.team.models import TeamMember

bp = tenant_blueprint("requests", __name__, url_prefix="/requests", template_folder="templates")
portal_bp = tenant_blueprint("portal_requests", __name__, url_prefix="/portal/requests", template_folder="templates")
bp.record_once(lambda state: labels.install(state.app))
vendor_only = roles_required(*VENDOR_ROLES)
client_only = roles_required(*CLIENT_ROLES)
admin_only = roles_required(Role.VENDOR_ADMIN)
#: How far ahead "breaching soon" looks.
SOON = timedelta(hours=2)


def category_name(category: RequestCategory) -> str:
    return category.name_zh if str(get_locale()).startswith("zh") else category.name_en


def _category_choices() -> list:
    return choices([(0, _("— choose —")), *[(c.id, category_name(c)) for c in services.categories(current_tenant)]])


def _to_utc(local_value):
    """A wall-clock time typed in the tenant's time zone, as UTC."""
    if local_value is None:
        return None
    return local_value.replace(tzinfo=ZoneInfo(current_tenant.timezone)).astimezone(ZoneInfo("UTC"))


def _uploads(field) -> list[tuple[str, str, bytes]]:
    """The file of an upload field, as (name, type, bytes); none when nothing was chosen."""
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        return []
    return [(upload.filename, upload.mimetype, upload.read())]


def _queue_filters() -> dict:
    args = request.args
    return {key: args.get(key) or None for key in ("status", "category", "priority", "client", "assignee", "soon", "q")}


def _clock_context(rows) -> dict:
    """The rows' clocks with their texts ready, and the labels a list shows, translated once per page."""
    text = labels.ClockText()
    clocks = sla.clock_states(rows, sla.tenant_specs(current_tenant.id), now())
    for state in clocks.values():
        state["due_text"], state["left_text"] = text.when(state["due"]), text.remaining(state["left"])
    return {"clocks": clocks, "status_labels": text.status, "priority_labels": text.priority}


@bp.get("/")
@vendor_only
def index():
    """The vendor's queue: filters, soonest due first, keyset pages; due times refresh without a reload."""
    f = _queue_filters()
    assignee = f["assignee"]
    if assignee == "me":
        me = services.member_for_user(current_tenant, current_user)
        assignee_id = me.id if me else -1
    else:
        assignee_id = int(assignee) if assignee and assignee.isdigit() else None
    status = f["status"] if f["status"] in (*RequestStatus.__members__.values(), "all") else "open"
    rows, next_after = _page(
        status=status,
        client_id=_int(f["client"]),
        category_id=_int(f["category"]),
        priority=f["priority"] or "",
        assignee_id=assignee_id,
        unassigned=assignee == "none",
        breaching_within=SOON if f["soon"] else None,
        query=(f["q"] or "").strip(),
        after=request.args.get("after"),
        related=False,
    )
    block = "rows" if request.args.get("after") else request.args.get("block", "content")
    clients = client_choices(current_tenant)
    categories = services.categories(current_tenant, active_only=False)
    team = services.team(current_tenant, active_only=False)
    # The rows carry ids only: names come from what the filters loaded anyway (no query per row or relation).
    return render(
        "requests/queue.html",
        block=block if block in ("content", "rows", "queue") else "content",
        requests=rows,
        next_after=next_after,
        filters={k: v for k, v in f.items() if v},
        status_filter=status,
        clients=clients,
        client_names=dict(clients),
        categories=categories,
        category_names={c.id: category_name(c) for c in categories},
        team=[m for m in team if m.active],
        member_names={m.id: m.name for m in team},
        statuses=list(RequestStatus),
        **_clock_context(rows),
    )


def _int(value):
    """A filter's id; anything else (or an id no row can have) filters nothing."""
    return parse_id(value) if value else None


def _page(**kwargs):
    """services.list_requests, with a made-up cursor answered 400 rather than 500."""
    try:
        return services.list_requests(current_tenant, **kwargs)
    except ValueError:
        abort(400)


@bp.route("/new", methods=["GET", "POST"])
@vendor_only
def new():
    """Log a request received by phone, e-mail or chat; the clocks start when it was received."""
    form = LogRequestForm()
    form.category_id.choices = _category_choices()
    clients = client_choices(current_tenant)
    form.client_id.choices = choices([(0, _("— choose —")), *clients])
    if form.validate_on_submit():
        try:
            req = services.create_request(
                current_tenant,
                form.client_id.data,
                form.data,
                current_user,
                channel=form.channel.data,
                received_at=_to_utc(form.received_at.data),
            )
            for upload in _uploads(form.attachment):
                services.attach(req, services.created_event(req), *upload, internal=False)
        except ServiceError as exc:
            db.session.rollback()
            form.subject.errors = [*form.subject.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Request %(ref)s logged.", ref=req.reference), "success")
            return redirect(url_for("requests.detail", request_id=req.id))
    status = 422 if request.method == "POST" else 200
    return render("requests/new.html", form=form, status=status, portal=False)


def sections(req: ServiceRequest) -> list:
    """Blocks other domains show on the request's page (e.g. the materials asked of the client, saas/materials)."""
    groups = plugin_manager().for_tenant(current_tenant).saas_request_sections(req=req, membership=g.membership)
    return sorted((s for group in groups for s in group), key=lambda s: s.order)


def _detail_context(req: ServiceRequest, vendor: bool) -> dict:
    specs = sla.tenant_specs(current_tenant.id)
    at = now()
    context = {
        "req": req,
        "events": services.timeline(req, include_internal=vendor),
        "files": services.attachments(req, include_internal=vendor),
        "visits": services.visits(req),
        "clock": sla.clock_state(req, specs, at),
        "left": {
            kind: sla.working_time_left(req, getattr(req, f"{kind}_due_at"), specs.get(req.calendar_id), at)
            for kind in ("response", "arrival", "resolution")
        },
        "category_name": category_name,
        "vendor": vendor,
        "reply_form": ReplyForm(formdata=None),
        "sections": [],  # the page's own, not its polled clock's (detail and portal_detail add them)
    }
    if vendor:
        members = services.team(current_tenant)
        assign = AssignForm(formdata=None, member_id=req.assignee_id or 0)
        assign.member_id.choices = choices([(0, _("— nobody —")), *[(m.id, m.name) for m in members]])
        visit = VisitForm(formdata=None)
        visit.engineer_id.choices = choices([(0, _("— choose —")), *[(m.id, m.name) for m in members]])
        context.update(
            moves=sorted(services.VENDOR_MOVES[RequestStatus(req.status)], key=list(RequestStatus).index),
            status_form=StatusForm(formdata=None),
            assign_form=assign,
            visit_form=visit,
            close_form=CloseForm(formdata=None),
        )
    return context


@bp.get("/<int:request_id>")
@vendor_only
def detail(request_id):
    """A request with its clocks, timeline, visits and the actions staff may take."""
    req = get_or_404(ServiceRequest, request_id, current_tenant)
    return render("requests/detail.html", **{**_detail_context(req, vendor=True), "sections": sections(req)})


@bp.get("/<int:request_id>/clock")
@vendor_only
def clock(request_id):
    """The request's SLA panel alone: polled so due times and time left stay current."""
    req = get_or_404(ServiceRequest, request_id, current_tenant)
    return render("requests/detail.html", block="sla", **_detail_context(req, vendor=True))


def _act(req: ServiceRequest, action, endpoint: str):
    """Run a service action on a request; commit and send mail, or show why it was refused."""
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for(endpoint, request_id=req.id))


@bp.post("/<int:request_id>/reply")
@vendor_only
def reply(request_id):
    """A reply to the client, or an internal note, with a file."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(
        req,
        lambda: services.reply(
            req,
            current_user,
            form.body.data,
            by_client=False,
            internal=form.internal.data,
            files=_uploads(form.attachment),
        ),
        "requests.detail",
    )


@bp.post("/<int:request_id>/status")
@vendor_only
def move(request_id):
    """Move the request along the workflow (acknowledge, start, wait on client, resolve)."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    if form.to_status.data not in RequestStatus.__members__.values():
        abort(400)
    return _act(
        req,
        lambda: services.change_status(
            req, form.to_status.data, current_user, by_client=False, note=form.note.data or ""
        ),
        "requests.detail",
    )


@bp.post("/<int:request_id>/close")
@admin_only
def close(request_id):
    """Close without the client's confirmation, saying why (a duplicate; the agreement ended, §10.4)."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = CloseForm()
    if not form.validate_on_submit():
        flash(_("Say why the request is closed."), "error")
        return redirect(url_for("requests.detail", request_id=req.id))
    return _act(req, lambda: services.close_by_vendor(req, current_user, form.reason.data), "requests.detail")


@bp.post("/<int:request_id>/assign")
@vendor_only
def assign(request_id):
    """Give the request to an engineer of the team."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = AssignForm()
    form.member_id.choices = choices([(0, ""), *[(m.id, m.name) for m in services.team(current_tenant)]])
    if not form.validate_on_submit():
        abort(400)
    member = get_or_404(TeamMember, form.member_id.data, current_tenant) if form.member_id.data else None
    return _act(req, lambda: services.assign(req, member, current_user), "requests.detail")


@bp.post("/<int:request_id>/visits")
@vendor_only
def visit(request_id):
    """Record an on-site visit: the engineer's arrival and departure (§2.1.2)."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = VisitForm()
    form.engineer_id.choices = choices([(0, ""), *[(m.id, m.name) for m in services.team(current_tenant)]])
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("requests.detail", request_id=req.id))
    engineer = get_or_404(TeamMember, form.engineer_id.data, current_tenant) if form.engineer_id.data else None
    return _act(
        req,
        lambda: services.record_visit(
            req,
            current_user,
            engineer,
            _to_utc(form.arrived_at.data),
            _to_utc(form.departed_at.data),
            form.note.data or "",
        ),
        "requests.detail",
    )


def _download(req: ServiceRequest, attachment_id: int, vendor: bool):
    row = get_or_404(RequestAttachment, attachment_id, current_tenant, req.client_id)
    if row.request_id != req.id or (row.internal and not vendor):
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    return attachment(response, row.filename)


@bp.get("/<int:request_id>/files/<int:attachment_id>")
@vendor_only
def download(request_id, attachment_id):
    """Download a file of the request."""
    return _download(get_or_404(ServiceRequest, request_id, current_tenant), attachment_id, vendor=True)


@bp.get("/categories")
@admin_only
def categories():
    """The request categories and their handling standards (§4.3)."""
    rows = services.categories(current_tenant, active_only=False)
    calendars = {
        c.id: c.name
        for c in db.session.scalars(select(ServiceCalendar).where(ServiceCalendar.tenant_id == current_tenant.id))
    }
    return render(
        "requests/categories.html", categories=rows, calendars=calendars, field_for=services.contract_hours_field
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@admin_only
def category(category_id=None):
    """Create or refine a category: handling standard, calendar, resolution targets per priority."""
    row = get_or_404(RequestCategory, category_id, current_tenant) if category_id is not None else None
    form = CategoryForm(obj=row)
    calendars = db.session.execute(
        select(ServiceCalendar.id, ServiceCalendar.name).where(ServiceCalendar.tenant_id == current_tenant.id)
    ).all()
    form.calendar_id.choices = choices([(0, _("Around the clock (7×24)")), *calendars])
    if request.method == "GET":
        hours = (row.resolution_hours if row else None) or services.DEFAULT_RESOLUTION_HOURS
        for priority, value in hours.items():
            form[f"resolution_{priority}"].data = value
        form.calendar_id.data = (row.calendar_id if row else None) or 0
    if form.validate_on_submit():
        try:
            row = services.save_category(current_tenant, form.data, row)
        except ServiceError as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("requests.categories"))
    status = 422 if request.method == "POST" else 200
    return render("requests/category.html", form=form, category=row, status=status)


# The client's portal ------------------------------------------------------------------------------


def _own(request_id, for_update: bool = False) -> ServiceRequest:
    """One of the signed-in client's requests (locked when it is to change); any other is a 404."""
    return get_or_404(ServiceRequest, request_id, current_tenant, visible_client_id(), for_update=for_update)


@portal_bp.get("/")
@client_only
def portal_index():
    """The client's requests: open ones soonest due first, or all newest first."""
    status = request.args.get("status") if request.args.get("status") in ("open", "all") else "open"
    rows, next_after = _page(
        client_id=visible_client_id(), status=status, after=request.args.get("after"), related=False
    )
    block = "rows" if request.args.get("after") else request.args.get("block", "content")
    contract = services.contract_in_force(current_tenant, visible_client_id())
    categories = services.categories(current_tenant, active_only=False)
    return render(
        "requests/portal_list.html",
        block=block if block in ("content", "rows", "queue") else "content",
        requests=rows,
        next_after=next_after,
        status_filter=status,
        contract=contract,
        category_names={c.id: category_name(c) for c in categories},
        **_clock_context(rows),
    )


@portal_bp.route("/new", methods=["GET", "POST"])
@client_only
def portal_new():
    """Raise a request under the agreement in force (none in force: the form says so, §10.4)."""
    contract = services.contract_in_force(current_tenant, visible_client_id())
    form = RequestForm()
    form.category_id.choices = _category_choices()
    if contract is not None and form.validate_on_submit():
        try:
            req = services.create_request(current_tenant, visible_client_id(), form.data, current_user)
            for upload in _uploads(form.attachment):
                services.attach(req, services.created_event(req), *upload, internal=False)
        except ServiceError as exc:
            db.session.rollback()
            form.subject.errors = [*form.subject.errors, str(exc)]
        else:
            db.session.commit()
            flash(
                _(
                    "Request %(ref)s sent. We will answer by %(due)s.",
                    ref=req.reference,
                    due=_local(req.response_due_at),
                ),
                "success",
            )
            return redirect(url_for("portal_requests.portal_detail", request_id=req.id))
    status = 422 if request.method == "POST" else 200
    return render("requests/new.html", form=form, status=status, portal=True, contract=contract)


def _local(value) -> str:
    from saas.core.i18n import format_dt

    return format_dt(value, "short") if value else "—"


@portal_bp.get("/<int:request_id>")
@client_only
def portal_detail(request_id):
    """One of the client's requests: its clocks, the conversation, confirm or reopen."""
    req = _own(request_id)
    return render("requests/detail.html", **{**_detail_context(req, vendor=False), "sections": sections(req)})


@portal_bp.get("/<int:request_id>/clock")
@client_only
def portal_clock(request_id):
    """The request's SLA panel alone, for polling."""
    return render("requests/detail.html", block="sla", **_detail_context(_own(request_id), vendor=False))


@portal_bp.post("/<int:request_id>/reply")
@client_only
def portal_reply(request_id):
    """The client answers (while waited on, this starts the clock again)."""
    req = _own(request_id, for_update=True)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(
        req,
        lambda: services.reply(req, current_user, form.body.data, by_client=True, files=_uploads(form.attachment)),
        "portal_requests.portal_detail",
    )


@portal_bp.post("/<int:request_id>/confirm")
@client_only
def portal_confirm(request_id):
    """The client confirms the resolution: the request closes."""
    req = _own(request_id, for_update=True)
    return _act(
        req,
        lambda: services.change_status(
            req, RequestStatus.CLOSED, current_user, by_client=True, note=request.form.get("note", "")
        ),
        "portal_requests.portal_detail",
    )


@portal_bp.post("/<int:request_id>/reopen")
@client_only
def portal_reopen(request_id):
    """The problem is still there: the request goes back to the engineers, the clock runs again."""
    req = _own(request_id, for_update=True)
    note = request.form.get("note", "").strip()
    if not note:
        flash(_("Say what is still wrong."), "error")
        return redirect(url_for("portal_requests.portal_detail", request_id=req.id))
    return _act(
        req,
        lambda: services.change_status(req, RequestStatus.IN_PROGRESS, current_user, by_client=True, note=note),
        "portal_requests.portal_detail",
    )


@portal_bp.get("/<int:request_id>/files/<int:attachment_id>")
@client_only
def portal_download(request_id, attachment_id):
    """Download a file of the request (internal files are not the client's)."""
    return _download(_own(request_id), attachment_id, vendor=False)


@bp.app_template_filter("duration")
def duration(value: timedelta | None) -> str:
    """Working time for people: "3 h 05 min"; negative values read "overdue by …"."""
    return labels.ClockText().duration(value)


@bp.post("/<int:request_id>/handover")
@admin_only
def hand_over(request_id):
    """Hand an open request of an ended agreement over to the client's agreement in force (§10.4)."""
    from saas.contracts.models import Contract

    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    successor = get_or_404(Contract, request.form.get("contract_id"), current_tenant)
    return _act(req, lambda: services.hand_over(req, successor, current_user), "requests.detail")
