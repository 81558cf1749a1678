"""Screens of a subcontractor's work (Part 2 §4.3, §6.1, §8.2): on the request's page, who holds it, the vendor's
assign and take-back, the back-to-back clock and who answered for each minute; the subcontractor's own queue,
request page and record; its breaches."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from plugins.third_party import agreements, services, work
from plugins.third_party.forms import AssignForm, ResolveForm, ThirdPartyBreachForm, VisitNoteForm, WorkReplyForm
from plugins.third_party.models import Breach, BreachEvidence, ProposalStatus, Subcontractor
from plugins.third_party.views import _error_to_form, admin_only, bp, vendor_only
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import Role
from saas.core.parsing import parse_id
from saas.core.rendering import evidence_download, is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required
from saas.extensions import db
from saas.requests import services as requests
from saas.requests.models import RequestAttachment, ServiceRequest, SiteVisit

third_party_only = roles_required(Role.THIRD_PARTY)
MAX_FILES = 5


def _me():
    return current_user._get_current_object()


def _party_names(req: ServiceRequest) -> dict:
    ids = {a.subcontractor_id for a in work.assignments_of(req)}
    return (
        {s.id: s.legal_name for s in db.session.query(Subcontractor).filter(Subcontractor.id.in_(ids))} if ids else {}
    )


def _section_context(req: ServiceRequest, vendor: bool, message=None, form: AssignForm | None = None) -> dict:
    held = work.current(req)
    context = {"req": req, "vendor": vendor, "held": held, "message": message}
    if not vendor:
        return context
    candidates = [p.subcontractor for p in services.approved_on(req.contract) if p.subcontractor.active]
    assign_form = form or AssignForm(formdata=None)
    assign_form.subcontractor_id.choices = choices(
        [(0, _("— choose —"))] + [(s.id, s.legal_name) for s in candidates if not held or s.id != held.subcontractor_id]
    )
    segments, totals = work.split(req)
    shared = work.shared_ids(req)
    notes = [e for e in requests.timeline(req, include_internal=True) if e.internal and e.kind == "note"]
    context.update(
        {
            "clock": work.clock_of(held, req) if held else None,
            "history": work.assignments_of(req),
            "names": _party_names(req),
            "segments": segments,
            "totals": totals,
            "breaches": work.breaches_of(req=req),
            "breach_label": work.breach_label,
            "assign_form": assign_form,
            "can_assign": req.is_open and g.membership.role in (Role.VENDOR_ADMIN, Role.VENDOR_ENGINEER),
            "candidates": candidates,
            "notes": notes,
            "shared": shared,
        }
    )
    return context


def request_section_html(req: ServiceRequest, vendor: bool) -> Markup:
    """The subcontractor block of a request's page (saas_request_sections)."""
    return Markup(render_template("third_party/_request_section.html", **_section_context(req, vendor)))  # noqa: S704


def _section_answer(req: ServiceRequest, message: str, category: str, status: int = 200, form=None):
    if is_fragment_request():
        return render(
            "third_party/_request_section.html",
            block="section",
            status=status,
            **_section_context(req, True, message=(message, category) if message else None, form=form),
        )
    if message:
        flash(message, category)
    return redirect(url_for("requests.detail", request_id=req.id))


assign_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_ENGINEER)


@bp.post("/requests/<int:request_id>/assign")
@assign_staff
def assign(request_id):
    """Give the request to a subcontractor under its annex 6 agreement (Part 2 §4.3): its back-to-back clock starts."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = AssignForm()
    form.subcontractor_id.choices = choices(
        [(0, "")] + [(p.subcontractor_id, "") for p in services.approved_on(req.contract)]
    )
    if not form.validate_on_submit():
        return _section_answer(req, "", "error", status=422, form=form)
    try:
        work.assign(req, Subcontractor.get_in(current_tenant, form.subcontractor_id.data), _me())
    except ServiceError as exc:
        db.session.rollback()
        _error_to_form(form, exc, "subcontractor_id")
        return _section_answer(get_or_404(ServiceRequest, request_id, current_tenant), "", "error", 422, form)
    db.session.commit()
    return _section_answer(req, _("Given to the subcontractor; its people see the request now."), "success")


@bp.post("/requests/<int:request_id>/release")
@assign_staff
def release(request_id):
    """Take the request back from the subcontractor: its people no longer act on it."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    changed = work.release(req, _me())
    db.session.commit()
    return _section_answer(req, _("Taken back.") if changed else _("No subcontractor holds this request."), "success")


@bp.post("/requests/<int:request_id>/notes/<int:event_id>/share")
@assign_staff
def share_note(request_id, event_id):
    """Show one internal note to the subcontractor holding the request."""
    from saas.requests.models import RequestEvent

    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    event = get_or_404(RequestEvent, event_id, current_tenant)
    if event.request_id != req.id:
        abort(404)
    try:
        work.share_note(event, _me())
    except ServiceError as exc:
        db.session.rollback()
        return _section_answer(req, str(exc), "error", status=422)
    db.session.commit()
    return _section_answer(req, _("The note is shown to the subcontractor."), "success")


