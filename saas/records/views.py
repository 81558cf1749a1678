"""Screens of the service records (§12.1, Annex 7): the vendor's for any contract, the client's for its own."""

from datetime import date

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from saas.contracts.models import Contract, ContractStatus
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES
from saas.core.parsing import parse_date
from saas.core.rendering import attachment, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.records import services as records
from saas.requests import labels

bp = tenant_blueprint("records", __name__, url_prefix="/records", template_folder="templates")
portal_bp = tenant_blueprint("portal_records", __name__, url_prefix="/portal/records", template_folder="templates")

PRESETS = ("this_month", "last_month")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _period() -> tuple[date, date, str | None]:
    """The period asked for: a preset, or start and end dates; this month when none (or a bad one) is given."""
    preset = request.args.get("preset", "")
    if preset in PRESETS:
        return *records.preset_period(current_tenant, preset), None
    try:
        start = parse_date(request.args.get("start", ""))
        end = parse_date(request.args.get("end", ""))
    except ValueError:
        error = _("Give the period as two dates.") if request.args.get("start") or request.args.get("end") else None
        return *records.preset_period(current_tenant), error
    if not (2000 <= start.year <= 2100 and 2000 <= end.year <= 2100):
        return *records.preset_period(current_tenant), _("Give a period between the years 2000 and 2100.")
    return start, end, None


def _contract(client_id: int | None) -> Contract | None:
    """The contract asked for (?contract=id): the tenant's, the client's own for client roles, never a draft."""
    contract_id = request.args.get("contract", "")
    if not contract_id:
        return None
    contract = get_or_404(Contract, contract_id, current_tenant, client_id=client_id)
    if contract.status == ContractStatus.DRAFT:
        abort(404)
    return contract


VENDOR_ENDPOINTS = {"page": "records.index", "csv": "records.export_csv", "xlsx": "records.export_xlsx"}
PORTAL_ENDPOINTS = {
    "page": "portal_records.portal_index",
    "csv": "portal_records.portal_export_csv",
    "xlsx": "portal_records.portal_export_xlsx",
}


def _page(client_id: int | None, endpoints: dict):
    """The record of the chosen contract and period, with the choice of both."""
    contracts = records.record_contracts(current_tenant, client_id)
    contract = _contract(client_id)
    if contract is None and client_id is not None and contracts:
        contract = contracts[0]  # a client usually has one agreement: show it at once
    start, end, error = _period()
    record = None
    if contract is not None and error is None:
        try:
            record = records.service_record(contract, start, end)
        except ServiceError as exc:
            error = str(exc)
    return render(
        "records/record.html",
        contracts=contracts,
        contract=contract,
        start=start,
        end=end,
        record=record,
        error=error,
        endpoints=endpoints,
        records=records,
        labels=labels,
    )


def _export(client_id: int | None, endpoints: dict, extension: str):
    """The record as a download named after the contract and the period."""
    contract = _contract(client_id)
    if contract is None:
        abort(404)
    start, end, error = _period()
    try:
        if error:
            raise ServiceError(error)
        record = records.service_record(contract, start, end)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for(endpoints["page"], contract=contract.id))
    body = records.export_csv(record) if extension == "csv" else records.export_xlsx(record)
    response = make_response(body)
    response.headers["Content-Type"] = MIMETYPES[extension]
    return attachment(response, records.export_filename(record, extension))


def _my_client_id() -> int:
    """The signed-in client member's organisation; a portal route never runs without one."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


@bp.get("/")
@roles_required(*VENDOR_ROLES)
def index():
    """The vendor's service record of a contract for a period (Annex 7)."""
    return _page(None, VENDOR_ENDPOINTS)


@bp.get("/export.csv")
@roles_required(*VENDOR_ROLES)
def export_csv():
    """The record as CSV (UTF-8 with BOM)."""
    return _export(None, VENDOR_ENDPOINTS, "csv")


@bp.get("/export.xlsx")
@roles_required(*VENDOR_ROLES)
def export_xlsx():
    """The record as an Excel workbook."""
    return _export(None, VENDOR_ENDPOINTS, "xlsx")


@portal_bp.get("/")
@roles_required(*CLIENT_ROLES)
def portal_index():
    """The client's service record of its own contract for a period (Annex 7)."""
    return _page(_my_client_id(), PORTAL_ENDPOINTS)


@portal_bp.get("/export.csv")
@roles_required(*CLIENT_ROLES)
def portal_export_csv():
    """The client's record as CSV (UTF-8 with BOM)."""
    return _export(_my_client_id(), PORTAL_ENDPOINTS, "csv")


@portal_bp.get("/export.xlsx")
@roles_required(*CLIENT_ROLES)
def portal_export_xlsx():
    """The client's record as an Excel workbook."""
    return _export(_my_client_id(), PORTAL_ENDPOINTS, "xlsx")
