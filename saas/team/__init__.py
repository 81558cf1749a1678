"""The support team (§5, Annex 2): members, certificates, availability and assignment rules."""
