"""Migration 0005_sla and the SLA model declarations describe the same schema (SQLite, the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from cases.tables import metadata
from chassis.testing import migrate_sqlite, schema_differences

SLA_TABLES = {"business_calendar", "sla_policy", "case_sla_target", "sla_event_sent"}


def _mine(diff: Any) -> bool:
    """A difference that concerns the SLA tables or `case.sla_due_at`."""
    if isinstance(diff, list):
        return any(_mine(d) for d in diff)
    text = repr(diff)
    return any(f"'{t}'" in text or f"<{t}>" in text for t in SLA_TABLES) or "sla_due_at" in text


def test_migration_matches_models(tmp_path: Path) -> None:
    engine = create_engine(migrate_sqlite("cases", tmp_path / "cases.db"))
    try:
        diffs = schema_differences(engine, metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if _mine(d)] == []
