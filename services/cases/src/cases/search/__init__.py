"""Search, inbox views and saved searches (C1-C4)."""
