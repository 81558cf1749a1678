"""Damages (§8.3, §2.3.3): a claim by either party for its direct and indirect loss, resting on recorded breaches."""
