"""Screens of disputes (§9): each party's list, opening one (from a credit, a penalty, an invoice, or an
agreement), the ladder with its steps, deadlines and minutes, escalation, resolution and withdrawal."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.disputes import services
from saas.disputes.forms import EscalateForm, MinutesForm, OpenDisputeForm, ResolveForm, WithdrawForm
from saas.disputes.models import LADDER, Dispute, DisputeStatus, Subject
from saas.extensions import db

bp = tenant_blueprint("disputes", __name__, url_prefix="/disputes", template_folder="templates")
portal_bp = tenant_blueprint("portal_disputes", __name__, url_prefix="/portal/disputes", template_folder="templates")
vendor_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
vendor_admin = roles_required(Role.VENDOR_ADMIN)
client_members = roles_required(*CLIENT_ROLES)
client_admin = roles_required(Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def _endpoint(portal: bool, name: str) -> str:
    return f"portal_disputes.portal_{name}" if portal else f"disputes.{name}"


def _list(portal: bool):
    status = request.args.get("status", "")
    status = status if status in DisputeStatus.__members__.values() else ""
    after = request.args.get("after", type=parse_id)
    rows, next_after = services.list_disputes(
        current_tenant, status=status, client_id=visible_client_id() if portal else None, after=after
    )
    return render(
        "disputes/list.html",
        block="rows" if after else "content",
        disputes=rows,
        next_after=next_after,
        portal=portal,
        filters={"status": status or None},
        statuses=list(DisputeStatus),
        labels=services.STATUS_LABELS,
        stages=services.STAGE_LABELS,
        subjects=services.SUBJECT_LABELS,
    )


def _new(portal: bool):
    client_id = visible_client_id() if portal else None
    stmt = select(Contract).where(Contract.tenant_id == current_tenant.id, Contract.status.in_(SIGNED_STATUSES))
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    contracts = db.session.scalars(stmt.order_by(Contract.number)).all()
    form = OpenDisputeForm(contracts=contracts)
    subject = (form.subject.data or request.args.get("subject") or Subject.OTHER).strip()
    subject = subject if subject in Subject.__members__.values() else Subject.OTHER
    subject_id = parse_id(form.subject_id.data or request.args.get("id") or "")
    about = None
    try:
        if subject != Subject.OTHER:
            about = services.subject_of(current_tenant, subject, subject_id, client_id)
    except ServiceError:
        abort(404)
    if form.validate_on_submit():
        contract = next((c for c in contracts if c.id == form.contract_id.data), None)
        try:
            dispute = services.open_dispute(
                current_tenant,
                "A" if portal else "B",
                _me(),
                subject=subject,
                subject_id=subject_id if subject != Subject.OTHER else None,
                contract=contract,
                summary=form.summary.data,
                amount=form.amount.data,
                deadline=form.deadline.data if not portal else None,
                client_id=client_id,
            )
        except ServiceError as exc:
            db.session.rollback()
            form.summary.errors = [*form.summary.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Dispute %(number)s opened: negotiation (§9.1) begins.", number=dispute.number), "success")
            return redirect(url_for(_endpoint(portal, "detail"), dispute_id=dispute.id))
    return render(
        "disputes/new.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        portal=portal,
        subject=subject,
        subject_id=subject_id,
        about=about,
        subjects=services.SUBJECT_LABELS,
    )


def _party() -> str:
    return "A" if g.membership.role_enum.is_client else "B"


def _detail(dispute: Dispute, portal: bool, status: int = 200, error: str = "", **forms):
    return render(
        "disputes/detail.html",
        status=status,
        error=error,
        dispute=dispute,
        portal=portal,
        ladder=LADDER,
        labels=services.STATUS_LABELS,
        stages=services.STAGE_LABELS,
        subjects=services.SUBJECT_LABELS,
        outcomes=services.OUTCOME_LABELS,
        can_act=g.membership.role in (Role.VENDOR_ADMIN, Role.CLIENT_ADMIN),
        is_vendor_admin=g.membership.role == Role.VENDOR_ADMIN,
        my_party=_party(),
        escalate_form=forms.get("escalate_form") or EscalateForm(formdata=None),
        minutes_form=forms.get("minutes_form") or MinutesForm(formdata=None),
        resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
    )


def _act(dispute: Dispute, portal: bool, form, name: str, action, done: str):
    """Validate the form, run the service, commit; on refusal the page again with what was typed and why (the
    service's reason under the form's first field)."""
    if not form.validate_on_submit():
        return _detail(dispute, portal, status=422, **{name: form})
    try:
        action(form)
    except ServiceError as exc:
        db.session.rollback()
        first = next(field for field in form if field.name != "csrf_token")
        first.errors = [*first.errors, str(exc)]
        return _detail(db.session.get(Dispute, dispute.id), portal, status=422, error=str(exc), **{name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(_endpoint(portal, "detail"), dispute_id=dispute.id))


def _escalate(dispute, portal):
    return _act(
        dispute,
        portal,
        EscalateForm(),
        "escalate_form",
        lambda f: services.escalate(
            dispute, _me(), result=f.result.data, deadline=f.deadline.data if not portal else None, where=f.venue.data
        ),
        _("The dispute goes to its next step."),
    )


def _minutes(dispute, portal):
    return _act(
        dispute,
        portal,
        MinutesForm(),
        "minutes_form",
        lambda f: services.record_minutes(dispute, _me(), f.minutes.data),
        _("Minutes added."),
    )


def _withdraw(dispute, portal):
    return _act(
        dispute,
        portal,
        WithdrawForm(),
        "withdraw_form",
        lambda f: services.withdraw(dispute, _me(), _party(), f.reason.data),
        _("Dispute withdrawn."),
    )


@bp.get("/")
@vendor_staff
def index():
    """The disputes under the vendor's agreements, newest first, by status."""
    return _list(portal=False)


