"""Migration 0005_agent_alert_detail and the model declarations describe the same table (SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from notifications.db.models import Base


def test_migration_0005_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'notifications.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "notifications", "migrate"],
        env={**os.environ, "HELPDESK_ENV": "test", "NOTIFICATIONS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            columns = {c["name"]: c for c in conn.dialect.get_columns(conn, "agent_notification")}
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert "detail" in columns and columns["detail"]["nullable"] is False
    assert [d for d in diffs if "agent_notification" in repr(d)] == []
