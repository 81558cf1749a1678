"""Screens of online payment: the vendor's list of trades; the payer's way on to the provider's cashier."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plugins.payments_epay import services
from plugins.payments_epay.models import EpayTrade, TradeStatus
from plugins.payments_epay.names import NAME, SANDBOX
from plugins.payments_epay.providers import ProviderUnavailable
from saas.core.models import CLIENT_ROLES, Role
from saas.core.parsing import parse_id
from saas.core.plugins import plugin_blueprint
from saas.core.rendering import render
from saas.core.tenancy import current_tenant, get_or_404, roles_required, visible_client_id

bp = plugin_blueprint(NAME, __name__)
staff = roles_required(Role.VENDOR_ADMIN, Role.VENDOR_BILLING)
STATUS_LABELS = {
    TradeStatus.CREATED: _l("Waiting for the provider"),
    TradeStatus.PAID: _l("Paid"),
    TradeStatus.CLOSED: _l("Closed, not paid"),
}
#: The invoice badges' colours: waiting like an open invoice, paid like a paid one, closed greyed out.
BADGES = {TradeStatus.CREATED: "issued", TradeStatus.PAID: "paid", TradeStatus.CLOSED: "withdrawn"}


@bp.get("/trades")
@staff
def trades():
    """The tenant's online payments, newest first: what each press of Pay became, and what the provider said."""
    status = request.args.get("status", "")
    status = status if status in TradeStatus.__members__.values() else ""
    before = request.args.get("before", type=parse_id)
    rows, next_before = services.list_trades(current_tenant, status=status, before=before)
    return render(
        "payments_epay/trades.html",
        block="rows" if before else "content",
        trades=rows,
        next_before=next_before,
        chosen=status,
        statuses=list(TradeStatus),
        trade_status_labels=STATUS_LABELS,
        trade_badges=BADGES,
    )


@bp.get("/trades/<int:trade_id>")
@staff
def trade(trade_id):
    """One trade: its invoice, numbers and times, and the last notification the provider sent, as it came."""
    row = get_or_404(EpayTrade, trade_id, current_tenant)
    provider_label = _l("Alipay (sandbox)") if row.provider == SANDBOX else _l("Alipay")
    return render(
        "payments_epay/trade.html",
        trade=row,
        provider_label=provider_label,
        trade_status_labels=STATUS_LABELS,
        trade_badges=BADGES,
    )


@bp.get("/trades/<int:trade_id>/go")
@roles_required(*CLIENT_ROLES)
def go(trade_id):
    """On to the provider's cashier for a trade just started: this page forwards the payer's browser there."""
    trade = get_or_404(EpayTrade, trade_id, current_tenant, visible_client_id())
    back = redirect(url_for("portal_billing.portal_detail", invoice_id=trade.invoice_id))
    if not services.is_open(trade):
        flash(_("This online payment has ended; press Pay again to start a new one."), "info")
        return back
    try:
        url = services.cashier_url(current_tenant, trade)
    except ProviderUnavailable as exc:
        flash(str(exc), "error")
        return back
    response = render("payments_epay/go.html", trade=trade, url=url)
    # A redirect after the portal's form would be refused by our CSP (form-action 'self'); a refresh is not.
    response.headers["Refresh"] = f"0;url={url}"
    return response
