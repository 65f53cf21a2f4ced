"""The reports service: read models built from events; dashboards."""
