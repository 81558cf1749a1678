"""The sandbox gateway's pages (development and tests only): Alipay's gateway and cashier.

Not tenant-facing: the merchant's server and the payer's browser reach them as they reach Alipay, without
signing in to Aftercare, possibly on another origin (PAYMENTS_EPAY_SANDBOX_URL). So the blueprint is declared
with plugin_public_blueprint(), and each view finds the tenant from the app or trade it is asked about and
answers 404 when that tenant has not enabled this plugin.
"""

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from plugins.payments_epay_sandbox import gateway as sandbox
from plugins.payments_epay_sandbox import tasks
from plugins.payments_epay_sandbox.models import SandboxApp
from plugins.payments_epay_sandbox.names import NAME
from saas.core import dbscope
from saas.core.forms import ConfirmForm
from saas.core.models import Tenant
from saas.core.plugins import plugin_public_blueprint, require_enabled
from saas.extensions import csrf, db

bp = plugin_public_blueprint(NAME, __name__, url_prefix="/sandbox/alipay")
PAGE_PAY, QUERY = "alipay.trade.page.pay", "alipay.trade.query"


@bp.before_request
def _off_in_production():
    if not sandbox.allowed():
        abort(404)
    dbscope.enter_platform()  # a stand-in for the provider's own system, which serves every merchant


def _enabled_for_app(app_id: str) -> None:
    """404 when the named app's tenant has not enabled the sandbox (an unknown app is the gateway's to refuse)."""
    tenant_id = db.session.scalar(select(SandboxApp.tenant_id).where(SandboxApp.app_id == app_id))
    if tenant_id is not None:
        require_enabled(NAME, db.session.get(Tenant, tenant_id))


@bp.route("/gateway.do", methods=["GET", "POST"])
@csrf.exempt  # the merchant's RSA2 signature is checked instead
def gateway():
    """Alipay's gateway: page pay opens the trade and sends the payer to the cashier; trade query answers it."""
    params = request.values.to_dict()
    method = params.get("method", "")
    _enabled_for_app(str(params.get("app_id", "")))
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
            return render_template("payments_epay_sandbox/gateway_error.html", error=exc), 400
        return Response(sandbox.signed_answer(None, method or "error", exc.fields()), mimetype="application/json")


def _trade_or_404(token: str):
    """The trade whose cashier this is, if its tenant has the sandbox enabled."""
    trade = sandbox.by_token(token)
    if trade is None:
        abort(404)
    require_enabled(NAME, db.session.get(Tenant, trade.tenant_id))
    return trade


@bp.get("/cashier/<token>")
def cashier(token):
    """The cashier of one trade: who is paid, for what, how much; Pay or Cancel. Once done: back to the merchant."""
    trade = _trade_or_404(token)
    status = sandbox.status_of(trade)
    back = sandbox.return_url(trade) if status != sandbox.WAITING else ""
    response = make_response(
        render_template(
            "payments_epay_sandbox/cashier.html",
            trade=trade,
            status=status,
            back=back,
            merchant=db.session.get(Tenant, trade.tenant_id),
            form=ConfirmForm(),
        )
    )
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
