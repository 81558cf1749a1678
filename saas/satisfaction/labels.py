"""What the screens call the evaluation's criteria and the measures' states, in the reader's language."""

from flask_babel import lazy_gettext as _l

from saas.satisfaction.models import Criterion, MeasureStatus

CRITERION_LABELS = {
    Criterion.RESPONSE: _l("Technical support response time"),
    Criterion.RESOLUTION: _l("Problem-resolution speed"),
    Criterion.QUALITY: _l("Service quality"),
    Criterion.SURVEY: _l("Client satisfaction survey"),
}
#: How each sub-score is computed (§11.1), shown beside it.
CRITERION_RULES = {
    Criterion.RESPONSE: _l("Share of response and on-site arrival deadlines met, of those met or missed."),
    Criterion.RESOLUTION: _l("Share of resolution targets met, of those met or missed."),
    Criterion.QUALITY: _l(
        "Mean of: requests not reopened, requests without a breach of the agreed standard (§8.1.1), and the "
        "ratings (1 is 0, 5 is 100)."
    ),
    Criterion.SURVEY: _l("Average answer of the period's survey (1 is 0, 5 is 100)."),
}
#: What a measure on a criterion usually does, until its owner writes what it will do.
SUGGESTED_ACTIONS = {
    Criterion.RESPONSE: _l("Review the duty rota and the alerting so that requests are answered within the hours."),
    Criterion.RESOLUTION: _l("Review the requests resolved late and the skills or spare parts they waited for."),
    Criterion.QUALITY: _l("Review the reopened requests and the breaches with the engineers concerned."),
    Criterion.SURVEY: _l("Meet the client to go through the survey's answers and agree what to change."),
}
MEASURE_STATUS_LABELS = {
    MeasureStatus.OPEN: _l("Open"),
    MeasureStatus.DONE: _l("Done, to be checked"),
    MeasureStatus.EFFECTIVE: _l("Effective"),
    MeasureStatus.NOT_EFFECTIVE: _l("Not effective"),
}
RESPONSE_CLAUSE_LABELS = {
    "service_response": _l("Service response"),
    "fault_response": _l("Fault response"),
    "consult_response": _l("Consulting response"),
    "onsite_arrival": _l("On-site arrival"),
}
