"""Service calendars (§2.1.1, §4.1): when SLA clocks run, and the working-time arithmetic on them."""
