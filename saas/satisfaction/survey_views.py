"""Screens of the period's survey (annex 9): the vendor's surveys with their response rates and results, and its
question editor; the client's surveys to answer, the answer form, its admin's results and panel; the page the
e-mailed link opens without signing in."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.core import dbscope
from saas.core.errors import ServiceError
from saas.core.models import CLIENT_ROLES, VENDOR_ROLES, Membership, Role
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, tenant_blueprint, visible_client_id
from saas.extensions import db, limiter
from saas.satisfaction import surveys
from saas.satisfaction.models import Survey, SurveyQuestion
from saas.satisfaction.survey_forms import CRITERION_LABELS, SCORE_LABELS, AnswerForm, ButtonForm, QuestionForm
from saas.satisfaction.views import link_bp

bp = tenant_blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")
portal_bp = tenant_blueprint("portal_surveys", __name__, url_prefix="/portal/surveys", template_folder="templates")

vendor_only = roles_required(*VENDOR_ROLES)
vendor_admin = roles_required(Role.VENDOR_ADMIN)
client_only = roles_required(*CLIENT_ROLES)
client_admin = roles_required(Role.CLIENT_ADMIN)


def _me():
    return current_user._get_current_object()


def _labels() -> dict:
    return {
        "criteria": CRITERION_LABELS,
        "scores": SCORE_LABELS,
        "text": surveys.question_text,
        "period": surveys.period_label,
        "is_open": surveys.is_open,
        "open_until": surveys.open_until,
    }


# The vendor's side -------------------------------------------------------------------------------------------------


@bp.get("/")
@vendor_only
def index():
    """Every agreement's surveys, newest first, with the response rate (answered invitations / invitations)."""
    return render("satisfaction/surveys.html", rows=surveys.list_surveys(current_tenant), portal=False, **_labels())


@bp.get("/<int:survey_id>")
@vendor_only
def results(survey_id):
    """One survey's results: a breakdown and the comments only from MIN_RESPONSES responses."""
    survey = get_or_404(Survey, survey_id, current_tenant)
    return render(
        "satisfaction/survey_results.html",
        survey=survey,
        shown=surveys.results(survey),
        minimum=surveys.MIN_RESPONSES,
        back=url_for("surveys.index"),
        **_labels(),
    )


def _editor(status: int = 200, form=None, errors=None, failed_id=None):
    surveys.ensure_questions(current_tenant)
    db.session.commit()
    return render(
        "satisfaction/survey_questions.html",
        status=status,
        rows=surveys.questions(current_tenant),
        form=form or QuestionForm(formdata=None),
        button=ButtonForm(formdata=None),
        errors=errors or [],
        failed_id=failed_id,
        **_labels(),
    )


@bp.get("/questions")
@vendor_admin
def questions():
    """The survey editor: the questions in their order, each editable in both languages."""
    return _editor()


def _form_errors(form) -> list[str]:
    return [str(e) for f in form for e in f.errors]


