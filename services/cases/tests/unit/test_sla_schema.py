"""Migration 0005_sla and the SLA model declarations describe the same schema (SQLite, the embedded default)."""

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

SLA_TABLES = {"business_calendar", "sla_policy", "case_sla_target", "sla_event_sent"}


def _mine(diff: Any) -> bool:
    """A difference that concerns the SLA tables or `case.sla_due_at`."""
    if isinstance(diff, list):
        return any(_mine(d) for d in diff)
    text = repr(diff)
    return any(f"'{t}'" in text or f"<{t}>" in text for t in SLA_TABLES) or "sla_due_at" in text


def test_migration_matches_models(tmp_path: Path) -> None:
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
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if _mine(d)] == []
