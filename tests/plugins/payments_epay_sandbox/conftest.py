"""The sandbox is tested from the merchant's side too: payments_epay's fixtures (alpha paying through it)."""

from tests.plugins.payments_epay.conftest import alpha, invoice, payer, provider  # noqa: F401
