"""§8.2 for the vendor: "the fee of the unperformed part" of a service line in a period, by the contract's rule.

Worked example, the same month under each rule. The fee schedule has a line "Fault handling", 1 × 5,000.00 a month;
the agreement's penalty rate is 10%. In the period, 12 fault requests had a deadline, 3 of them missed their
response deadline (3 breaches, §8.1.2).

- Whole fee (`whole_fee`): the line was not performed as agreed that month, so its whole fee is the unperformed
  part: 5,000.00. Credit: 5,000.00 × 10% = 500.00.
- Share of requests (`share_of_requests`): the unperformed part is the fee's share of the requests that breached:
  5,000.00 × 3 / 12 = 1,250.00. Credit: 1,250.00 × 10% = 125.00.
- Per breach (`per_breach`, 10% of the fee per breach): 3 × 10% × 5,000.00 = 1,500.00, capped at the fee
  (5,000.00). Credit: 1,500.00 × 10% = 150.00. With 12 breaches it would be capped: 5,000.00, credit 500.00.

The unperformed fee is kept exact and the credit rounded once, half-up, to the currency's minor unit.
"""

from decimal import Decimal

from saas.core.money import quantize
from saas.credits.models import CreditRule


def unperformed_fee(
    rule: str, line_fee: Decimal, *, breaches: int, requests: int, breached_requests: int, per_breach_share: Decimal
) -> Decimal:
    """The exact fee of the unperformed part of a line for a period (never more than the line's fee)."""
    if breaches <= 0 or line_fee <= 0:
        return Decimal(0)
    if rule == CreditRule.WHOLE_FEE:
        return line_fee
    if rule == CreditRule.SHARE_OF_REQUESTS:
        # A breach always belongs to a request with a deadline in the period, so requests >= breached_requests >= 1.
        return line_fee * Decimal(min(breached_requests, requests)) / Decimal(max(requests, 1))
    if rule == CreditRule.PER_BREACH:
        return min(line_fee, line_fee * per_breach_share * breaches)
    raise ValueError(f"unknown credit rule {rule!r}")


def credit_amount(unperformed: Decimal, rate: Decimal, currency: str) -> Decimal:
    """§8.2: the credit is the unperformed fee × the contract's penalty rate, rounded half-up once."""
    return quantize(unperformed * rate, currency)
