"""The notifications service: every outbound message: email, SMS, in-app; delivery log."""
