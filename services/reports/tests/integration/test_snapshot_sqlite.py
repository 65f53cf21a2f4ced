"""The version-guarded upsert also works on the embedded SQLite default (same migrations, same statement)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import case
from sqlalchemy import select

from chassis.db import make_engine, make_sessionmaker, unit_of_work
from reports.db.models import CaseSummary
from reports.handlers import apply_snapshot, open_cases_report


def test_newer_snapshot_wins_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    subprocess.run(
        [sys.executable, "-m", "reports", "migrate"], env={**os.environ, "REPORTS_DATABASE_URL": url}, check=True
    )
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    for version, status in [(1, "new"), (3, "resolved"), (2, "open")]:
        with unit_of_work(factory) as session:
            apply_snapshot(session=session, case=case(42, version=version, status=status))

    with factory() as session:
        row = session.scalars(select(CaseSummary)).one()
        report = open_cases_report(session=session)
    engine.dispose()
    assert (row.version, row.status) == (3, "resolved")
    assert report.total == 0
