"""Screens of the evaluations (§11): the vendor's overview of every agreement's latest score (below the threshold
first), an agreement's history with its chart and measures, how one evaluation was computed, the measures board and
a measure's plan, and the weights and thresholds; the client's own agreements' evaluations and measures in the
portal (read only)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.contracts.models import Contract
from saas.core.clients import choices as client_choices
from saas.core.errors import ServiceError
from saas.core.forms import choices
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Role
from saas.core.parsing import parse_id, parse_ranked_cursor
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db
from saas.satisfaction import measures
from saas.satisfaction.evaluation import CRITERIA, RESPONSE_CLAUSES, policy_of, quality_parts, scores
from saas.satisfaction.evaluation_forms import MeasureForm, PolicyForm
from saas.satisfaction.labels import (
    CRITERION_LABELS,
    CRITERION_RULES,
    MEASURE_STATUS_LABELS,
    RESPONSE_CLAUSE_LABELS,
    SUGGESTED_ACTIONS,
)
from saas.satisfaction.models import Evaluation, ImprovementMeasure

bp = tenant_blueprint("evaluations", __name__, url_prefix="/evaluations", template_folder="templates")
portal_bp = tenant_blueprint(
    "portal_evaluations", __name__, url_prefix="/portal/evaluations", template_folder="templates"
)

LABELS = {
    "criteria": CRITERION_LABELS,
    "rules": CRITERION_RULES,
    "statuses": MEASURE_STATUS_LABELS,
    "clauses": RESPONSE_CLAUSE_LABELS,
    "actions": SUGGESTED_ACTIONS,
    "clause_numbers": RESPONSE_CLAUSES,
}


def chart_of(history: list[Evaluation]) -> dict:
    """The agreement's scores per period as a line chart (saas/static/js/charts.js); a period without a figure is
    a gap, never a zero."""

    def series(get):
        return [float(v) if (v := get(e)) is not None else None for e in history]

    return {
        "type": "line",
        "labels": [e.period_start.isoformat() for e in history],
        "y_max": 100,
        "y_label": _("Score (0–100)"),
        "datasets": [
            {"label": _("Overall score"), "data": series(lambda e: e.score), "colour": "#1d2430"},
            *(
                {"label": str(CRITERION_LABELS[c]), "data": series(lambda e, c=c: getattr(e, f"{c}_score"))}
                for c in CRITERIA
            ),
        ],
    }


def _overview(portal: bool):
    client_id = visible_client_id() if portal else parse_id(request.args.get("client", ""))
    after = parse_ranked_cursor(request.args.get("after"))
    rows, cursor = measures.overview(current_tenant, client_id=client_id, after=after)
    filters = {} if portal else {"client": client_id}
    return render(
        "satisfaction/evaluations.html",
        block="rows" if request.args.get("after") else "content",
        evaluations=rows,
        previous=measures.previous_scores(rows),
        next_after=cursor,
        portal=portal,
        filters=filters,
        clients=[] if portal else client_choices(current_tenant),
        policy=policy_of(current_tenant.id),
        endpoint="portal_evaluations.portal_index" if portal else "evaluations.index",
        labels=LABELS,
    )


def _agreement(contract_id: int, portal: bool):
    contract = get_or_404(Contract, contract_id, current_tenant, visible_client_id() if portal else None)
    history = measures.history(contract)
    return render(
        "satisfaction/agreement_evaluations.html",
        contract=contract,
        history=history,
        chart=chart_of(history),
        measure_rows=measures.measures_of(contract),
        portal=portal,
        labels=LABELS,
    )


def _detail(evaluation_id: int, portal: bool):
    evaluation = get_or_404(Evaluation, evaluation_id, current_tenant, visible_client_id() if portal else None)
    return render(
        "satisfaction/evaluation.html",
        evaluation=evaluation,
        recomputed=scores(evaluation.inputs, evaluation.weights),
        quality=quality_parts(evaluation.inputs),
        measure_rows=[m for m in measures.measures_of(evaluation.contract) if m.evaluation_id == evaluation.id],
        portal=portal,
        labels=LABELS,
    )


@bp.get("/")
@roles_required(*VENDOR_ROLES)
def index():
    """Every agreement's latest evaluation, those below the threshold first."""
    return _overview(portal=False)


