"""Webhooks that outside systems call (G3)."""
