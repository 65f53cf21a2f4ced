"""The migrations and the table declarations describe the same schema (SQLite), outbox tables included."""

from __future__ import annotations

from pathlib import Path

from chassis.testing import migrated_schema_problems
from gateway.db.models import Base


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    tables, diffs = migrated_schema_problems("gateway", Base.metadata, tmp_path)
    assert {"outbox_message", "processed_event"} <= tables
    assert diffs == []
