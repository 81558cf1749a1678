"""The sandbox gateway's pages (development and tests only; 404 in production): Alipay's gateway and cashier."""

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request, url_for

from plugins.payments_epay import sandbox, tasks
from plugins.payments_epay.providers import sandbox_allowed
from saas.core import dbscope
from saas.core.forms import ConfirmForm
from saas.core.models import Tenant
from saas.extensions import csrf, db

bp = Blueprint("payments_epay_sandbox", __name__, url_prefix="/sandbox/alipay", template_folder="templates")
PAGE_PAY, QUERY = "alipay.trade.page.pay", "alipay.trade.query"


@bp.before_request
def _off_in_production():
    if not sandbox_allowed():
        abort(404)
    dbscope.enter_platform()  # a stand-in for the provider's own system, which serves every merchant


@bp.route("/gateway.do", methods=["GET", "POST"])
@csrf.exempt  # the merchant's RSA2 signature is checked instead
def gateway():
    """Alipay's gateway: page pay opens the trade and sends the payer to the cashier; trade query answers it."""
    params = request.values.to_dict()
    method = params.get("method", "")
    try:
        app = sandbox.check_request(params)
        if method == PAGE_PAY:
            trade = sandbox.open_trade(app, params)
            db.session.commit()
            return redirect(url_for(".cashier", token=trade.token), 303)
        if method == QUERY:
            return Response(sandbox.query_body(app, params), mimetype="application/json")
        raise sandbox.GatewayError("40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名")
    except sandbox.GatewayError as exc:
        db.session.rollback()
        if method == PAGE_PAY:  # the payer's browser is here: show the refusal
            return render_template("payments_epay/gateway_error.html", error=exc), 400
        return Response(sandbox.signed_answer(None, method or "error", exc.fields()), mimetype="application/json")


def _trade_or_404(token: str):
    trade = sandbox.by_token(token)
    if trade is None:
        abort(404)
    return trade


@bp.get("/cashier/<token>")
def cashier(token):
    """The cashier of one trade: who is paid, for what, how much; Pay or Cancel. Once done: back to the merchant."""
    trade = _trade_or_404(token)
    status = sandbox.status_of(trade)
    back = sandbox.return_url(trade) if status != sandbox.WAITING else ""
    response = make_response(render_template("payments_epay/cashier.html", trade=trade, status=status, back=back,
                                             merchant=db.session.get(Tenant, trade.tenant_id), form=ConfirmForm()))
    if back and trade.status != sandbox.WAITING:
        response.headers["Refresh"] = f"1;url={back}"  # as Alipay does after paying: a moment, then the merchant
    return response


@bp.post("/cashier/<token>")
def cashier_action(token):
    """The payer pays or cancels: the gateway's books change, the merchant is notified, the payer goes back."""
    trade = _trade_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    actions = {"pay": sandbox.pay, "cancel": sandbox.cancel}
    if request.form.get("action") not in actions:
        abort(400)
    changed = actions[request.form["action"]](trade)
    db.session.commit()
    if changed:
        tasks.notify(sandbox.by_token(token))
    return redirect(url_for(".cashier", token=token), 303)
