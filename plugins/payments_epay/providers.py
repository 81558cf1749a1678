"""Online payment providers behind one interface: start a page payment, read a notification, query a trade.

Alipay is implemented with python-alipay-sdk (RSA2). The sandbox provider is the same Alipay protocol pointed
at a stand-in gateway with the keys it made: this module learns its address and keys through the core's
`saas_payment_sandbox` hook (answered by the payments_epay_sandbox plugin where it is installed and enabled),
never by importing it. Another provider (WeChat Pay, Stripe) implements `Provider` and is added to `provider_for`.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _

from plugins.payments_epay.names import ALIPAY, ALIPAY_TIME, BEIJING, NAME, SANDBOX
from saas.core.clock import now
from saas.core.errors import ServiceError
from saas.core.plugins import PaymentSandbox, plugin_manager
from saas.core.tenants import plugin_settings

log = logging.getLogger(__name__)


#: What a provider says of a trade, whatever its own words for it: paid, closed, still waiting, or unknown to it.
PAID, CLOSED, WAITING, MISSING = "paid", "closed", "waiting", "missing"


@dataclass(frozen=True)
class Notification:
    """A provider's notification whose signature verified, read into what we check and act on."""

    app_id: str
    seller_id: str
    out_trade_no: str
    trade_no: str
    #: PAID, CLOSED or WAITING.
    status: str
    #: None when the provider sent something that is not an amount.
    amount: Decimal | None
    #: Every parameter as received, the signature included: the evidence kept with the trade.
    data: dict = field(default_factory=dict)
    #: What the provider says it has refunded of the trade so far (Alipay's refund_fee), None when nothing.
    refunded: Decimal | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """What the provider says of a trade when asked (its answer's signature verified)."""

    #: PAID, CLOSED, WAITING, or MISSING when the provider has no such trade (the payer never opened it).
    status: str
    trade_no: str = ""
    amount: Decimal | None = None
    data: dict = field(default_factory=dict)


class ProviderError(Exception):
    """The provider could not be reached, or answered something we cannot trust: try again later."""


class ProviderUnavailable(ServiceError):
    """The tenant's provider is not set up (or is the sandbox, in production): no online payment."""


class Provider(Protocol):
    """What the plugin needs of an online payment provider."""

    name: str
    app_id: str
    seller_id: str

    def page_pay_url(
        self,
        *,
        out_trade_no: str,
        subject: str,
        amount: Decimal,
        expires_at: datetime,
        return_url: str,
        notify_url: str,
    ) -> str:
        """The address of the provider's cashier for this trade, signed."""

    def read_notification(self, params: dict) -> Notification | None:
        """The notification read, or None when its signature does not verify."""

    def query(self, out_trade_no: str) -> QueryAnswer:
        """Ask the provider about a trade; raises ProviderError when it cannot answer."""

    def answer(self, accepted: bool):
        """What the provider expects back from a notification: (body, status)."""


