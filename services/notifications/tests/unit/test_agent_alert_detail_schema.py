"""Migration 0005_agent_alert_detail and the model declarations describe the same table (SQLite)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from chassis.testing import migrate_sqlite, schema_differences
from notifications.db.models import Base


def test_migration_0005_matches_the_models(tmp_path: Path) -> None:
    engine = create_engine(migrate_sqlite("notifications", tmp_path / "notifications.db"))
    try:
        with engine.connect() as conn:
            columns = {c["name"]: c for c in conn.dialect.get_columns(conn, "agent_notification")}
        diffs = schema_differences(engine, Base.metadata)
    finally:
        engine.dispose()
    assert "detail" in columns and columns["detail"]["nullable"] is False
    assert [d for d in diffs if "agent_notification" in repr(d)] == []