@bp.post("/questions")
@vendor_admin
def add_question():
    form = QuestionForm()
    if not form.validate_on_submit():
        return _editor(422, form=form, errors=_form_errors(form))
    try:
        surveys.add_question(current_tenant, form.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        return _editor(422, form=form, errors=[str(exc)])
    db.session.commit()
    flash(_("The question is added. Surveys already open keep their questions."), "success")
    return redirect(url_for("surveys.questions"))


@bp.post("/questions/<int:question_id>")
@vendor_admin
def edit_question(question_id):
    question = get_or_404(SurveyQuestion, question_id, current_tenant)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _editor(422, errors=_form_errors(form), failed_id=question.id)
    try:
        surveys.edit_question(question, form.data, _me())
    except ServiceError as exc:
        db.session.rollback()
        return _editor(422, errors=[str(exc)], failed_id=question.id)
    db.session.commit()
    flash(_("The question is saved. Surveys already open keep their questions."), "success")
    return redirect(url_for("surveys.questions"))


@bp.post("/questions/<int:question_id>/<any(up, down, off, on):action>")
@vendor_admin
def question_action(question_id, action):
    """Move a question up or down, take it out of use or put it back."""
    question = get_or_404(SurveyQuestion, question_id, current_tenant, for_update=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if action in ("up", "down"):
            surveys.move_question(question, action)
        else:
            surveys.set_active(question, action == "on", _me())
    except ServiceError as exc:
        db.session.rollback()
        return _editor(422, errors=[str(exc)], failed_id=question.id)
    db.session.commit()
    return redirect(url_for("surveys.questions"))


# The client's side -------------------------------------------------------------------------------------------------


def _my_client_id() -> int:
    client_id = visible_client_id()
    if client_id is None:
        abort(404)
    return client_id


@portal_bp.get("/")
@client_only
def portal_index():
    """The client's open surveys this person is invited to; for its admin, every survey of its agreements."""
    client_id = _my_client_id()
    mine = surveys.open_for(current_tenant, client_id, current_user.id)
    rows = surveys.list_surveys(current_tenant, client_id) if g.membership.role == Role.CLIENT_ADMIN else []
    return render("satisfaction/portal_surveys.html", mine=mine, rows=rows, portal=True, **_labels())


def _answer_page(survey, invite, action: str, status: int = 200, **context):
    values = context.pop("values", {})
    return render(
        "satisfaction/survey_form.html",
        status=status,
        survey=survey,
        invite=invite,
        action=action,
        form=context.pop("form", None) or AnswerForm(formdata=None),
        values=values,
        errors=context.pop("errors", {}),
        refusal=context.pop("refusal", None),
        done=context.pop("done", False),
        **_labels(),
        **context,
    )


def _answer(survey, invite, action: str, via_link: bool):
    """Show the form, or take the answers: refused with the reason (422) when a question is unanswered or out of
    1–5, nothing written."""
    form = AnswerForm()
    if request.method == "GET":
        return _answer_page(survey, invite, action)
    if not form.validate_on_submit():
        return _answer_page(survey, invite, action, 422, form=form, values=request.form, errors={})
    scores, comment, errors = surveys.check_answers(survey, request.form)
    if errors:
        return _answer_page(survey, invite, action, 422, form=form, values=request.form, errors=errors)
    try:
        surveys.submit(invite, scores, comment)
    except ServiceError as exc:
        db.session.rollback()
        return _answer_page(survey, invite, action, 410 if via_link else 409, refusal=str(exc))
    db.session.commit()
    return _answer_page(survey, invite, action, done=True)


@portal_bp.route("/<int:survey_id>", methods=["GET", "POST"])
@client_only
def portal_answer(survey_id):
    """The survey form in the portal, for a person of the client's panel: once, while the survey is open."""
    survey = get_or_404(Survey, survey_id, current_tenant, _my_client_id())
    invite = surveys.invite_of(survey, current_user.id)
    action = url_for("portal_surveys.portal_answer", survey_id=survey.id)
    if invite is None:
        return _answer_page(survey, None, action, 403, refusal=surveys.REFUSALS["not_invited"]())
    if invite.answered_at is not None or not surveys.is_open(survey):
        why = "answered" if invite.answered_at is not None else "closed"
        return _answer_page(
            survey, invite, action, 200 if request.method == "GET" else 409, refusal=surveys.REFUSALS[why]()
        )
    return _answer(survey, invite, action, via_link=False)


@portal_bp.get("/<int:survey_id>/results")
@client_admin
def portal_results(survey_id):
    """The client admin's view of its own agreement's survey, under the same anonymity rule as the vendor's."""
    survey = get_or_404(Survey, survey_id, current_tenant, _my_client_id())
    return render(
        "satisfaction/survey_results.html",
        survey=survey,
        shown=surveys.results(survey),
        minimum=surveys.MIN_RESPONSES,
        back=url_for("portal_surveys.portal_index"),
        **_labels(),
    )


@portal_bp.get("/panel")
@client_admin
def portal_panel():
    """The client's people and whether each is on the survey panel."""
    rows = surveys.panel(current_tenant, _my_client_id())
    return render("satisfaction/survey_panel.html", rows=rows, button=ButtonForm(formdata=None))


@portal_bp.post("/panel/<int:membership_id>/<any(off, on):action>")
@client_admin
def portal_panel_change(membership_id, action):
    """Take one of the client's people off the panel, or put them back."""
    membership = get_or_404(Membership, membership_id, current_tenant, _my_client_id())
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        surveys.set_on_panel(membership, action == "on", _me())
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if action == "on":
            flash(_("%(name)s is on the panel again.", name=membership.user.name), "success")
        else:
            flash(
                _(
                    "%(name)s is off the panel: surveys opened from now on do not invite them.",
                    name=membership.user.name,
                ),
                "success",
            )
    return redirect(url_for("portal_surveys.portal_panel"))


# The e-mailed link -------------------------------------------------------------------------------------------------


@link_bp.route("/survey/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def survey_link(token):
    """The page the survey e-mail links to: answer once, without signing in, while the survey is open."""
    action = url_for("satisfaction_link.survey_link", token=token)
    tenant_id = surveys.tenant_of_token(token)
    if tenant_id is None:
        return _answer_page(None, None, action, 404, refusal=surveys.REFUSALS["invalid"]())
    dbscope.enter_tenant(tenant_id)
    invite, why = surveys.invite_of_token(token)
    if why:
        status = 404 if why == "invalid" else 410
        return _answer_page(invite.survey if invite else None, invite, action, status, refusal=surveys.REFUSALS[why]())
    return _answer(invite.survey, invite, action, via_link=True)
