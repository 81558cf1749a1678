"""What people read for the codes of the requests domain, in their language."""

from flask_babel import lazy_gettext as _l

from saas.requests.models import BreachKind, Channel, Priority, RequestKind, RequestStatus

STATUS_LABELS = {
    RequestStatus.NEW: _l("New"),
    RequestStatus.ACKNOWLEDGED: _l("Acknowledged"),
    RequestStatus.IN_PROGRESS: _l("In progress"),
    RequestStatus.WAITING_ON_CLIENT: _l("Waiting on client"),
    RequestStatus.RESOLVED: _l("Resolved"),
    RequestStatus.CLOSED: _l("Closed"),
}
#: The verb on the button that moves a request into each status.
MOVE_LABELS = {
    RequestStatus.ACKNOWLEDGED: _l("Acknowledge"),
    RequestStatus.IN_PROGRESS: _l("Start work"),
    RequestStatus.WAITING_ON_CLIENT: _l("Wait on client"),
    RequestStatus.RESOLVED: _l("Mark resolved"),
    RequestStatus.CLOSED: _l("Close"),
}
KIND_LABELS = {
    RequestKind.REMOTE_SUPPORT: _l("Remote support (§2.1.1)"),
    RequestKind.ONSITE_SUPPORT: _l("On-site support (§2.1.2)"),
    RequestKind.FAULT: _l("Fault (§2.2.2)"),
    RequestKind.CONSULTATION: _l("Consultation (§2.3)"),
    RequestKind.TRAINING: _l("Training (§2.1.3)"),
    RequestKind.UPGRADE: _l("Upgrade and optimisation (§2.2.3)"),
    RequestKind.GENERAL: _l("General service request (§4.1)"),
}
PRIORITY_LABELS = {
    Priority.URGENT: _l("Urgent"),
    Priority.HIGH: _l("High"),
    Priority.NORMAL: _l("Normal"),
    Priority.LOW: _l("Low"),
}
CHANNEL_LABELS = {
    Channel.PORTAL: _l("Portal"),
    Channel.PHONE: _l("Phone"),
    Channel.EMAIL: _l("E-mail"),
    Channel.CHAT: _l("Online chat"),
    Channel.API: _l("API"),
    Channel.MONITORING: _l("Monitoring alert"),
}
BREACH_LABELS = {
    BreachKind.RESPONSE: _l("Response deadline missed (§8.1.2)"),
    BreachKind.ARRIVAL: _l("On-site arrival late (§2.1.2, §8.1.1)"),
    BreachKind.RESOLUTION: _l("Not resolved within the target (§8.1.3)"),
    BreachKind.NOT_FIXED: _l("Resolution rejected twice by the client (§8.1.1)"),
    BreachKind.BELOW_STANDARD: _l("Service below the agreed standard, with evidence (§8.1.1)"),
}
EVENT_LABELS = {
    "created": _l("Raised"),
    "status": _l("Status changed"),
    "reopened": _l("Reopened"),
    "reply": _l("Reply"),
    "note": _l("Internal note"),
    "assigned": _l("Assigned"),
    "visit": _l("On-site visit"),
    "breach": _l("Breach recorded"),
    "alert": _l("Monitoring alert"),
    "handed_over": _l("Handed over"),
    "materials": _l("Technical materials"),
    "coverage": _l("Extended coverage applied"),
}

#: How a request came to its engineer (saas.team.services.choose_assignee); any other rule is shown as written.
ASSIGNMENT_RULE_LABELS = {
    "role": _l("by the category's role"),
    "role_named": _l("by the category's role, an engineer named on the agreement"),
    "named": _l("an engineer named on the agreement"),
}


def install(app):
    """Template filters for the requests domain's codes."""

    def label(mapping):
        return lambda code: str(mapping.get(code, code))

    app.jinja_env.filters.update(
        request_status=label(STATUS_LABELS),
        request_kind=label(KIND_LABELS),
        priority=label(PRIORITY_LABELS),
        channel=label(CHANNEL_LABELS),
        breach_kind=label(BREACH_LABELS),
        request_event=label(EVENT_LABELS),
        move_label=label(MOVE_LABELS),
        assignment_rule=label(ASSIGNMENT_RULE_LABELS),
    )


class ClockText:
    """Due times and working time left as people read them, for a whole page: language and zone looked up once.

    A queue page shows 25 clocks; formatting each through the template filters looked up the locale, the
    time zone and four translations per row (bench/requests.py).
    """

    def __init__(self):
        from flask_babel import get_locale, get_timezone, gettext

        self.locale, self.zone = get_locale(), get_timezone()
        self.hours = gettext("%(h)d h %(m)02d min")
        self.minutes = gettext("%(m)d min")
        self.overdue = gettext("overdue by %(time)s")
        self.left = gettext("%(time)s left")
        self.status = {code: str(label) for code, label in STATUS_LABELS.items()}
        self.priority = {code: str(label) for code, label in PRIORITY_LABELS.items()}

    def when(self, value) -> str:
        from babel.dates import format_datetime

        return format_datetime(value, "short", tzinfo=self.zone, locale=self.locale) if value else ""

    def duration(self, value) -> str:
        """Working time: "3 h 05 min"; negative values read "overdue by …"."""
        if value is None:
            return "—"
        minutes = int(abs(value).total_seconds() // 60)
        text = self.hours % {"h": minutes // 60, "m": minutes % 60} if minutes >= 60 else self.minutes % {"m": minutes}
        return self.overdue % {"time": text} if value.total_seconds() < 0 else text

    def remaining(self, value) -> str:
        """What the due cell says under the time: "3 h 05 min left", or "overdue by …"."""
        if value is None:
            return ""
        return self.duration(value) if value.total_seconds() <= 0 else self.left % {"time": self.duration(value)}
