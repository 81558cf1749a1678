"""Screens of client feedback (§12.2, §12.3, Annex 8): the vendor's list, log form and handling; the client's own."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.feedback import services as service
from saas.feedback.forms import LogFeedbackForm, NoteForm, OutcomeForm, PortalFeedbackForm, RejectForm, UpholdForm
from saas.feedback.models import Feedback, FeedbackKind, FeedbackStatus

bp = tenant_blueprint("feedback", __name__, url_prefix="/feedback", template_folder="templates")
portal_bp = tenant_blueprint("portal_feedback", __name__, url_prefix="/portal/feedback", template_folder="templates")

vendor_only = roles_required(*VENDOR_ROLES)
client_only = roles_required(*CLIENT_ROLES)


def _me():
    return current_user._get_current_object()


def _my_client_id() -> int:
    """The signed-in client member's organisation; a portal route never runs without one."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


def _detail(fb: Feedback, portal: bool, status: int = 200, **forms):
    """The feedback, its process so far and the actions open to the viewer's side."""
    context = {
        "note_form": NoteForm(formdata=None),
        "outcome_form": OutcomeForm(formdata=None),
        "reject_form": RejectForm(formdata=None),
        "uphold_form": UpholdForm(formdata=None),
        **forms,
    }
    return render(
        "feedback/detail.html",
        status=status,
        fb=fb,
        events=service.timeline(fb),
        portal=portal,
        labels=service,
        breach=service.breach_of(fb),
        **context,
    )


def _act(fb: Feedback, action, done: str, endpoint: str):
    """Run one step of the process; the outcome is flashed and the page shown again."""
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(endpoint, feedback_id=fb.id))


@bp.get("/")
@vendor_only
def index():
    """The vendor's feedback, newest first, by status and kind (keyset pages)."""
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    rows, next_after = service.list_feedback(
        current_tenant, status=status, kind=kind, after=request.args.get("after", type=parse_id)
    )
    filters = {"status": status or None, "kind": kind or None}
    return render(
        "feedback/list.html",
        block="rows" if request.args.get("after") else "content",
        rows=rows,
        next_after=next_after,
        filters=filters,
        statuses=list(FeedbackStatus),
        kinds=list(FeedbackKind),
        labels=service,
    )


@bp.route("/new", methods=["GET", "POST"])
@vendor_only
def new():
    """Log feedback the client gave by phone or e-mail (§12.2)."""
    form = LogFeedbackForm()
    form.client_id.choices = choices([(0, _("— choose —")), *client_choices(current_tenant)])
    if form.validate_on_submit():
        try:
            fb = service.log(current_tenant, form.client_id.data, _me(), form.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Feedback %(ref)s logged.", ref=fb.reference), "success")
            return redirect(url_for("feedback.detail", feedback_id=fb.id))
    return render("feedback/form.html", form=form, portal=False, status=422 if form.errors else 200)


@bp.get("/<int:feedback_id>")
@vendor_only
def detail(feedback_id):
    """One feedback: what the client said, the process so far, take up or propose an outcome."""
    return _detail(get_or_404(Feedback, feedback_id, current_tenant), portal=False)


@bp.post("/<int:feedback_id>/take-up")
@vendor_only
def take_up(feedback_id):
    """Take the feedback up: it is being handled, by the signed-in person (§12.3)."""
    fb = get_or_404(Feedback, feedback_id, current_tenant)
    form = NoteForm()
    if not form.validate_on_submit():
        return _detail(fb, portal=False, status=422, note_form=form)
    return _act(
        fb, lambda: service.take_up(fb, _me(), form.note.data or ""), _("You are handling it now."), "feedback.detail"
    )


@bp.post("/<int:feedback_id>/outcome")
@vendor_only
def propose(feedback_id):
    """Propose the outcome for the client to confirm (§12.3)."""
    fb = get_or_404(Feedback, feedback_id, current_tenant)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _detail(fb, portal=False, status=422, outcome_form=form)
    return _act(
        fb,
        lambda: service.propose_outcome(fb, _me(), form.outcome.data),
        _("The outcome was sent to the client to confirm."),
        "feedback.detail",
    )


@bp.post("/<int:feedback_id>/uphold")
@roles_required(Role.VENDOR_ADMIN)
def uphold(feedback_id):
    """Uphold a complaint as the vendor's breach below the agreed standard (§8.1.1), with the finding."""
    fb = get_or_404(Feedback, feedback_id, current_tenant)
    form = UpholdForm()
    if not form.validate_on_submit():
        return _detail(fb, portal=False, status=422, uphold_form=form)
    return _act(
        fb,
        lambda: service.uphold_as_breach(fb, _me(), form.finding.data),
        _("Breach recorded under §8.1.1."),
        "feedback.detail",
    )


def _own(feedback_id) -> Feedback:
    return get_or_404(Feedback, feedback_id, current_tenant, client_id=_my_client_id())


@portal_bp.get("/")
@client_only
def portal_index():
    """The client's own feedback, newest first."""
    rows, next_after = service.list_feedback(
        current_tenant, client_id=_my_client_id(), after=request.args.get("after", type=parse_id)
    )
    return render("feedback/portal_list.html", rows=rows, next_after=next_after, labels=service)


@portal_bp.route("/new", methods=["GET", "POST"])
@client_only
def portal_new():
    """Give feedback: praise, a complaint or a suggestion, optionally about one of the client's requests (§12.2)."""
    client_id = _my_client_id()
    form = PortalFeedbackForm()
    form.request_id.choices = choices(
        [
            (0, _("— none —")),
            *[(r.id, f"{r.reference} · {r.subject}") for r in service.request_choices(current_tenant, client_id)],
        ]
    )
    if request.method == "GET":
        form.request_id.data = request.args.get("request", type=parse_id) or 0
    if form.validate_on_submit():
        try:
            fb = service.submit(current_tenant, client_id, _me(), form.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Thank you. Your feedback %(ref)s has been received.", ref=fb.reference), "success")
            return redirect(url_for("portal_feedback.portal_detail", feedback_id=fb.id))
    return render("feedback/form.html", form=form, portal=True, status=422 if form.errors else 200)


@portal_bp.get("/<int:feedback_id>")
@client_only
def portal_detail(feedback_id):
    """One of the client's feedback: the process so far, and the outcome to confirm or reject."""
    return _detail(_own(feedback_id), portal=True)


@portal_bp.post("/<int:feedback_id>/confirm")
@client_only
def portal_confirm(feedback_id):
    """Accept the outcome (§12.3)."""
    fb = _own(feedback_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _detail(fb, portal=True, status=422, note_form=form)
    return _act(
        fb,
        lambda: service.confirm(fb, _me(), form.note.data or ""),
        _("Thank you for confirming."),
        "portal_feedback.portal_detail",
    )


@portal_bp.post("/<int:feedback_id>/reject")
@client_only
def portal_reject(feedback_id):
    """Send the outcome back with the reason it does not settle the matter (§12.3)."""
    fb = _own(feedback_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail(fb, portal=True, status=422, reject_form=form)
    return _act(
        fb,
        lambda: service.reject(fb, _me(), form.reason.data),
        _("Your answer was sent back to the vendor."),
        "portal_feedback.portal_detail",
    )
