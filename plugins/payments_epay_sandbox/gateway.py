"""The sandbox gateway (development and tests only): Alipay's protocol, spoken with its own keys and its own books.

It depends on payments_epay (the RSA2 keys module and its constants), never the other way: payments_epay learns
this gateway's address and the tenant's keys through the `saas_payment_sandbox` hook (plugin.py).

It checks the merchant's RSA2 signature with the merchant's public key, keeps each trade the merchant opens,
lets the payer pay or cancel at its cashier, signs its notifications, returns and query answers with the
gateway's private key, and posts notifications to the merchant until the merchant answers "success".
"""

import hashlib
import json
import re
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.payments_epay import keys
from plugins.payments_epay.names import ALIPAY_TIME, BEIJING
from plugins.payments_epay_sandbox.models import SandboxApp, SandboxTrade
from saas.core.clock import now
from saas.core.links import base_url
from saas.core.plugins import PaymentSandbox
from saas.extensions import db

#: Where the gateway answers, under the app (or under PAYMENTS_EPAY_SANDBOX_URL, another origin as Alipay is).
GATEWAY_PATH = "/sandbox/alipay/gateway.do"
WAITING, SUCCESS, CLOSED = "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"
#: Alipay refuses requests stamped further than this from its own clock.
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")
#: Who pays at the sandbox cashier: a made-up buyer, as in Alipay's sandbox.
BUYER_ID, BUYER_LOGON_ID = "2088102177846880", "sandbox***@example.com"


class GatewayError(Exception):
    """A request the gateway refuses, in Alipay's words: code, msg, sub_code, sub_msg."""

    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str):
        super().__init__(f"{code} {sub_code}: {sub_msg}")
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg

    def fields(self) -> dict:
        return {"code": self.code, "msg": self.msg, "sub_code": self.sub_code, "sub_msg": self.sub_msg}


