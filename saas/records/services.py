"""Service records (§12.1, Annex 7): every request of a contract in a period, its response and resolution, exported.

The record is read in a fixed number of queries whatever the number of requests: the requests, the
tenant's categories and calendars (with their days), then the pauses, visits and breaches of the whole set.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.calendars.models import ServiceCalendar
from saas.calendars.working_time import add_working_time, working_time_between
from saas.contracts.models import Contract, ContractStatus
from saas.core.clock import local_today, now
from saas.core.errors import ServiceError
from saas.core.models import Tenant
from saas.extensions import db
from saas.requests.labels import BREACH_LABELS, CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS
from saas.requests.models import RequestCategory, RequestPause, ServiceRequest, SiteVisit, SlaBreach
from saas.requests.sla import calendar_spec
from saas.team.models import TeamMember

#: A deadline's outcome in the record.
MET, BREACHED, PENDING, NOT_APPLICABLE = "met", "breached", "pending", "n/a"
#: The longest period one record covers: a year and a day, so a leap year fits.
MAX_PERIOD_DAYS = 367
#: Widths of the workbook's columns, in characters (the headers' order).
COLUMN_WIDTHS = (8, 17, 16, 9, 10, 32, 12, 17, 10, 17, 10, 36, 17, 10, 17, 10, 17, 36)


@dataclass
class VisitLine:
    """One on-site visit (§2.1.2) as the record shows it."""

    arrived_at: datetime
    departed_at: datetime | None
    engineer: str
    #: MET or BREACHED for the first arrival (the one the deadline measures); None for later visits.
    arrival: str | None


@dataclass
class RecordLine:
    """One request of the record (Annex 7): when it came, how fast it was answered and resolved."""

    number: int
    received_at: datetime
    category: str
    priority: str
    channel: str
    subject: str
    status: str
    first_response_at: datetime | None
    #: Working time on the request's calendar, without pauses, from receipt to the first response.
    response_time: timedelta | None
    #: Due times as they stood when met (pauses after that no longer count), or as they stand now.
    response_due_at: datetime | None
    response: str
    visits: list[VisitLine]
    arrival_due_at: datetime | None
    resolved_at: datetime | None
    resolution_time: timedelta | None
    resolution_due_at: datetime | None
    resolution: str
    closed_at: datetime | None
    #: (kind, clause) of every recorded breach, in clause order.
    breaches: list[tuple[str, str]]

    @property
    def reference(self) -> str:
        return f"#{self.number}"


@dataclass
class RecordSummary:
    requests: int = 0
    responded_in_time: int = 0
    responded_late: int = 0
    resolved_in_time: int = 0
    resolved_late: int = 0
    visits: int = 0
    arrivals_late: int = 0
    #: Recorded breaches per clause of the agreement: {"8.1.2": 3, ...}.
    breaches: dict[str, int] = field(default_factory=dict)


@dataclass
class ServiceRecord:
    contract: Contract
    start: date
    end: date
    timezone: str
    lines: list[RecordLine]
    summary: RecordSummary


def record_contracts(tenant: Tenant, client_id: int | None = None) -> list[Contract]:
    """The contracts a record can be made for: every one sent to the client (not drafts), newest first."""
    stmt = (
        select(Contract)
        .options(selectinload(Contract.client))
        .where(Contract.tenant_id == tenant.id, Contract.status != ContractStatus.DRAFT)
        .order_by(Contract.effective_date.desc(), Contract.id.desc())
    )
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    return db.session.scalars(stmt).all()


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of the month `day` falls in."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def preset_period(tenant: Tenant, preset: str = "this_month") -> tuple[date, date]:
    """This month or last month, as the tenant's calendar has it today."""
    today = local_today(tenant)
    first, last = month_of(today)
    if preset == "last_month":
        return month_of(first - timedelta(days=1))
    return first, last


def utc_bounds(tenant: Tenant, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the tenant's time zone, as UTC instants."""
    zone = ZoneInfo(tenant.timezone)
    begin = datetime.combine(start, time(0), zone).astimezone(UTC)
    stop = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC)
    return begin, stop


