"""The public REST API v1 (G1)."""
