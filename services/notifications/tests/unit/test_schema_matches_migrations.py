"""The migrations and the table declarations of notifications describe the same schema (SQLite)."""

from __future__ import annotations

from pathlib import Path

from chassis.testing import migrated_schema_problems
from notifications.db.models import Base


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    tables, diffs = migrated_schema_problems("notifications", Base.metadata, tmp_path)
    assert {"mailbox_relay", "delivery", "outbox_message"} <= tables
    assert diffs == []
