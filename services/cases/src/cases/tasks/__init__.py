"""Tasks and approvals on a case (B5)."""