def _outcome(done_at: datetime | None, due_at: datetime | None, breached: bool, is_open: bool, at: datetime) -> str:
    """Met in time, breached (late, or overdue and still unmet), still running (or paused), or moot (closed unmet)."""
    if breached or (done_at is not None and due_at is not None and done_at > due_at):
        return BREACHED
    if done_at is not None:
        return MET
    if not is_open:  # closed without it (a duplicate, or handed over at termination) and never breached
        return NOT_APPLICABLE
    if due_at is not None and due_at <= at:
        return BREACHED
    return PENDING


def _due(
    spec, req: ServiceRequest, hours: int | None, met_at: datetime | None, stored: datetime | None, pauses
) -> datetime | None:
    """The deadline as it stood when it was met: pauses after that (resolved, then closed) no longer move it."""
    if hours is None or met_at is None:
        return stored
    return add_working_time(spec, req.received_at, timedelta(hours=hours), [p for p in pauses if p[0] < met_at])


def _category_name(category: RequestCategory | None) -> str:
    """The category's name in the reader's language."""
    if category is None:
        return ""
    return category.name_zh if str(get_locale()).startswith("zh") else category.name_en


def service_record(contract: Contract, start: date, end: date) -> ServiceRecord:
    """Annex 7 for one contract: every request received from `start` to `end` (local dates), with a summary."""
    if end < start:
        raise ServiceError(_("The period must end on or after the day it starts."))
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ServiceError(_("A service record covers at most a year."))
    tenant = db.session.get(Tenant, contract.tenant_id)
    begin, stop = utc_bounds(tenant, start, end)
    in_period = (
        ServiceRequest.tenant_id == contract.tenant_id,
        ServiceRequest.contract_id == contract.id,
        ServiceRequest.received_at >= begin,
        ServiceRequest.received_at < stop,
    )
    ids = select(ServiceRequest.id).where(*in_period).scalar_subquery()
    requests = db.session.scalars(
        select(ServiceRequest).where(*in_period).order_by(ServiceRequest.received_at, ServiceRequest.id)
    ).all()
    # The tenant's categories and calendars are few: loading them all keeps the count of queries fixed.
    categories = {
        c.id: c
        for c in db.session.scalars(select(RequestCategory).where(RequestCategory.tenant_id == contract.tenant_id))
    }
    calendars = {
        c.id: c
        for c in db.session.scalars(
            select(ServiceCalendar)
            .options(selectinload(ServiceCalendar.days))
            .where(ServiceCalendar.tenant_id == contract.tenant_id)
        )
    }
    pauses: dict[int, list] = {}
    for request_id, started, ended in db.session.execute(
        select(RequestPause.request_id, RequestPause.started_at, RequestPause.ended_at)
        .where(RequestPause.request_id.in_(ids))
        .order_by(RequestPause.started_at)
    ):
        pauses.setdefault(request_id, []).append((started, ended))
    visits: dict[int, list] = {}
    for visit, engineer in db.session.execute(
        select(SiteVisit, TeamMember.name)
        .outerjoin(TeamMember, TeamMember.id == SiteVisit.engineer_id)
        .where(SiteVisit.request_id.in_(ids))
        .order_by(SiteVisit.arrived_at, SiteVisit.id)
    ):
        visits.setdefault(visit.request_id, []).append((visit, engineer or ""))
    breaches: dict[int, list] = {}
    for request_id, kind, clause in db.session.execute(
        select(SlaBreach.request_id, SlaBreach.kind, SlaBreach.clause)
        .where(SlaBreach.request_id.in_(ids))
        .order_by(SlaBreach.clause)
    ):
        breaches.setdefault(request_id, []).append((kind, clause))

    at = now()
    specs: dict[int | None, object] = {}
    lines, summary = [], RecordSummary(requests=len(requests))
    for req in requests:
        if req.calendar_id not in specs:
            specs[req.calendar_id] = calendar_spec(calendars.get(req.calendar_id))
        spec, paused = specs[req.calendar_id], pauses.get(req.id, [])
        response_due = _due(spec, req, req.response_hours, req.first_response_at, req.response_due_at, paused)
        arrival_due = _due(spec, req, req.arrival_hours, req.first_arrival_at, req.arrival_due_at, paused)
        resolution_due = _due(spec, req, req.resolution_hours, req.resolved_at, req.resolution_due_at, paused)
        response = _outcome(req.first_response_at, response_due, req.response_breached, req.is_open, at)
        resolution = _outcome(req.resolved_at, resolution_due, req.resolution_breached, req.is_open, at)
        visit_lines = []
        for visit, engineer in visits.get(req.id, []):
            first = arrival_due is not None and visit.arrived_at == req.first_arrival_at
            arrival = (BREACHED if visit.arrived_at > arrival_due or req.arrival_breached else MET) if first else None
            visit_lines.append(VisitLine(visit.arrived_at, visit.departed_at, engineer, arrival))
        lines.append(
            RecordLine(
                number=req.number,
                received_at=req.received_at,
                category=_category_name(categories.get(req.category_id)),
                priority=req.priority,
                channel=req.channel,
                subject=req.subject,
                status=req.status,
                first_response_at=req.first_response_at,
                response_time=working_time_between(spec, req.received_at, req.first_response_at, paused)
                if req.first_response_at
                else None,
                response_due_at=response_due,
                response=response,
                visits=visit_lines,
                arrival_due_at=arrival_due,
                resolved_at=req.resolved_at,
                resolution_time=working_time_between(spec, req.received_at, req.resolved_at, paused)
                if req.resolved_at
                else None,
                resolution_due_at=resolution_due,
                resolution=resolution,
                closed_at=req.closed_at,
                breaches=breaches.get(req.id, []),
            )
        )
        summary.responded_in_time += response == MET
        summary.responded_late += response == BREACHED
        summary.resolved_in_time += resolution == MET
        summary.resolved_late += resolution == BREACHED
        summary.visits += len(visit_lines)
        summary.arrivals_late += sum(v.arrival == BREACHED for v in visit_lines)
    summary.breaches = dict(sorted(Counter(c for rows in breaches.values() for _k, c in rows).items()))
    return ServiceRecord(
        contract=contract, start=start, end=end, timezone=tenant.timezone, lines=lines, summary=summary
    )


