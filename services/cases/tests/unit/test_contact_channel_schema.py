"""Migration 0006_contact_channel and the model declarations describe the same columns (SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from cases.tables import metadata
from chassis.testing import migrate_sqlite, schema_differences

COLUMNS = ("preferred_channel", "mailbox")


def _mine(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_mine(d) for d in diff)
    text = repr(diff)
    return any(f"'{c}'" in text or f".{c}" in text for c in COLUMNS)


def test_migration_0006_matches_the_models(tmp_path: Path) -> None:
    engine = create_engine(migrate_sqlite("cases", tmp_path / "cases.db"))
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in conn.dialect.get_columns(conn, "case")}
        diffs = schema_differences(engine, metadata)
    finally:
        engine.dispose()
    assert "mailbox" in columns
    assert [d for d in diffs if _mine(d)] == []