class AlipayProvider:
    """Alipay's open platform protocol (page pay, asynchronous notifications, trade query), signed with RSA2."""

    GATEWAY = "https://openapi.alipay.com/gateway.do"
    #: Alipay's trade statuses, as the plugin reads them.
    STATUSES = {"TRADE_SUCCESS": PAID, "TRADE_FINISHED": PAID, "TRADE_CLOSED": CLOSED, "WAIT_BUYER_PAY": WAITING}

    def __init__(
        self,
        name: str,
        app_id: str,
        seller_id: str,
        app_private_key: str,
        alipay_public_key: str,
        gateway: str = GATEWAY,
    ):
        from alipay import AliPay

        self.name, self.app_id, self.seller_id = name, app_id, seller_id
        self._sdk = AliPay(
            appid=app_id,
            app_private_key_string=app_private_key,
            alipay_public_key_string=alipay_public_key,
            sign_type="RSA2",
        )
        self._sdk._gateway = gateway  # the SDK keeps its gateway here; the sandbox provider points it at ours

    @property
    def gateway(self) -> str:
        return self._sdk._gateway

    def _body(self, method: str, biz_content: dict, **extra) -> dict:
        # The SDK stamps requests with the server's local time; Alipay wants Beijing time within minutes of its own.
        return self._sdk.build_body(
            method, biz_content, timestamp=now().astimezone(BEIJING).strftime(ALIPAY_TIME), **extra
        )

    def page_pay_url(self, *, out_trade_no, subject, amount, expires_at, return_url, notify_url) -> str:
        """alipay.trade.page.pay: the payer's browser goes to the gateway with this signed query string."""
        biz = {
            "subject": subject,
            "out_trade_no": out_trade_no,
            "total_amount": str(amount),
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "time_expire": expires_at.astimezone(BEIJING).strftime(ALIPAY_TIME),
        }
        body = self._body("alipay.trade.page.pay", biz, return_url=return_url, notify_url=notify_url)
        return f"{self.gateway}?{self._sdk.sign_data(body)}"

    def read_notification(self, params: dict) -> Notification | None:
        """Verify the RSA2 signature over every parameter but sign and sign_type, then read it."""
        data = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
        if params.get("sign_type", "RSA2") != "RSA2" or not params.get("sign"):
            return None
        try:
            verified = self._sdk.verify(dict(data), params["sign"])
        except (ValueError, TypeError):  # a signature that is not even base64
            return None
        if not verified:
            return None
        return Notification(
            app_id=data.get("app_id", ""),
            seller_id=data.get("seller_id", ""),
            out_trade_no=data.get("out_trade_no", ""),
            trade_no=data.get("trade_no", ""),
            status=self.STATUSES.get(data.get("trade_status", ""), WAITING),
            amount=_amount(data.get("total_amount")),
            data=dict(params),
            refunded=_amount(data.get("refund_fee")) or None,
        )

    def query(self, out_trade_no: str) -> QueryAnswer:
        """alipay.trade.query, its signed answer verified by the SDK."""
        from alipay.exceptions import AliPayException, AliPayValidationError

        body = self._body("alipay.trade.query", {"out_trade_no": out_trade_no})
        try:
            result = self._sdk.verified_sync_response(body, "alipay_trade_query_response")
        except AliPayValidationError as exc:
            raise ProviderError(f"{self.name}: the answer's signature does not verify") from exc
        except (AliPayException, OSError, ValueError, AttributeError) as exc:  # refused, unreachable, not its JSON
            raise ProviderError(f"{self.name}: {exc}") from exc
        if result.get("code") == "10000" and result.get("out_trade_no") == out_trade_no:
            return QueryAnswer(
                self.STATUSES.get(result.get("trade_status", ""), WAITING),
                result.get("trade_no", ""),
                _amount(result.get("total_amount")),
                result,
            )
        if result.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return QueryAnswer(MISSING, data=result)
        raise ProviderError(f"{self.name}: {result.get('code')} {result.get('sub_code')} {result.get('sub_msg')}")

    def answer(self, accepted: bool):
        """Alipay reads the plain text "success"; anything else and it sends the notification again."""
        return ("success", 200) if accepted else ("fail", 400)


def _amount(text) -> Decimal | None:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def sandbox_allowed() -> bool:
    """The sandbox gateway is for development and tests only."""
    return current_app.config["ENV_NAME"] != "production"


def sandbox_for(tenant, create: bool = False) -> PaymentSandbox | None:
    """The stand-in Alipay gateway a sandbox plugin offers `tenant` (its address and the tenant's keys there), or None.

    None in production, and wherever no sandbox plugin is installed and enabled for the tenant. With `create`, the
    sandbox makes the tenant's app and keys if it has none yet; without, they are empty until then.
    """
    if not sandbox_allowed():
        return None
    return plugin_manager().for_tenant(tenant).saas_payment_sandbox(tenant=tenant, provider=ALIPAY, create=create)


def chosen(tenant) -> str:
    """The provider the tenant chose in its settings (Alipay until it chooses)."""
    return plugin_settings(tenant, NAME).get("provider") or ALIPAY


def is_ready(tenant) -> bool:
    """Whether the tenant's chosen provider can take payments now (without making anything)."""
    settings = plugin_settings(tenant, NAME)
    if chosen(tenant) == SANDBOX:
        return sandbox_for(tenant) is not None
    return all(settings.get(k) for k in ("app_id", "app_private_key", "alipay_public_key"))


def provider_for(tenant, name: str | None = None, create: bool = False) -> Provider:
    """The tenant's provider (`name`, or the one it chose), with its credentials; ProviderUnavailable otherwise.

    `create` makes the sandbox's app and keys when the tenant has none yet (starting a payment does).
    """
    name = name or chosen(tenant)
    if name == SANDBOX:
        sandbox = sandbox_for(tenant, create=create)
        if sandbox is None or not sandbox.app_id:
            raise ProviderUnavailable(_("The sandbox gateway is not available here."))
        return AlipayProvider(
            SANDBOX,
            sandbox.app_id,
            sandbox.seller_id,
            sandbox.merchant_private_key,
            sandbox.gateway_public_key,
            gateway=sandbox.gateway_url,
        )
    settings = plugin_settings(tenant, NAME)
    if name != ALIPAY or not all(settings.get(k) for k in ("app_id", "app_private_key", "alipay_public_key")):
        raise ProviderUnavailable(_("Online payment is not set up yet: the vendor has to enter its Alipay keys."))
    return AlipayProvider(
        ALIPAY,
        settings["app_id"],
        settings.get("seller_id") or "",
        settings["app_private_key"],
        settings["alipay_public_key"],
    )