def working_hours(delta: timedelta | None) -> Decimal | None:
    """A working time in hours with two decimals (half up), for exports people add up."""
    if delta is None:
        return None
    return (Decimal(int(delta.total_seconds())) / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_minutes(delta: timedelta | None) -> str:
    """A working time as H:MM, for the screen."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def outcome_label(outcome: str | None) -> str:
    """What people read for a deadline's outcome."""
    labels = {MET: _("On time"), BREACHED: _("Missed"), PENDING: _("Running"), NOT_APPLICABLE: "—"}
    return labels.get(outcome or "", "")


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A UTC instant as the tenant's wall-clock time (spreadsheets keep no time zone)."""
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _visits_text(line: RecordLine, zone: ZoneInfo) -> str:
    parts = []
    for v in line.visits:
        text = f"{_stamp(_local(v.arrived_at, zone))}–{_stamp(_local(v.departed_at, zone))[11:]}"
        if v.engineer:
            text += f" {v.engineer}"
        if v.arrival:
            text += f" ({outcome_label(v.arrival)})"
        parts.append(text)
    return "; ".join(parts)


def _breaches_text(line: RecordLine) -> str:
    return "; ".join(str(BREACH_LABELS.get(kind, kind)) for kind, _clause in line.breaches)


def headers() -> list[str]:
    """The export's column titles, in the reader's language."""
    return [
        _("Request number"),
        _("Received at"),
        _("Category"),
        _("Priority"),
        _("Channel"),
        _("Subject"),
        _("Status"),
        _("First response at"),
        _("Response time (working hours)"),
        _("Response due"),
        _("Response"),
        _("On-site visits"),
        _("Resolved at"),
        _("Resolution time (working hours)"),
        _("Resolution due"),
        _("Resolution"),
        _("Closed at"),
        _("Breaches"),
    ]


def _cells(line: RecordLine, zone: ZoneInfo) -> list:
    """One line's values; times as local wall-clock datetimes, working times as Decimal hours."""
    return [
        line.reference,
        _local(line.received_at, zone),
        line.category,
        str(PRIORITY_LABELS.get(line.priority, line.priority)),
        str(CHANNEL_LABELS.get(line.channel, line.channel)),
        line.subject,
        str(STATUS_LABELS.get(line.status, line.status)),
        _local(line.first_response_at, zone),
        working_hours(line.response_time),
        _local(line.response_due_at, zone),
        outcome_label(line.response),
        _visits_text(line, zone),
        _local(line.resolved_at, zone),
        working_hours(line.resolution_time),
        _local(line.resolution_due_at, zone),
        outcome_label(line.resolution),
        _local(line.closed_at, zone),
        _breaches_text(line),
    ]


def title(record: ServiceRecord) -> str:
    """The record's heading: contract number, client and period."""
    return _(
        "Service record (Annex 7) · %(number)s · %(client)s · %(start)s – %(end)s",
        number=record.contract.number,
        client=record.contract.client.legal_name,
        start=record.start.isoformat(),
        end=record.end.isoformat(),
    )


#: A text cell starting with one of these would run as a formula in Excel (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value):
    """Text that a client typed is shown, never run: a leading formula character is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(record: ServiceRecord) -> bytes:
    """The record as CSV, UTF-8 with a byte-order mark so Excel reads Chinese correctly."""
    zone = ZoneInfo(record.timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for line in record.lines:
        writer.writerow(
            [_stamp(v) if isinstance(v, datetime) else ("" if v is None else _text_cell(v)) for v in _cells(line, zone)]
        )
    return out.getvalue().encode("utf-8-sig")


def _sheet_row(values) -> list:
    """A row as openpyxl can write it: text without the control characters XML 1.0 cannot hold, never a formula.

    openpyxl raises IllegalCharacterError on them (a subject with \x01 typed or sent by a client, or kept from
    before text was cleaned on the way in), which would fail every export of the period. They are dropped
    first, so a formula behind one (\x01=HYPERLINK…) is still quoted.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return [_text_cell(ILLEGAL_CHARACTERS_RE.sub("", v)) if isinstance(v, str) else v for v in values]


def export_xlsx(record: ServiceRecord) -> bytes:
    """The record as an Excel workbook: a title row, the headers, one row per request, then the summary."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    zone = ZoneInfo(record.timezone)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Service record")[:31]
    sheet.append(_sheet_row([title(record)]))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Times in %(zone)s.", zone=record.timezone)])
    sheet.append(headers())
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for line in record.lines:
        sheet.append(_sheet_row(float(v) if isinstance(v, Decimal) else v for v in _cells(line, zone)))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, float):
                cell.number_format = "0.00"
    sheet.freeze_panes = "B4"
    for letter, width in zip("ABCDEFGHIJKLMNOPQR", COLUMN_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([])
    for label, value in summary_rows(record.summary):
        sheet.append(_sheet_row([label, value]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_rows(summary: RecordSummary) -> list[tuple[str, int]]:
    """The summary as labelled figures (for the workbook; the screen lays them out itself)."""
    rows = [
        (_("Requests"), summary.requests),
        (_("Responded in time"), summary.responded_in_time),
        (_("Responded late"), summary.responded_late),
        (_("Resolved in time"), summary.resolved_in_time),
        (_("Resolved late"), summary.resolved_late),
        (_("On-site visits"), summary.visits),
        (_("Late arrivals"), summary.arrivals_late),
    ]
    rows += [(_("Breaches under §%(clause)s", clause=clause), count) for clause, count in summary.breaches.items()]
    return rows


def export_filename(record: ServiceRecord, extension: str) -> str:
    """服务记录-<contract>-<start>-<end>.<ext>, named in the reader's language."""
    prefix = _("service-record")
    return f"{prefix}-{record.contract.number}-{record.start.isoformat()}-{record.end.isoformat()}.{extension}"