# --- the subcontractor's own screens (Part 2 §8.2) --------------------------------------------------------------


def _member():
    return agreements.member_of(current_tenant, _me())


@bp.get("/work")
@third_party_only
def work_queue():
    """The requests given to my company: open ones first by due time, or those done; keyset pages."""
    member = _member()
    done = request.args.get("done") == "1"
    after = parse_id(request.args.get("after", ""))
    rows, next_after = work.queue(member.subcontractor, done=done, after=after) if member else ([], None)
    clocks = {a.id: work.clock_of(a, r) for a, r in rows if a.released_at is None}
    return render(
        "third_party/work_queue.html",
        block="rows" if after else "content",
        member=member,
        rows=rows,
        clocks=clocks,
        done=done,
        next_after=next_after,
        at=now(),
    )


def _readable(request_id: int, for_update: bool = False) -> ServiceRequest:
    """A request my company holds or held; any other is not found (never another's work)."""
    member = _member()
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=for_update)
    if not work.ever_held_by(req, member):
        abort(404)
    return req


def _work_page(req: ServiceRequest, status: int = 200, refusal: str = "", **forms):
    member = _member()
    held = work.held_by(req, member)
    events = work.timeline_for(req, member)
    until = work.readable_until(req, member)
    files = {
        event_id: [f for f in rows if until is None or f.created_at <= until]
        for event_id, rows in requests.attachments(req, include_internal=False).items()
    }
    visits = [v for v in requests.visits(req) if until is None or v.arrived_at <= until]
    return render(
        "third_party/work_detail.html",
        status=status,
        req=req,
        member=member,
        held=held,
        clock=work.clock_of(held, req) if held else None,
        events=events,
        files=files,
        visits=visits,
        open_visit=next((v for v in visits if v.departed_at is None and v.recorded_by_id == current_user.id), None),
        reply_form=forms.get("reply_form") or WorkReplyForm(formdata=None),
        resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
        visit_form=forms.get("visit_form") or VisitNoteForm(formdata=None),
        refusal=refusal,
        at=now(),
    )


@bp.get("/work/<int:request_id>")
@third_party_only
def work_detail(request_id):
    """A request my company holds: what the client asked, the conversation, the on-site visits and my targets."""
    return _work_page(_readable(request_id))


def _act(request_id: int, action, done_message: str, form=None, form_name: str = ""):
    """Run one of my company's actions on a request it holds; refused with the reason when it does not."""
    req = _readable(request_id, for_update=True)
    member = _member()
    if work.held_by(req, member) is None:
        return _work_page(
            req, status=403, refusal=_("This request is not assigned to your company; you cannot act on it.")
        )
    if form is not None and not form.validate_on_submit():
        return _work_page(req, status=422, **{form_name: form})
    try:
        action(req, member)
    except ServiceError as exc:
        db.session.rollback()
        req = _readable(request_id)
        if form is not None and getattr(exc, "field", None):
            _error_to_form(form, exc, exc.field)
            return _work_page(req, status=422, **{form_name: form})
        return _work_page(req, status=422, refusal=str(exc))
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("plugin_third_party.work_detail", request_id=request_id))


@bp.post("/work/<int:request_id>/acknowledge")
@third_party_only
def work_acknowledge(request_id):
    """Take the request in hand: the first answer, on the agreement's clock and my company's."""
    return _act(request_id, lambda req, m: work.acknowledge(req, m, _me()), _("Acknowledged."))


@bp.post("/work/<int:request_id>/reply")
@third_party_only
def work_reply(request_id):
    """Reply to the client, with a file."""
    form = WorkReplyForm()

    def reply(req, member):
        upload = form.attachment.data
        files = [(upload.filename, upload.mimetype, upload.read())] if getattr(upload, "filename", "") else []
        work.reply(req, member, _me(), form.body.data, files)

    return _act(request_id, reply, _("Reply sent."), form, "reply_form")


@bp.post("/work/<int:request_id>/arrive")
@third_party_only
def work_arrive(request_id):
    """I am on site now (§2.1.2): the arrival stops the on-site clock."""
    form = VisitNoteForm()
    return _act(
        request_id,
        lambda req, m: work.record_visit(req, m, _me(), now(), None, form.note.data or ""),
        _("Arrival on site recorded."),
        form,
        "visit_form",
    )


