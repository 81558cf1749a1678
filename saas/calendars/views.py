"""Screens of the service calendars: weekly hours, holidays and make-up days, and a due-time preview."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from saas.calendars import services as service
from saas.calendars.forms import WEEKDAYS, CalendarForm, DayForm, PreviewForm
from saas.calendars.models import CalendarDay, ServiceCalendar
from saas.core.errors import ServiceError
from saas.core.forms import ConfirmForm
from saas.core.models import Role
from saas.core.parsing import InvalidDate, parse_datetime
from saas.core.rendering import is_fragment_request, render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint
from saas.extensions import db

bp = tenant_blueprint("calendars", __name__, url_prefix="/calendars", template_folder="templates")
admin_only = roles_required(Role.VENDOR_ADMIN)


@bp.get("/")
@admin_only
def index():
    """The vendor's service calendars."""
    rows = db.session.scalars(
        select(ServiceCalendar).where(ServiceCalendar.tenant_id == current_tenant.id).order_by(ServiceCalendar.name)
    ).all()
    return render("calendars/calendars.html", calendars=rows, format_windows=service.format_windows, weekdays=WEEKDAYS)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:calendar_id>", methods=["GET", "POST"])
@admin_only
def calendar(calendar_id=None):
    """Create or edit a calendar; its days, the official schedule and a due-time preview on the same page."""
    row = get_or_404(ServiceCalendar, calendar_id, current_tenant) if calendar_id is not None else None
    form = CalendarForm(obj=row)
    if request.method == "GET":
        weekly = row.weekly if row is not None else service.default_weekly()
        for day in range(7):
            form[f"hours_{day}"].data = service.format_windows(weekly.get(str(day), []))
    if form.validate_on_submit():
        try:
            row = service.save_calendar(current_tenant, form.data, row)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("calendars.calendar", calendar_id=row.id))
    return render(
        "calendars/calendar.html",
        calendar=row,
        form=form,
        day_form=DayForm(formdata=None),
        confirm=ConfirmForm(),
        years=service.official_years(),
        weekdays=WEEKDAYS,
        preview=PreviewForm(formdata=None),
    )


@bp.post("/<int:calendar_id>/days")
@admin_only
def add_day(calendar_id):
    """Mark a day as a holiday or a make-up working day."""
    row = get_or_404(ServiceCalendar, calendar_id, current_tenant)
    form = DayForm()
    if form.validate_on_submit():
        service.add_day(row, form.day.data, form.kind.data, form.name.data or "")
        db.session.commit()
        flash(_("Saved."), "success")
    else:
        flash(_("Give a date."), "error")
    return redirect(url_for("calendars.calendar", calendar_id=row.id))


@bp.post("/<int:calendar_id>/days/<int:day_id>/delete")
@admin_only
def delete_day(calendar_id, day_id):
    """Make a day ordinary again."""
    row = get_or_404(ServiceCalendar, calendar_id, current_tenant)
    day = get_or_404(CalendarDay, day_id, current_tenant)
    if day.calendar_id != row.id or not ConfirmForm().validate_on_submit():
        abort(404)
    db.session.delete(day)
    db.session.commit()
    return redirect(url_for("calendars.calendar", calendar_id=row.id))


@bp.post("/<int:calendar_id>/official")
@admin_only
def official(calendar_id):
    """Add the official Chinese public holidays and make-up working days of a year."""
    row = get_or_404(ServiceCalendar, calendar_id, current_tenant)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        added = service.add_official_china_schedule(row, request.form.get("year", type=int) or 0)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(ngettext("%(num)d day added.", "%(num)d days added.", added), "success")
    return redirect(url_for("calendars.calendar", calendar_id=row.id))


@bp.get("/<int:calendar_id>/preview")
@admin_only
def preview(calendar_id):
    """When a deadline of so many hours, from a given moment, falls on this calendar (an HTMX fragment)."""
    row = get_or_404(ServiceCalendar, calendar_id, current_tenant)
    if not is_fragment_request():
        return redirect(url_for("calendars.calendar", calendar_id=row.id))
    form = PreviewForm(request.args)
    due = error = None
    try:
        start = parse_datetime(form.start.data) if form.validate() else None
    except InvalidDate:
        start = None
    if start is not None:
        try:
            due = service.preview_due(row, start, form.hours.data)
        except ValueError:
            error = _("This calendar has no working time in that stretch.")
    else:
        error = _("Give a start time and a number of hours.")
    return render("calendars/calendar.html", block="preview_result", due=due, error=error, calendar=row)
