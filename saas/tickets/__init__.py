"""Service requests and their SLA clocks (§2, §4, §5, §12): calendars first, requests to follow."""