@bp.post("/work/<int:request_id>/depart")
@third_party_only
def work_depart(request_id):
    """I left the site: the departure of my open visit."""
    form = VisitNoteForm()

    def depart(req, member):
        work.require_holder(req, member)  # suspended, or its agreement out of force: the vendor's team takes over
        visit_id = parse_id(request.form.get("visit_id", ""))
        visit = db.session.get(SiteVisit, visit_id) if visit_id else None
        if visit is None or visit.request_id != req.id or visit.recorded_by_id != current_user.id:
            raise ServiceError(_("Record your arrival first."))
        requests.record_departure(req, visit, _me(), now(), form.note.data or "")

    return _act(request_id, depart, _("Departure recorded."), form, "visit_form")


@bp.post("/work/<int:request_id>/resolve")
@third_party_only
def work_resolve(request_id):
    """Resolve the request, saying how; the client confirms it."""
    form = ResolveForm()
    return _act(
        request_id,
        lambda req, m: work.resolve(req, m, _me(), form.resolution.data),
        _("Resolved."),
        form,
        "resolve_form",
    )


@bp.get("/work/<int:request_id>/files/<int:attachment_id>")
@third_party_only
def work_download(request_id, attachment_id):
    """A file of a request my company holds or held, seen by both parties (never an internal one)."""
    req = _readable(request_id)
    row = get_or_404(RequestAttachment, attachment_id, current_tenant)
    until = work.readable_until(req, _member())
    if row.request_id != req.id or row.internal or (until is not None and row.created_at > until):
        abort(404)
    return evidence_download(row.data, row.filename)


@bp.get("/work/record")
@third_party_only
def work_record():
    """My company's targets under its agreements and how it met them, with its breaches (Part 2 §6.1, §8.2)."""
    member = _member()
    sub = member.subcontractor if member else None
    return render(
        "third_party/work_record.html",
        member=member,
        agreements=list(agreements.agreements_of(sub)) if sub else [],
        performance=work.performance(sub) if sub else None,
        breaches=work.breaches_of(subcontractor=sub) if sub else [],
        breach_label=work.breach_label,
        today=local_today(current_tenant),
        status_label=agreements.status_label,
    )


# --- breaches recorded by hand (Part 2 §6.1.1, §6.1.4) ----------------------------------------------------------


def _breach_form(submitted: bool) -> ThirdPartyBreachForm:
    form = ThirdPartyBreachForm() if submitted else ThirdPartyBreachForm(formdata=None)
    form.kind.choices = [(str(k), work.breach_label(k)) for k in work.MANUAL_KINDS]
    return form


@bp.route("/<int:subcontractor_id>/breaches/new", methods=["GET", "POST"])
@admin_only
def breach_new(subcontractor_id):
    """Record by hand a breach of the subcontractor, with evidence, on a request it held or on an agreement."""
    subcontractor = get_or_404(Subcontractor, subcontractor_id, current_tenant)
    req = None
    request_id = parse_id(request.args.get("request", ""))
    if request_id:
        req = get_or_404(ServiceRequest, request_id, current_tenant)
    contracts = [p.contract for p in services.proposals_of(subcontractor) if p.status == ProposalStatus.APPROVED]
    contract = next((c for c in contracts if c.id == parse_id(request.args.get("contract", ""))), None)
    if req is None and contract is None and contracts:
        contract = contracts[0]
    form = _breach_form(request.method == "POST")
    if form.validate_on_submit():
        uploads = [(f.filename, f.mimetype, f.read()) for f in (form.evidence.data or []) if getattr(f, "filename", "")]
        try:
            breach = work.record_breach(
                subcontractor,
                req,
                form.kind.data,
                form.description.data,
                form.happened_on.data,
                uploads,
                _me(),
                contract,
            )
        except ServiceError as exc:
            db.session.rollback()
            _error_to_form(form, exc, "description")
        else:
            db.session.commit()
            flash(_("Breach recorded against %(name)s.", name=subcontractor.legal_name), "success")
            return redirect(url_for("plugin_third_party.breach_detail", tp_breach_id=breach.id))
    status = 422 if request.method == "POST" else 200
    return render(
        "third_party/breach_form.html",
        form=form,
        subcontractor=subcontractor,
        req=req,
        contract=contract,
        status=status,
    )


@bp.get("/breaches/<int:tp_breach_id>")
@vendor_only
def breach_detail(tp_breach_id):
    """One breach of a subcontractor with its evidence."""
    breach = get_or_404(Breach, tp_breach_id, current_tenant)
    return render(
        "third_party/breach_detail.html",
        breach=breach,
        files=work.breach_files(breach),
        label=work.breach_label(breach.kind),
        request=db.session.get(ServiceRequest, breach.request_id) if breach.request_id else None,
    )


@bp.get("/breaches/<int:tp_breach_id>/files/<int:tp_breach_file_id>")
@vendor_only
def breach_file(tp_breach_id, tp_breach_file_id):
    """A file of evidence of a subcontractor's breach."""
    row = get_or_404(BreachEvidence, tp_breach_file_id, current_tenant)
    if row.breach_id != tp_breach_id:
        abort(404)
    return evidence_download(row.data, row.filename)
