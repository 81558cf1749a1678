"""Service requests (§4): categories, requests with their SLA clocks and sweep, on-site visits, notifications."""
