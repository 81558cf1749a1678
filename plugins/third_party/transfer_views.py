"""Screens of a transfer of obligations (Part 2 §4.3): the vendor admin writes one and sends it for signatures, both
parties sign its frozen text (Party B in the console, Party A in the portal), the vendor ends it with a reason. The
texts themselves are the agreement's documents, read and downloaded through the contracts domain's own pages."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from plugins.third_party import services, transfers
from plugins.third_party.models import Subcontractor, Transfer, TransferStatus
from plugins.third_party.transfer_forms import TransferEndForm, TransferForm, TransferSignForm
from plugins.third_party.views import admin_only, bp, client_admin_only, service_name, vendor_only
from saas.contracts.models import Contract
from saas.contracts.services import list_services
from saas.contracts.sign_form import sign_from_form
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db
from saas.requests.services import categories

client_only = roles_required(*CLIENT_ROLES)


def _me():
    return current_user._get_current_object()


def _is_zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "").startswith("zh")


def _form(submitted: bool) -> TransferForm:
    if submitted:
        form = TransferForm()
    else:
        form = TransferForm(
            formdata=None,
            data={
                "contract_id": parse_id(request.args.get("contract", "")) or 0,
                "subcontractor_id": parse_id(request.args.get("subcontractor", "")) or 0,
                "starts_on": local_today(current_tenant),
            },
        )
    form.contract_id.choices = choices(
        [(0, _("— choose —"))]
        + [(c.id, f"{c.number} · {c.client.legal_name}") for c in services.proposable_contracts(current_tenant)]
    )
    form.subcontractor_id.choices = choices(
        [(0, _("— choose —"))] + [(s.id, s.legal_name) for s in services.active_subcontractors(current_tenant)]
    )
    form.service_ids.choices = choices((s.id, service_name(s)) for s in list_services(current_tenant))
    form.category_ids.choices = choices(
        (c.id, c.name_zh if _is_zh() else c.name_en) for c in categories(current_tenant)
    )
    return form


def _field_error(form, exc: ServiceError, fallback: str) -> None:
    field = getattr(form, getattr(exc, "field", "") or fallback, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(exc)]


@bp.route("/transfers/new", methods=["GET", "POST"])
@admin_only
def transfer_new():
    """Write a transfer of obligations to an approved subcontractor and send it to both parties for signature."""
    form = _form(request.method == "POST")
    if form.validate_on_submit():
        try:
            made = transfers.create_transfer(
                Contract.get_in(current_tenant, form.contract_id.data),
                Subcontractor.get_in(current_tenant, form.subcontractor_id.data),
                form.data,
                _me(),
            )
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc, "contract_id")
        else:
            db.session.commit()
            flash(_("Transfer %(number)s sent to both parties for signature.", number=made.number), "success")
            return redirect(url_for("plugin_third_party.transfer_detail", tp_transfer_id=made.id))
    status = 422 if request.method == "POST" else 200
    return render("third_party/transfer_new.html", form=form, status=status)


def _page(transfer: Transfer, vendor: bool, status: int = 200, end_form: TransferEndForm | None = None):
    """The transfer's page (or its section alone, for HTMX) for either party."""
    role = g.membership.role_enum
    if vendor:
        my_party = "B" if role == Role.VENDOR_ADMIN else None
        sign_url = url_for("plugin_third_party.transfer_sign", tp_transfer_id=transfer.id)
    else:
        my_party = "A" if role == Role.CLIENT_ADMIN else None
        sign_url = url_for("plugin_third_party.portal_transfer_sign", tp_transfer_id=transfer.id)
    today = local_today(current_tenant)
    return render(
        "third_party/transfer.html",
        block="section",
        status=status,
        transfer=transfer,
        contract=transfer.contract,
        vendor=vendor,
        vendor_admin=role == Role.VENDOR_ADMIN,
        today=today,
        why=transfers.why_not_in_force(transfer, today),
        services_in=transfers.services_in(transfer),
        categories_in=[c.name_zh if _is_zh() else c.name_en for c in transfers.categories_in(transfer)],
        docs=transfers.documents(transfer),
        sigs=transfers.signatures(transfer),
        heading=_("The text signed, in both languages"),
        vendor_side=vendor,
        my_party=my_party,
        can_sign=transfer.status == TransferStatus.AWAITING_SIGNATURES,
        sign_url=sign_url,
        sign_form=TransferSignForm(formdata=None),
        end_form=end_form or TransferEndForm(formdata=None),
    )


@bp.get("/transfers/<int:tp_transfer_id>")
@vendor_only
def transfer_detail(tp_transfer_id):
    """One transfer of obligations as the vendor sees it: scope, first day, its text, signatures and state."""
    return _page(get_or_404(Transfer, tp_transfer_id, current_tenant), vendor=True)


def _sign(transfer: Transfer, party: str, back: str):
    """Sign the transfer's text for `party` from the signature form (Part 2 §4.3: both parties' signatures)."""
    return sign_from_form(
        TransferSignForm(),
        lambda *signer: transfers.sign(transfer, party, *signer),
        back,
        lambda in_force: (
            _("Signed by both parties: the transfer is in force from %(day)s.", day=transfer.starts_on)
            if in_force
            else _("Signed for your party; the transfer waits for the other party's signature.")
        ),
    )


@bp.post("/transfers/<int:tp_transfer_id>/sign")
@admin_only
def transfer_sign(tp_transfer_id):
    """A vendor admin signs the transfer for Party B (乙方)."""
    transfer = get_or_404(Transfer, tp_transfer_id, current_tenant)
    return _sign(transfer, "B", url_for("plugin_third_party.transfer_detail", tp_transfer_id=transfer.id))


@bp.post("/transfers/<int:tp_transfer_id>/end")
@admin_only
def transfer_end(tp_transfer_id):
    """End a transfer (or withdraw one not yet signed), saying why: routing stops and both parties are told."""
    transfer = get_or_404(Transfer, tp_transfer_id, current_tenant, for_update=True)
    form = TransferEndForm()
    if not form.validate_on_submit():
        return _page(transfer, vendor=True, status=422, end_form=form)
    try:
        changed = transfers.end(transfer, form.reason.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        _field_error(form, exc, "reason")
        return _page(get_or_404(Transfer, tp_transfer_id, current_tenant), vendor=True, status=422, end_form=form)
    db.session.commit()
    if is_fragment_request():
        return _page(transfer, vendor=True)
    flash(_("Transfer ended; both parties are told.") if changed else _("This transfer had ended already."), "success")
    return redirect(url_for("plugin_third_party.transfer_detail", tp_transfer_id=transfer.id))


def _portal_transfer(tp_transfer_id: int) -> Transfer:
    """One of the signed-in client's own transfers; another client's answers 404."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return get_or_404(Transfer, tp_transfer_id, current_tenant, client_id=client_id)


@bp.get("/portal/transfers/<int:tp_transfer_id>")
@client_only
def portal_transfer(tp_transfer_id):
    """A transfer of obligations of the client's agreement: what moves to whom, its text and signatures."""
    return _page(_portal_transfer(tp_transfer_id), vendor=False)


@bp.post("/portal/transfers/<int:tp_transfer_id>/sign")
@client_admin_only
def portal_transfer_sign(tp_transfer_id):
    """The client's admin signs the transfer for Party A (甲方)."""
    transfer = _portal_transfer(tp_transfer_id)
    return _sign(transfer, "A", url_for("plugin_third_party.portal_transfer", tp_transfer_id=transfer.id))
