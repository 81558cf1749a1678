"""Satisfaction (§11, §12.3): the client's rating of each resolved request, asked in the portal and by e-mail."""