def _invalid(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError("40002", "Invalid Arguments", sub_code, sub_msg)


def _business(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError("40004", "Business Failed", sub_code, sub_msg)


def allowed() -> bool:
    """Never in production, even where the plugin was installed by mistake: it would take no real money."""
    return current_app.config["ENV_NAME"] != "production"


def gateway_url() -> str:
    """The sandbox gateway's address: PAYMENTS_EPAY_SANDBOX_URL if set, else this app at BASE_URL."""
    return (current_app.config.get("PAYMENTS_EPAY_SANDBOX_URL") or base_url()).rstrip("/") + GATEWAY_PATH


def credentials(tenant, create: bool = False) -> PaymentSandbox:
    """What the merchant side needs to pay against this gateway: its address and the tenant's app and keys."""
    app = app_for(tenant, create=create)
    if app is None:
        return PaymentSandbox(gateway_url())
    return PaymentSandbox(gateway_url(), app.app_id, app.seller_id, app.merchant_private_key, app.gateway_public_key)


def app_for(tenant, create: bool = False) -> SandboxApp | None:
    """The tenant's sandbox app; made with fresh IDs and key pairs the first time when `create`."""
    app = db.session.scalar(select(SandboxApp).where(SandboxApp.tenant_id == tenant.id))
    if app is not None or not create:
        return app
    merchant_private, merchant_public = keys.generate()
    gateway_private, gateway_public = keys.generate()
    app = SandboxApp(
        tenant_id=tenant.id,
        app_id="9021" + _digits(12),
        seller_id="2088" + _digits(12),
        merchant_private_key=merchant_private,
        merchant_public_key=merchant_public,
        gateway_private_key=gateway_private,
        gateway_public_key=gateway_public,
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(app)
    except IntegrityError:  # another request made it at the same moment: use that one
        app = db.session.scalar(select(SandboxApp).where(SandboxApp.tenant_id == tenant.id))
    return app


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def check_request(params: dict) -> SandboxApp:
    """The app that sent this request, once its RSA2 signature and timestamp check out; GatewayError otherwise."""
    app = db.session.scalar(select(SandboxApp).where(SandboxApp.app_id == str(params.get("app_id", ""))))
    if app is None:
        raise _invalid("isv.invalid-app-id", "无效的AppID参数")
    if params.get("sign_type") != "RSA2":
        raise _invalid("isv.invalid-signature-type", "无效的签名类型")
    # A request's signature covers every parameter but sign itself (sign_type included), as the SDK signs it.
    if not keys.verify(app.merchant_public_key, keys.signing_string(params, exclude=("sign",)), params.get("sign", "")):
        raise _invalid("isv.invalid-signature", "验签出错")
    stamped = _beijing(params.get("timestamp", ""))
    if stamped is None or abs(now() - stamped) > TIMESTAMP_TOLERANCE:
        raise _invalid("isv.invalid-timestamp", "非法的时间戳参数")
    return app


def _beijing(text: str) -> datetime | None:
    """A time Alipay writes ("2026-01-15 10:00:00", Beijing time) as aware UTC; None when it is not one."""
    try:
        return datetime.strptime(text, ALIPAY_TIME).replace(tzinfo=BEIJING)
    except (TypeError, ValueError):
        return None


def _biz(params: dict) -> dict:
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        biz = None
    if not isinstance(biz, dict):
        raise _invalid("isv.invalid-biz-content", "biz_content 不是 JSON 对象")
    return biz


def open_trade(app: SandboxApp, params: dict) -> SandboxTrade:
    """alipay.trade.page.pay: the trade the payer is about to pay, made once per out_trade_no."""
    biz = _biz(params)
    out_trade_no, subject = str(biz.get("out_trade_no", "")), str(biz.get("subject", "")).strip()
    if not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise _invalid("isv.invalid-out-trade-no", "商户订单号不合法")
    if not 0 < len(subject) <= 256:
        raise _invalid("isv.invalid-subject", "订单标题不合法")
    if biz.get("product_code") != "FAST_INSTANT_TRADE_PAY":
        raise _invalid("isv.invalid-product-code", "销售产品码不合法")
    amount = _money(biz.get("total_amount"))
    notify_url = params.get("notify_url", "")
    if urlsplit(notify_url).scheme not in ("http", "https"):
        raise _invalid("isv.invalid-notify-url", "notify_url 不合法")
    expires_at = _beijing(biz["time_expire"]) if biz.get("time_expire") else None
    if biz.get("time_expire") and expires_at is None:
        raise _invalid("isv.invalid-time-expire", "time_expire 格式不正确")
    trade = db.session.scalar(
        select(SandboxTrade).where(SandboxTrade.app_id == app.id, SandboxTrade.out_trade_no == out_trade_no)
    )
    if trade is not None:
        if (trade.total_amount, trade.subject) != (amount, subject):
            raise _business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        return trade
    trade = SandboxTrade(
        tenant_id=app.tenant_id,
        app_id=app.id,
        out_trade_no=out_trade_no,
        subject=subject,
        total_amount=amount,
        trade_no=_trade_no(),
        token=secrets.token_urlsafe(24),
        status=WAITING,
        notify_url=notify_url,
        return_url=params.get("return_url", ""),
        expires_at=expires_at,
        created_at=now(),
    )
    db.session.add(trade)
    db.session.flush()
    return trade


def _money(text) -> Decimal:
    try:
        amount = Decimal(str(text))
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount > Decimal("100000000") or amount.as_tuple().exponent < -2:
        raise _invalid("isv.invalid-total-amount", "订单金额不合法")
    return amount.quantize(Decimal("0.01"))


def _trade_no() -> str:
    """28 digits, as Alipay's: the Beijing date, 22, and random digits."""
    return now().astimezone(BEIJING).strftime("%Y%m%d") + "22" + _digits(18)


def by_token(token: str) -> SandboxTrade | None:
    """The trade whose cashier this is."""
    return db.session.scalar(select(SandboxTrade).where(SandboxTrade.token == token))


def _locked(trade: SandboxTrade) -> SandboxTrade:
    return db.session.scalar(
        select(SandboxTrade)
        .where(SandboxTrade.id == trade.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def status_of(trade: SandboxTrade) -> str:
    """The trade's status as the gateway reports it: an unpaid trade past its time_expire is closed."""
    if trade.status == WAITING and trade.expires_at is not None and now() >= trade.expires_at:
        return CLOSED
    return trade.status


def pay(trade: SandboxTrade) -> bool:
    """The payer pays at the cashier; False when the trade is no longer waiting (paid, closed or expired)."""
    trade = _locked(trade)
    if status_of(trade) != WAITING:
        return False
    trade.status, trade.paid_at = SUCCESS, now()
    trade.notify_attempts, trade.notified_at = 0, None
    return True


def cancel(trade: SandboxTrade) -> bool:
    """The payer gives up at the cashier: the trade is closed; False when it was not waiting."""
    trade = _locked(trade)
    if trade.status != WAITING:
        return False
    trade.status, trade.closed_at = CLOSED, now()
    trade.notify_attempts, trade.notified_at = 0, None
    return True


def _alipay_time(value: datetime | None) -> str:
    return value.astimezone(BEIJING).strftime(ALIPAY_TIME) if value else ""


def _signed(app: SandboxApp, params: dict) -> dict:
    """Parameters with the gateway's RSA2 signature over all of them but sign and sign_type (notifications, returns)."""
    params = {k: v for k, v in params.items() if v not in ("", None)}
    params["sign_type"] = "RSA2"
    params["sign"] = keys.sign(app.gateway_private_key, keys.signing_string(params))
    return params


def notification(trade: SandboxTrade, status: str | None = None) -> dict:
    """The signed asynchronous notification of the trade's status (or of `status`, e.g. TRADE_FINISHED)."""
    status = status or trade.status
    app = trade.app
    paid = status in (SUCCESS, "TRADE_FINISHED") or trade.paid_at is not None
    return _signed(
        app,
        {
            "notify_time": _alipay_time(now()),
            "notify_type": "trade_status_sync",
            "notify_id": hashlib.sha256(f"{trade.trade_no}:{status}".encode()).hexdigest()[:34],
            "charset": "utf-8",
            "version": "1.0",
            "app_id": app.app_id,
            "auth_app_id": app.app_id,
            "seller_id": app.seller_id,
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": status,
            "subject": trade.subject,
            "total_amount": str(trade.total_amount),
            "receipt_amount": str(trade.total_amount) if paid else "",
            "buyer_pay_amount": str(trade.total_amount) if paid else "",
            "buyer_id": BUYER_ID,
            "buyer_logon_id": BUYER_LOGON_ID,
            "gmt_create": _alipay_time(trade.created_at),
            "gmt_payment": _alipay_time(trade.paid_at),
            "gmt_close": _alipay_time(trade.closed_at),
        },
    )


def return_url(trade: SandboxTrade) -> str:
    """Where the payer's browser goes back to: the merchant's return_url, with the signed synchronous return."""
    if not trade.return_url:
        return ""
    if trade.status != SUCCESS:
        return trade.return_url  # Alipay adds nothing when the payer did not pay
    app = trade.app
    params = _signed(
        app,
        {
            "charset": "utf-8",
            "method": "alipay.trade.page.pay.return",
            "version": "1.0",
            "app_id": app.app_id,
            "auth_app_id": app.app_id,
            "seller_id": app.seller_id,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": str(trade.total_amount),
            "timestamp": _alipay_time(trade.paid_at),
        },
    )
    return trade.return_url + ("&" if "?" in trade.return_url else "?") + urlencode(params)


def query_body(app: SandboxApp, params: dict) -> str:
    """alipay.trade.query: the trade's state as signed JSON in Alipay's response shape."""
    biz = _biz(params)
    stmt = select(SandboxTrade).where(SandboxTrade.app_id == app.id)
    if biz.get("out_trade_no"):
        stmt = stmt.where(SandboxTrade.out_trade_no == str(biz["out_trade_no"]))
    elif biz.get("trade_no"):
        stmt = stmt.where(SandboxTrade.trade_no == str(biz["trade_no"]))
    else:
        raise _invalid("isv.missing-out-trade-no", "缺少商户订单号或支付宝交易号")
    trade = db.session.scalar(stmt)
    if trade is None:
        return signed_answer(
            app,
            "alipay.trade.query",
            {
                **_business("ACQ.TRADE_NOT_EXIST", "交易不存在").fields(),
                "out_trade_no": str(biz.get("out_trade_no", "")),
            },
        )
    status = status_of(trade)
    paid = status == SUCCESS
    return signed_answer(
        app,
        "alipay.trade.query",
        {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": BUYER_LOGON_ID,
            "buyer_user_id": BUYER_ID,
            "trade_status": status,
            "total_amount": str(trade.total_amount),
            "buyer_pay_amount": str(trade.total_amount) if paid else "0.00",
            "receipt_amount": str(trade.total_amount) if paid else "0.00",
            **({"send_pay_date": _alipay_time(trade.paid_at)} if paid else {}),
        },
    )


def signed_answer(app: SandboxApp | None, method: str, fields: dict) -> str:
    """{"<method>_response": {...}, "sign": "..."}: the gateway signs the exact text of the response object.

    Without an app (the request named none we know) the answer is unsigned, as Alipay's is for such errors.
    """
    key = method.replace(".", "_") + "_response"
    content = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if app is None:
        return json.dumps({key: fields}, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{key}":{content},"sign":"{keys.sign(app.gateway_private_key, content)}"}}'


class NotAcknowledged(Exception):
    """The merchant did not answer "success" to a notification (or could not be reached): it is sent again."""


def post_notification(url: str, params: dict) -> None:
    """POST the notification as a form; NotAcknowledged unless the answer is the plain text "success"."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    # http(s) only: checked on open.
    req = urllib.request.Request(url, data=urlencode(params).encode(), method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=15) as response:  # noqa: S310
            answer = response.read(100).decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        answer = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        raise NotAcknowledged(f"{url}: {exc}") from exc
    if answer != "success":
        raise NotAcknowledged(f"{url} answered {answer!r}")
