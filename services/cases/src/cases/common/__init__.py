"""Helpers shared by the capability packages: the runtime protocol, base tables, row lookups, caches."""
