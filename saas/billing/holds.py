"""Amounts of invoices held by other domains (an amount under dispute, §9), asked through the saas_amounts_held
hook: the held part of an invoice is owed no overdue breach, no late penalty and no reminder while it is held."""

from collections import defaultdict
from decimal import Decimal

from saas.core.models import Tenant
from saas.core.plugins import plugin_manager


def held_amounts(tenant: Tenant, invoice_ids: list[int]) -> dict[int, Decimal]:
    """{invoice id: amount held} over every domain and plugin that holds some ({} when none does)."""
    if not invoice_ids:
        return {}
    held: dict[int, Decimal] = defaultdict(Decimal)
    for answer in plugin_manager().for_tenant(tenant).saas_amounts_held(tenant=tenant, invoice_ids=invoice_ids):
        for invoice_id, amount in (answer or {}).items():
            held[invoice_id] += amount
    return dict(held)


def owed_beyond_holds(tenant: Tenant, balances: dict[int, Decimal]) -> dict[int, Decimal]:
    """{invoice id: balance less what is held}, for the invoices that still owe something beyond their holds."""
    held = held_amounts(tenant, sorted(balances))
    return {i: balance - held.get(i, Decimal(0)) for i, balance in balances.items() if balance - held.get(i, 0) > 0}
