"""Screens of damages claims (§8.3): each party's list, making a claim under an agreement, a claim's page with its
losses, evidence, breaches and timeline, and the answers (acknowledge, agree, settle, withdraw, dispute)."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from saas.claims import services
from saas.claims.forms import AgreeForm, ClaimForm, SettleForm, WithdrawForm
from saas.claims.models import Claim, ClaimFile, ClaimStatus
from saas.contracts.models import SIGNED_STATUSES, Contract
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import evidence_download, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db

bp = tenant_blueprint("claims", __name__, url_prefix="/claims", template_folder="templates")
portal_bp = tenant_blueprint("portal_claims", __name__, url_prefix="/portal/claims", template_folder="templates")
vendor_staff = roles_required(*services.VENDOR_STAFF)
client_members = roles_required(*CLIENT_ROLES)
client_admin = roles_required(Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def _endpoint(portal: bool, name: str) -> str:
    return f"portal_claims.portal_{name}" if portal else f"claims.{name}"


def _party() -> str | None:
    return services.party_of(g.membership)


def _claim(claim_id: int, portal: bool) -> Claim:
    """The claim inside this tenant, and inside the member's client in the portal; else 404."""
    client_id = visible_client_id() if portal else None
    if portal and client_id is None:
        abort(404)
    return get_or_404(Claim, claim_id, current_tenant, client_id)


# Lists -------------------------------------------------------------------------------------------------------------


def _list(portal: bool):
    status = request.args.get("status", "")
    status = status if status in ClaimStatus.__members__.values() else ""
    client_id = visible_client_id() if portal else parse_id(request.args.get("client", ""))
    after = parse_id(request.args.get("after", ""))
    rows, next_after = services.list_claims(current_tenant, status=status, client_id=client_id, after=after)
    return render(
        "claims/list.html",
        block="rows" if after else "content",
        claims=rows,
        next_after=next_after,
        portal=portal,
        filters={"status": status or None, **({} if portal else {"client": client_id})},
        statuses=list(ClaimStatus),
        labels=services.STATUS_LABELS,
        parties=services.PARTY_LABELS,
        clients=[] if portal else client_choices(current_tenant),
        endpoint=_endpoint(portal, "index"),
        can_claim=_party() is not None,
    )


@bp.get("/")
@vendor_staff
def index():
    """The damages claims under the vendor's agreements, either way, newest first, by status and client."""
    return _list(portal=False)


@portal_bp.get("/")
@client_members
def portal_index():
    """The client's damages claims with the vendor, either way, newest first."""
    return _list(portal=True)


# Making a claim ----------------------------------------------------------------------------------------------------


def _contracts(portal: bool) -> list[Contract]:
    stmt = select(Contract).where(Contract.tenant_id == current_tenant.id, Contract.status.in_(SIGNED_STATUSES))
    if portal:
        stmt = stmt.where(Contract.client_id == visible_client_id())
    return db.session.scalars(stmt.order_by(Contract.number)).all()


def _uploads(field, loss: str) -> list[tuple[str, str, str, bytes]]:
    return [(loss, f.filename, f.mimetype, f.read()) for f in (field.data or []) if getattr(f, "filename", "")]


