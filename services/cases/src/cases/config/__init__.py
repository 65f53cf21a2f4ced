"""Workspace configuration (B1, B2, B15, H2): statuses, case types, custom fields, field rules, settings."""
