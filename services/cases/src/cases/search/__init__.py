"""Search, inbox views and saved searches (issue 6)."""
