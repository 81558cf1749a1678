"""Disputes (§9): negotiation, mediation, arbitration and litigation, each step dated with its deadline and outcome."""
