"""The migrations and the model declarations describe the same schema (SQLite), outbox tables included."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from chassis.testing import migrate_sqlite, schema_differences
from portal.db.models import Base


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    engine = create_engine(migrate_sqlite("portal", tmp_path / "portal.db"))
    try:
        tables = set(inspect(engine).get_table_names())
        diffs = schema_differences(engine, Base.metadata)
    finally:
        engine.dispose()
    assert {"outbox_message", "processed_event"} <= tables
    assert diffs == []
