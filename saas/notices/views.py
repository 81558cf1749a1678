"""Screens of written notices: each party's list, the form to send one, the notice as sent with its delivery and
acknowledgement, its evidence files and its PDF; the vendor in the console, the client in the portal."""

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.pdf import html_to_pdf
from saas.core.rendering import attachment, evidence_download, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.notices import services, termination
from saas.notices.forms import AcknowledgeForm, NoticeForm, TerminationForm
from saas.notices.models import Notice, NoticeFile, Party

bp = tenant_blueprint("notices", __name__, url_prefix="/notices", template_folder="templates")
portal_bp = tenant_blueprint("portal_notices", __name__, url_prefix="/portal/notices", template_folder="templates")
vendor_staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
vendor_admin = roles_required(Role.VENDOR_ADMIN)
client_members = roles_required(*CLIENT_ROLES)
client_admin = roles_required(Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def _client_id() -> int | None:
    """The client member's own organisation; None for the vendor's people."""
    return visible_client_id()


def _contracts(client_id: int | None) -> list[Contract]:
    stmt = select(Contract).where(Contract.tenant_id == current_tenant.id, Contract.status.in_(SIGNED_STATUSES))
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    return db.session.scalars(stmt.order_by(Contract.number)).all()


def _list(portal: bool):
    after = request.args.get("after", type=parse_id)
    rows, next_after = services.list_notices(current_tenant, client_id=_client_id() if portal else None, after=after)
    return render(
        "notices/list.html",
        block="rows" if after else "content",
        notices=rows,
        next_after=next_after,
        portal=portal,
        kinds=services.KIND_LABELS,
        parties=services.PARTY_LABELS,
        my_party=Party.A if portal else Party.B,
    )


def _new(portal: bool):
    contracts = _contracts(_client_id() if portal else None)
    form = NoticeForm(contracts=contracts)
    if request.method == "GET" and request.args.get("contract", type=parse_id):
        form.contract_id.data = request.args.get("contract", type=parse_id)
    if form.validate_on_submit():
        contract = next((c for c in contracts if c.id == form.contract_id.data), None)
        files = [(f.filename, f.mimetype, f.read()) for f in (form.evidence.data or []) if getattr(f, "filename", "")]
        try:
            if contract is None:
                raise services.NoticeError(_("Choose one of your signed agreements."))
            notice = services.send_notice(contract, Party.A if portal else Party.B, _me(), form.data, files)
        except ServiceError as exc:
            db.session.rollback()
            form.subject.errors = [*form.subject.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Notice %(number)s sent.", number=notice.number), "success")
            endpoint = "portal_notices.portal_detail" if portal else "notices.detail"
            return redirect(url_for(endpoint, notice_id=notice.id))
    return render(
        "notices/form.html",
        form=form,
        portal=portal,
        has_contracts=bool(contracts),
        status=422 if request.method == "POST" else 200,
    )


def _detail(notice: Notice, portal: bool, status: int = 200, ack_form=None):
    if services.mark_read(notice, _me(), g.membership):
        db.session.commit()
    return render(
        "notices/detail.html",
        status=status,
        notice=notice,
        portal=portal,
        kinds=services.KIND_LABELS,
        parties=services.PARTY_LABELS,
        my_party=services.party_of(g.membership, notice),
        can_acknowledge=g.membership.role in (Role.VENDOR_ADMIN, Role.CLIENT_ADMIN),
        can_terminate=g.membership.role in (Role.VENDOR_ADMIN, Role.CLIENT_ADMIN)
        and termination.refusal(notice, services.party_of(g.membership, notice)) is None,
        ack_form=ack_form or AcknowledgeForm(formdata=None),
    )


def _acknowledge(notice: Notice, portal: bool):
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _detail(notice, portal, status=422, ack_form=form)
    try:
        done = services.acknowledge(notice, _me(), g.membership, form.note.data or "")
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Receipt acknowledged.") if done else _("This notice was acknowledged already."), "success")
    endpoint = "portal_notices.portal_detail" if portal else "notices.detail"
    return redirect(url_for(endpoint, notice_id=notice.id))


def _terminate(cure: Notice, portal: bool):
    """The notice of termination for breach, from the cure notice whose deadline passed (§10.3)."""
    party = Party.A if portal else Party.B
    refusal = termination.refusal(cure, party)
    form = TerminationForm()
    if request.method == "GET":
        form.subject.data = _("Termination of agreement %(number)s for breach", number=cure.contract.number)
    if refusal is None and form.validate_on_submit():
        files = [(f.filename, f.mimetype, f.read()) for f in (form.evidence.data or []) if getattr(f, "filename", "")]
        try:
            notice = termination.terminate_for_breach(cure, party, _me(), form.data, files)
        except ServiceError as exc:
            db.session.rollback()
            form.last_day.errors = [*form.last_day.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Notice %(number)s sent: the agreement is terminated.", number=notice.number), "success")
            endpoint = "portal_notices.portal_detail" if portal else "notices.detail"
            return redirect(url_for(endpoint, notice_id=notice.id))
    return render(
        "notices/terminate.html",
        form=form,
        cure=cure,
        portal=portal,
        refusal=refusal,
        status=422 if request.method == "POST" else 200,
    )


def _pdf(notice: Notice):
    """The notice as a document, in both languages, with its digest: what a party files or prints."""
    with force_locale("zh_Hans_CN"):
        html = render_template(
            "notices/document.html",
            notice=notice,
            kinds=services.KIND_LABELS,
            parties=services.PARTY_LABELS,
            tenant=current_tenant,
        )
    response = make_response(html_to_pdf(html))
    response.headers["Content-Type"] = "application/pdf"
    return attachment(response, f"{notice.number}.pdf")


def _file(notice: Notice, file_id: int):
    row = db.session.scalar(
        select(NoticeFile)
        .options(undefer(NoticeFile.data))
        .where(NoticeFile.id == file_id, NoticeFile.notice_id == notice.id, NoticeFile.tenant_id == notice.tenant_id)
    )
    if row is None:
        abort(404)
    return evidence_download(row.data, row.filename)


@bp.get("/")
@vendor_staff
def index():
    """Notices sent and received under the vendor's agreements, newest first."""
    return _list(portal=False)


@bp.route("/new", methods=["GET", "POST"])
@vendor_admin
def new():
    """Send a written notice to a client under one of its agreements."""
    return _new(portal=False)


@bp.get("/<int:notice_id>")
@vendor_staff
def detail(notice_id):
    """A notice as sent, its evidence, delivery and acknowledgement; opening a received one records its reading."""
    return _detail(get_or_404(Notice, notice_id, current_tenant), portal=False)


@bp.post("/<int:notice_id>/acknowledge")
@vendor_admin
def acknowledge(notice_id):
    """Acknowledge receipt of a notice the client sent."""
    return _acknowledge(get_or_404(Notice, notice_id, current_tenant), portal=False)


@bp.route("/<int:notice_id>/terminate", methods=["GET", "POST"])
@vendor_admin
def terminate(notice_id):
    """Terminate the agreement for the client's breach, once the deadline of this cure notice passed."""
    return _terminate(get_or_404(Notice, notice_id, current_tenant), portal=False)


@bp.get("/<int:notice_id>/pdf")
@vendor_staff
def pdf(notice_id):
    """The notice as a PDF."""
    return _pdf(get_or_404(Notice, notice_id, current_tenant))


@bp.get("/<int:notice_id>/files/<int:file_id>")
@vendor_staff
def download(notice_id, file_id):
    """A file of evidence sent with the notice."""
    return _file(get_or_404(Notice, notice_id, current_tenant), file_id)


def _mine(notice_id: int) -> Notice:
    client_id = _client_id()
    if client_id is None:
        abort(404)
    return get_or_404(Notice, notice_id, current_tenant, client_id)


@portal_bp.get("/")
@client_members
def portal_index():
    """The client's notices, sent and received, newest first."""
    return _list(portal=True)


@portal_bp.route("/new", methods=["GET", "POST"])
@client_admin
def portal_new():
    """Send a written notice to the vendor under one of the client's agreements."""
    return _new(portal=True)


@portal_bp.get("/<int:notice_id>")
@client_members
def portal_detail(notice_id):
    """A notice of the client's, as sent; opening one the vendor sent records its reading."""
    return _detail(_mine(notice_id), portal=True)


@portal_bp.post("/<int:notice_id>/acknowledge")
@client_admin
def portal_acknowledge(notice_id):
    """Acknowledge receipt of a notice the vendor sent."""
    return _acknowledge(_mine(notice_id), portal=True)


@portal_bp.route("/<int:notice_id>/terminate", methods=["GET", "POST"])
@client_admin
def portal_terminate(notice_id):
    """Terminate the agreement for the vendor's breach, once the deadline of this cure notice passed."""
    return _terminate(_mine(notice_id), portal=True)


@portal_bp.get("/<int:notice_id>/pdf")
@client_members
def portal_pdf(notice_id):
    """The notice as a PDF."""
    return _pdf(_mine(notice_id))


@portal_bp.get("/<int:notice_id>/files/<int:file_id>")
@client_members
def portal_download(notice_id, file_id):
    """A file of evidence sent with the notice."""
    return _file(_mine(notice_id), file_id)
