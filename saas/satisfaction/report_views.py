"""Screens of the service report (§12.1): the vendor's report of an agreement for a period, a quarter or a year,
its PDF in either language and the button that sends it to the client's admins; the client's own in the portal."""

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from saas.contracts.models import Contract
from saas.core.clock import local_today
from saas.core.forms import ConfirmForm
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.rendering import attachment, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.satisfaction import report_document
from saas.satisfaction.report import BadRange, choices, choose_range, report_for
from saas.satisfaction.report_charts import charts_of

bp = tenant_blueprint("evaluation_reports", __name__, url_prefix="/evaluations", template_folder="templates")
portal_bp = tenant_blueprint(
    "portal_evaluation_reports", __name__, url_prefix="/portal/evaluations", template_folder="templates"
)
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _contract_and_range(contract_id: int, portal: bool):
    contract = get_or_404(Contract, contract_id, current_tenant, visible_client_id() if portal else None)
    try:
        span = choose_range(contract, request.args, local_today(current_tenant))
    except BadRange as exc:
        return contract, None, str(exc.message)
    return contract, span, None


def _page(contract_id: int, portal: bool):
    contract, span, error = _contract_and_range(contract_id, portal)
    if error:
        return render(
            "satisfaction/report.html",
            status=400,
            contract=contract,
            span=None,
            error=error,
            chooser=choices(contract, local_today(current_tenant)),
            portal=portal,
        )
    report = report_for(contract, span.start, span.end)
    return render(
        "satisfaction/report.html",
        **report_document.context_of(contract, span, report),
        error=None,
        charts=charts_of(report),
        chooser=choices(contract, local_today(current_tenant)),
        portal=portal,
        printable=False,
        send_form=ConfirmForm(formdata=None),
    )


def _pdf(contract_id: int, portal: bool):
    contract, span, error = _contract_and_range(contract_id, portal)
    if error:
        return make_response(error, 400, TEXT)
    language = request.args.get("lang") or ("zh_Hans_CN" if str(get_locale()).startswith("zh") else "en")
    if language not in report_document.LANGUAGES:
        return make_response(_("The report is in zh_Hans_CN or en."), 400, TEXT)
    response = make_response(report_document.render_pdf(contract, span, language))
    response.mimetype = "application/pdf"
    return attachment(response, report_document.pdf_filename(contract, span, language))


@bp.get("/agreements/<int:contract_id>/report")
@roles_required(*VENDOR_ROLES)
def report(contract_id):
    """The agreement's service report for a period (?period=N), a quarter (?quarter=2026-Q4) or a year (?year=2026):
    by default the last period that has ended."""
    return _page(contract_id, portal=False)


@bp.get("/agreements/<int:contract_id>/report.pdf")
@roles_required(*VENDOR_ROLES)
def report_pdf(contract_id):
    """The service report as PDF (?lang=zh_Hans_CN or en), for the same ranges."""
    return _pdf(contract_id, portal=False)


@bp.post("/agreements/<int:contract_id>/report/send")
@roles_required(Role.VENDOR_ADMIN)
def send(contract_id):
    """Send the report to the client's admins, once per agreement and range."""
    contract, span, error = _contract_and_range(contract_id, portal=False)
    if error:
        abort(400)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sent, before = report_document.send_report(contract, span, current_user._get_current_object())
    if sent:
        flash(_("Report sent to %(num)d person(s) of the client.", num=sent), "success")
    elif before:
        flash(_("This report has already been sent to the client's admins."), "info")
    else:
        flash(_("The client has no admin to send the report to."), "warning")
    return redirect(url_for("evaluation_reports.report", contract_id=contract.id, **span.args))


@portal_bp.get("/agreements/<int:contract_id>/report")
@roles_required(*CLIENT_ROLES)
def portal_report(contract_id):
    """Our agreement's service report for a period, a quarter or a year."""
    return _page(contract_id, portal=True)


@portal_bp.get("/agreements/<int:contract_id>/report.pdf")
@roles_required(*CLIENT_ROLES)
def portal_report_pdf(contract_id):
    """Our agreement's service report as PDF."""
    return _pdf(contract_id, portal=True)
