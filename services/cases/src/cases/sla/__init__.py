"""SLA (B13): business-hours calendars, policies, per-case clocks, warning and breach events."""
