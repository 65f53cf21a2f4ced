"""Migration 0006_contact_channel and the model declarations describe the same columns (SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from cases.db.models import Base

COLUMNS = ("preferred_channel", "mailbox")


def _mine(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_mine(d) for d in diff)
    text = repr(diff)
    return any(f"'{c}'" in text or f".{c}" in text for c in COLUMNS)


def test_migration_0006_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "cases", "migrate"],
        env={**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in conn.dialect.get_columns(conn, "case")}
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert "mailbox" in columns
    assert [d for d in diffs if _mine(d)] == []