@bp.get("/agreements/<int:contract_id>")
@roles_required(*VENDOR_ROLES)
def agreement(contract_id):
    """An agreement's evaluations over time, with their chart and its improvement measures."""
    return _agreement(contract_id, portal=False)


@bp.get("/<int:evaluation_id>")
@roles_required(*VENDOR_ROLES)
def detail(evaluation_id):
    """One evaluation: its sub-scores, the figures and weights they were computed from."""
    return _detail(evaluation_id, portal=False)


@bp.get("/measures")
@roles_required(*VENDOR_ROLES)
def measures_index():
    """The improvement measures of every agreement, newest first, by status."""
    status = request.args.get("status", "")
    status = status if status in MEASURE_STATUS_LABELS else ""
    rows, next_after = measures.measures_board(
        current_tenant, status=status, after=parse_id(request.args.get("after", ""))
    )
    return render(
        "satisfaction/measures.html",
        block="rows" if request.args.get("after") else "content",
        measure_rows=rows,
        next_after=next_after,
        filters={"status": status or None},
        labels=LABELS,
    )


@bp.route("/measures/<int:measure_id>", methods=["GET", "POST"])
@roles_required(*VENDOR_ROLES)
def measure(measure_id):
    """An improvement measure: what is done about the criterion, by whom and when; marked done when it is."""
    row = get_or_404(ImprovementMeasure, measure_id, current_tenant)
    plan = {
        "what": row.what or str(SUGGESTED_ACTIONS[row.criterion]),
        "why": row.why,
        "owner_id": row.owner_id or 0,
        "due_on": row.due_on,
        "status": row.status,
    }
    form = MeasureForm(data=plan if request.method == "GET" else None)
    form.owner_id.choices = choices(
        [(0, _("Nobody yet")), *((u.id, u.name) for u in measures.vendor_people(current_tenant))]
    )
    form.status.choices = choices([(s.value, MEASURE_STATUS_LABELS[s]) for s in measures.OWNER_STATUSES])
    status = 200
    if request.method == "POST":
        if row.status not in measures.OWNER_STATUSES:
            abort(409)
        if form.validate_on_submit():
            try:
                measures.update_measure(
                    row,
                    current_user._get_current_object(),
                    what=form.what.data,
                    why=form.why.data or "",
                    owner_id=form.owner_id.data or None,
                    due_on=form.due_on.data,
                    status=form.status.data,
                )
            except ServiceError as exc:
                db.session.rollback()
                form.what.errors = [*form.what.errors, str(exc)]
                status = 422
            else:
                db.session.commit()
                flash(_("Measure saved."), "success")
                return redirect(url_for("evaluations.measure", measure_id=row.id))
        else:
            status = 422
    return render("satisfaction/measure.html", status=status, measure=row, form=form, labels=LABELS)


@bp.route("/policy", methods=["GET", "POST"])
@roles_required(Role.VENDOR_ADMIN)
def policy():
    """The weights of the criteria and the thresholds below which improvement measures open (§11.2, §11.3)."""
    current = policy_of(current_tenant.id)
    form = PolicyForm(obj=current if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            data = {name: getattr(form, name).data for name in form.data if name != "csrf_token"}
            try:
                measures.save_policy(current_tenant, data, current_user._get_current_object())
            except ServiceError as exc:
                db.session.rollback()
                form.weight_survey.errors = [*form.weight_survey.errors, str(exc)]
                status = 422
            else:
                db.session.commit()
                flash(_("Evaluation settings saved; they apply to the evaluations made from now on."), "success")
                return redirect(url_for("evaluations.policy"))
        else:
            status = 422
    return render("satisfaction/policy.html", status=status, form=form)


@portal_bp.get("/")
@roles_required(*CLIENT_ROLES)
def portal_index():
    """The latest evaluation of each of our agreements."""
    return _overview(portal=True)


@portal_bp.get("/agreements/<int:contract_id>")
@roles_required(*CLIENT_ROLES)
def portal_agreement(contract_id):
    """Our agreement's evaluations over time and the vendor's improvement measures with their outcome."""
    return _agreement(contract_id, portal=True)


@portal_bp.get("/<int:evaluation_id>")
@roles_required(*CLIENT_ROLES)
def portal_detail(evaluation_id):
    """How one evaluation of our agreement was computed."""
    return _detail(evaluation_id, portal=True)