@bp.route("/new", methods=["GET", "POST"])
@vendor_admin
def new():
    """Open a dispute with a client (about its invoice, a penalty, a breach, or anything under an agreement)."""
    return _new(portal=False)


@bp.get("/<int:dispute_id>")
@vendor_staff
def detail(dispute_id):
    """A dispute: what it is about, its ladder of steps with deadlines and minutes, and what can be done next."""
    return _detail(get_or_404(Dispute, dispute_id, current_tenant), portal=False)


@bp.post("/<int:dispute_id>/escalate")
@vendor_admin
def escalate(dispute_id):
    """The current step did not settle it: the next step of the ladder."""
    return _escalate(get_or_404(Dispute, dispute_id, current_tenant), portal=False)


@bp.post("/<int:dispute_id>/minutes")
@vendor_admin
def minutes(dispute_id):
    """Add to the minutes of the current step."""
    return _minutes(get_or_404(Dispute, dispute_id, current_tenant), portal=False)


@bp.post("/<int:dispute_id>/resolve")
@vendor_admin
def resolve(dispute_id):
    """Record the outcome and apply it (credit note, credit upheld or waived, penalty waived or confirmed)."""
    dispute = get_or_404(Dispute, dispute_id, current_tenant)
    return _act(
        dispute,
        False,
        ResolveForm(),
        "resolve_form",
        lambda f: services.resolve(dispute, _me(), outcome=f.outcome.data, note=f.note.data, amount=f.amount.data),
        _("Dispute resolved; its outcome is applied."),
    )


@bp.post("/<int:dispute_id>/withdraw")
@vendor_admin
def withdraw(dispute_id):
    """Give up a dispute the vendor raised."""
    return _withdraw(get_or_404(Dispute, dispute_id, current_tenant), portal=False)


def _mine(dispute_id: int) -> Dispute:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return get_or_404(Dispute, dispute_id, current_tenant, client_id)


@portal_bp.get("/")
@client_members
def portal_index():
    """The client's disputes with the vendor, newest first."""
    return _list(portal=True)


@portal_bp.route("/new", methods=["GET", "POST"])
@client_admin
def portal_new():
    """Contest a credit, a penalty, an invoice or a breach, or raise another dispute under an agreement."""
    return _new(portal=True)


@portal_bp.get("/<int:dispute_id>")
@client_members
def portal_detail(dispute_id):
    """One of the client's disputes, its steps, deadlines and minutes."""
    return _detail(_mine(dispute_id), portal=True)


@portal_bp.post("/<int:dispute_id>/escalate")
@client_admin
def portal_escalate(dispute_id):
    """Either party may take an unsettled dispute to its next step (§9.2–§9.4)."""
    return _escalate(_mine(dispute_id), portal=True)


@portal_bp.post("/<int:dispute_id>/minutes")
@client_admin
def portal_minutes(dispute_id):
    """Add the client's own record to the current step's minutes."""
    return _minutes(_mine(dispute_id), portal=True)


@portal_bp.post("/<int:dispute_id>/withdraw")
@client_admin
def portal_withdraw(dispute_id):
    """Give up a dispute the client raised."""
    return _withdraw(_mine(dispute_id), portal=True)
