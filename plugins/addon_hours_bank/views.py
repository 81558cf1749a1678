"""Screens of the hours bank: the time block of a request's page, the vendor's banks and the client's own (§13)."""

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from plugins.addon_hours_bank import services
from plugins.addon_hours_bank.forms import TimeForm
from saas.addons.models import AddonAgreement
from saas.addons.services import running_for
from saas.core.clock import local_today
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.plugins import plugin_blueprint
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id
from saas.extensions import db
from saas.requests.models import ServiceRequest

bp = plugin_blueprint(services.NAME, __name__)
#: Who logs time: the vendor's engineers and admins.
LOGGERS = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_ENGINEER})
loggers = roles_required(*LOGGERS)
vendor_only = roles_required(*VENDOR_ROLES)
client_only = roles_required(*CLIENT_ROLES)
bp.add_app_template_filter(services.hours_text, "hours")
bp.add_app_template_filter(services.kind_label, "time_kind")
bp.add_app_template_filter(services.hours_per_month, "bank_monthly")
bp.add_app_template_filter(services.one_off_hours, "bank_one_off")
bp.add_app_template_filter(lambda a: str(services.ROLLOVERS[services.rollover(a)]), "bank_rollover")
bp.add_app_template_filter(lambda a: a.stop - timedelta(days=1), "bank_last_day")


def _section_context(req: ServiceRequest, vendor: bool, form=None, message=None) -> dict:
    today = local_today(current_tenant)
    entries = services.entries_of(req)
    running, drew = services.drawing_of(req, entries, today)
    can_log = vendor and g.membership.role in LOGGERS
    if can_log and form is None:
        form = TimeForm(formdata=None, worked_on=today)
    return {
        "req": req,
        "entries": entries,
        "drew": drew,
        "running": running,
        "month": services.current(running, today) if running is not None else None,
        "vendor": vendor,
        "form": form if can_log else None,
        "message": message,
        "total": sum((e.hours for e in entries), services.ZERO),
    }


def section_html(req: ServiceRequest, vendor: bool) -> Markup:
    """The request's time entries as a block of its page (saas_request_sections), with the form for engineers."""
    html = render_template("addon_hours_bank/_request_section.html", **_section_context(req, vendor))
    return Markup(html)  # noqa: S704 (an autoescaped template)


def _message(req: ServiceRequest, entry, made: bool) -> str:
    """What logging did: logged against the bank of that day, or recorded without one, or sent twice."""
    if not made:
        return _("This time was logged already.")
    bank = running_for(req.contract_id, services.NAME, entry.worked_on)
    if bank is None:
        return _("Time logged. No hours bank runs on that day: it draws nothing.")
    return _("Time logged against hours bank %(number)s.", number=bank.number)


@bp.post("/requests/<int:request_id>/time")
@loggers
def log_time(request_id):
    """Log hours worked on the request (HTMX: the block again; else back to the request's page)."""
    req = get_or_404(ServiceRequest, request_id, current_tenant, for_update=True)
    form = TimeForm()
    error = None
    if form.validate_on_submit():
        try:
            entry, made = services.log_time(
                req, form.data, current_user._get_current_object(), once=request.form.get("_once")
            )
        except ServiceError as exc:
            db.session.rollback()
            req = get_or_404(ServiceRequest, request_id, current_tenant)
            error = str(exc)
            field = getattr(form, getattr(exc, "field", "hours"), form.hours)
            field.errors = [*field.errors, error]
        else:
            db.session.commit()
            message = (_message(req, entry, made), "success" if made else "info")
            if is_fragment_request():
                return render(
                    "addon_hours_bank/_request_section.html",
                    block="section",
                    **_section_context(req, True, message=message),
                )
            flash(*message)
            return redirect(url_for("requests.detail", request_id=req.id))
    if is_fragment_request():
        return render(
            "addon_hours_bank/_request_section.html",
            block="section",
            status=422,
            **_section_context(req, True, form=form),
        )
    flash(error or " ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("requests.detail", request_id=req.id), code=303)


def _bank(agreement_id) -> AddonAgreement:
    agreement = get_or_404(AddonAgreement, agreement_id, current_tenant, visible_client_id())
    if agreement.addon_type != services.NAME:
        abort(404)
    return agreement


@bp.get("/")
@vendor_only
def index():
    """Every client's hours banks with this month's balance."""
    today = local_today(current_tenant)
    banks = services.banks(current_tenant)
    balances = services.balances(banks, today)
    return render("addon_hours_bank/index.html", banks=banks, balances=balances, today=today)


@bp.get("/agreements/<int:agreement_id>")
@vendor_only
def detail(agreement_id):
    """One hours bank: its terms, its months and the entries that drew it."""
    agreement = _bank(agreement_id)
    today = local_today(current_tenant)
    return render(
        "addon_hours_bank/detail.html",
        agreement=agreement,
        months=services.balance(agreement, today),
        entries=services.entries_drawing([agreement], today)[agreement.id],
        portal=False,
    )


@bp.get("/portal")
@client_only
def portal():
    """The client's own hours banks: this month's balance, the months before and the time that used them."""
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    today = local_today(current_tenant)
    banks = services.banks(current_tenant, client_id)
    balances = services.balances(banks, today)
    entries = services.entries_drawing(banks, today)
    return render("addon_hours_bank/portal.html", banks=banks, balances=balances, entries=entries, portal=True)
