"""Time on a case (B7): manual entries, start/stop timers, totals per case and per agent."""