def _new(portal: bool):
    party = _party()
    contracts = _contracts(portal)
    contract = next((c for c in contracts if c.id == parse_id(request.args.get("contract", ""))), None)
    if contract is None:
        if request.args.get("contract"):
            abort(404)
        return render("claims/new.html", portal=portal, contracts=contracts, contract=None, form=None)
    form = ClaimForm()
    form.breaches.choices = choices(services.breach_choices(contract, party))
    if form.validate_on_submit():
        try:
            claim = services.submit(
                contract,
                party,
                _me(),
                direct_amount=form.direct_amount.data,
                direct_description=form.direct_description.data,
                indirect_amount=form.indirect_amount.data,
                indirect_description=form.indirect_description.data or "",
                breaches=form.breaches.data,
                files=_uploads(form.direct_files, "direct") + _uploads(form.indirect_files, "indirect"),
            )
        except ServiceError as exc:
            db.session.rollback()
            form.direct_amount.errors = [*form.direct_amount.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Claim %(number)s made: the other party is told.", number=claim.number), "success")
            return redirect(url_for(_endpoint(portal, "detail"), claim_id=claim.id))
    return render(
        "claims/new.html",
        status=422 if request.method == "POST" else 200,
        portal=portal,
        contracts=contracts,
        contract=contract,
        form=form,
        party=party,
        parties=services.PARTY_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@vendor_staff
def new():
    """Claim damages from a client for its breaches (§8.3): choose the agreement, then the losses and breaches."""
    return _new(portal=False)


@portal_bp.route("/new", methods=["GET", "POST"])
@client_admin
def portal_new():
    """Claim damages from the vendor for its breaches (§8.3), under one of the client's agreements."""
    return _new(portal=True)


# A claim's page ----------------------------------------------------------------------------------------------------


def _settle_form(claim: Claim, party: str | None, formdata=None) -> SettleForm:
    form = SettleForm(formdata=formdata)
    form.how.choices = choices(
        [(how, services.SETTLEMENT_LABELS[how]) for how in services.settlements_for(claim, party)]
    )
    form.invoice_id.choices = choices(
        [(0, _("Choose the invoice"))]
        + [(i.id, f"{i.number} · {i.total} {i.currency}") for i in services.creditable_invoices(claim)]
    )
    return form


def _detail(claim: Claim, portal: bool, status: int = 200, **forms):
    party = _party()
    return render(
        "claims/detail.html",
        status=status,
        claim=claim,
        portal=portal,
        party=party,
        steps=services.timeline(claim),
        labels=services.STATUS_LABELS,
        parties=services.PARTY_LABELS,
        settlements=services.SETTLEMENT_LABELS,
        events=services.EVENT_LABELS,
        is_respondent=party == claim.respondent_party,
        is_claimant=party == claim.claimant_party,
        can_settle=bool(party)
        and claim.status == ClaimStatus.AGREED
        and not claim.settlement
        and bool(services.settlements_for(claim, party)),
        can_dispute=party is not None
        and (g.membership.role == Role.VENDOR_ADMIN if not portal else True)
        and claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED, ClaimStatus.AGREED)
        and not claim.settlement,
        agree_form=forms.get("agree_form") or AgreeForm(formdata=None),
        settle_form=forms.get("settle_form") or _settle_form(claim, party),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
    )


def _act(claim: Claim, portal: bool, form, name: str, action, done: str):
    """Validate the form, run the service, commit; on refusal the page again with what was typed and why."""
    if _party() is None:
        abort(403)
    if not form.validate_on_submit():
        return _detail(claim, portal, status=422, **{name: form})
    try:
        action(form)
    except ServiceError as exc:
        db.session.rollback()
        first = next(field for field in form if field.name != "csrf_token")
        first.errors = [*first.errors, str(exc)]
        return _detail(db.session.get(Claim, claim.id), portal, status=422, **{name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(_endpoint(portal, "detail"), claim_id=claim.id))


def _acknowledge(claim: Claim, portal: bool):
    if _party() is None:
        abort(403)
    try:
        done = services.acknowledge(claim, _party(), _me())
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Receipt acknowledged.") if done else _("This claim was acknowledged already."), "success")
    return redirect(url_for(_endpoint(portal, "detail"), claim_id=claim.id))


def _agree(claim: Claim, portal: bool):
    return _act(
        claim,
        portal,
        AgreeForm(),
        "agree_form",
        lambda f: services.agree(claim, _party(), _me(), amount=f.amount.data, note=f.note.data or ""),
        _("Claim agreed: it is settled next."),
    )


def _settle(claim: Claim, portal: bool):
    form = _settle_form(claim, _party(), formdata=request.form)

    def action(f):
        invoice = None
        if f.how.data == services.Settlement.CREDIT_NOTE:
            invoice = next((i for i in services.creditable_invoices(claim) if i.id == f.invoice_id.data), None)
        services.settle(claim, _party(), _me(), how=f.how.data, reference=f.reference.data or "", invoice=invoice)

    return _act(claim, portal, form, "settle_form", action, _("Settlement recorded."))


def _withdraw(claim: Claim, portal: bool):
    return _act(
        claim,
        portal,
        WithdrawForm(),
        "withdraw_form",
        lambda f: services.withdraw(claim, _party(), _me(), f.reason.data),
        _("Claim withdrawn."),
    )


def _file(claim: Claim, claim_file_id: int):
    row = db.session.scalar(
        select(ClaimFile)
        .options(undefer(ClaimFile.data))
        .where(ClaimFile.id == claim_file_id, ClaimFile.claim_id == claim.id, ClaimFile.tenant_id == claim.tenant_id)
    )
    if row is None:
        abort(404)
    return evidence_download(row.data, row.filename)


@bp.get("/<int:claim_id>")
@vendor_staff
def detail(claim_id):
    """A claim: its two losses with their evidence, the breaches it rests on, its timeline and the next answers."""
    return _detail(_claim(claim_id, False), portal=False)


@bp.get("/<int:claim_id>/files/<int:claim_file_id>")
@vendor_staff
def file(claim_id, claim_file_id):
    """A file of a claim's evidence, as a download."""
    return _file(_claim(claim_id, False), claim_file_id)


@bp.post("/<int:claim_id>/acknowledge")
@vendor_staff
def acknowledge(claim_id):
    """The vendor confirms it received the client's claim and is looking at it."""
    return _acknowledge(_claim(claim_id, False), portal=False)


@bp.post("/<int:claim_id>/agree")
@vendor_staff
def agree(claim_id):
    """The vendor agrees the client's claim, in full or an amount."""
    return _agree(_claim(claim_id, False), portal=False)


@bp.post("/<int:claim_id>/settle")
@vendor_staff
def settle(claim_id):
    """Record how an agreed claim is settled: next invoice, credit note, refund, payment or write-off."""
    return _settle(_claim(claim_id, False), portal=False)


@bp.post("/<int:claim_id>/withdraw")
@vendor_staff
def withdraw(claim_id):
    """The vendor gives up a claim it made."""
    return _withdraw(_claim(claim_id, False), portal=False)


@portal_bp.get("/<int:claim_id>")
@client_members
def portal_detail(claim_id):
    """The client's view of a claim, made by it or against it."""
    return _detail(_claim(claim_id, True), portal=True)


@portal_bp.get("/<int:claim_id>/files/<int:claim_file_id>")
@client_members
def portal_file(claim_id, claim_file_id):
    """A file of a claim's evidence, as a download."""
    return _file(_claim(claim_id, True), claim_file_id)


@portal_bp.post("/<int:claim_id>/acknowledge")
@client_admin
def portal_acknowledge(claim_id):
    """The client confirms it received the vendor's claim."""
    return _acknowledge(_claim(claim_id, True), portal=True)


@portal_bp.post("/<int:claim_id>/agree")
@client_admin
def portal_agree(claim_id):
    """The client agrees the vendor's claim, in full or an amount."""
    return _agree(_claim(claim_id, True), portal=True)


@portal_bp.post("/<int:claim_id>/settle")
@client_admin
def portal_settle(claim_id):
    """The client writes off a claim it made (the vendor records the money)."""
    return _settle(_claim(claim_id, True), portal=True)


@portal_bp.post("/<int:claim_id>/withdraw")
@client_admin
def portal_withdraw(claim_id):
    """The client gives up a claim it made."""
    return _withdraw(_claim(claim_id, True), portal=True)
