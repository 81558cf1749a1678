"""Payment methods (§3.2) as the core sees them: what the tenant's enabled payment plugins offer, through the hooks.

The core owns the money (saas.billing.payments); each method's plugin owns how the money comes: its
instructions on the invoice, an online payment started from the portal, a provider's notification, and
the reconciliation of what it left open.
"""

from datetime import date

from flask import Request

from saas.billing.models import Invoice
from saas.core.models import Membership, Tenant
from saas.core.plugins import PaymentInstruction, PaymentMethod, plugin_manager


def payment_methods(tenant: Tenant) -> list[PaymentMethod]:
    """The methods the tenant's enabled plugins offer, in display order."""
    hooks = plugin_manager().for_tenant(tenant)
    return sorted((m for group in hooks.saas_payment_methods(tenant=tenant) for m in group), key=lambda m: m.order)


def online_methods(tenant: Tenant) -> list[PaymentMethod]:
    """The methods a client can pay with from the portal."""
    return [m for m in payment_methods(tenant) if m.online]


def instructions(tenant: Tenant, invoice: Invoice) -> list[PaymentInstruction]:
    """How to pay this invoice, one block per enabled method."""
    hooks = plugin_manager().for_tenant(tenant)
    blocks = (b for group in hooks.saas_payment_instructions(tenant=tenant, invoice=invoice) for b in group)
    return sorted(blocks, key=lambda b: b.order)


def start_payment(tenant: Tenant, invoice: Invoice, method: str, membership: Membership, return_url: str) -> str | None:
    """The provider's URL to send the payer to, or None when no enabled method of that name pays online."""
    if method not in {m.name for m in online_methods(tenant)}:
        return None
    hooks = plugin_manager().for_tenant(tenant)
    return hooks.saas_payment_start(
        tenant=tenant, invoice=invoice, method=method, membership=membership, return_url=return_url
    )


def handle_notification(tenant: Tenant, method: str, request: Request):
    """The enabled method's answer to a provider's notification, or None when no enabled plugin takes it."""
    return plugin_manager().for_tenant(tenant).saas_payment_notification(tenant=tenant, method=method, request=request)


def reconcile(tenant: Tenant, today: date) -> int:
    """Let every enabled method settle what it left open; returns how many payments or lines it settled."""
    return sum(plugin_manager().for_tenant(tenant).saas_payment_reconcile(tenant=tenant, today=today))
