"""`cases_imported` folding (decision 0143) on SQLite: facts are upserted by version like snapshots, repeats
change nothing, and a cases service that does not answer in time makes the event retry (TransientError)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import eventlet
import pytest
from conftest import case
from sqlalchemy import select

from chassis.consumer import TransientError
from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.timed_rpc import TimedRpc
from contracts.bulk import CASE_FACTS_MAX, CaseFacts, CasesImported
from contracts.cases_client import SyncCasesClient
from contracts.envelope import Envelope
from reports.db.models import CaseSummary
from reports.handlers import apply_snapshot, open_cases_report, record_imported_cases


class FakeCases:
    """cases' `case_facts` over a dict, recording the pages asked for (a fake, not a mock of our transport)."""

    def __init__(self, facts: dict[int, CaseFacts], delay: float = 0.0) -> None:
        self.facts, self.delay, self.pages = facts, delay, []

    def case_facts(self, *, case_ids: list[int]) -> dict[str, Any]:
        self.pages.append(len(case_ids))
        if self.delay:
            eventlet.sleep(self.delay)
        found = [self.facts[i].model_dump(mode="json") for i in case_ids if i in self.facts]
        return {"items": found, "missing": [i for i in case_ids if i not in self.facts]}


def _facts(case_id: int, version: int = 1, status: str = "open") -> CaseFacts:
    at = datetime.now(UTC)
    return CaseFacts(
        id=case_id, number=case_id, status=status, priority="high", group_id=7, group_name="Import",
        version=version, created_at=at, updated_at=at,
    )  # fmt: skip


@pytest.fixture
def factory(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    subprocess.run(
        [sys.executable, "-m", "reports", "migrate"], env={**os.environ, "REPORTS_DATABASE_URL": url}, check=True
    )
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_imported_cases_are_counted_once_and_never_go_back(factory: Any) -> None:
    ids = list(range(1, 1201))  # three pages
    cases = FakeCases({i: _facts(i) for i in ids if i != 5})  # case 5 was deleted since
    envelope = Envelope.wrap(CasesImported(origin="import", count=len(ids), messages=0, case_ids=ids), source="cases")
    # case 42 changed after the import and reports already saw it (version 3, resolved)
    with unit_of_work(factory) as session:
        apply_snapshot(session=session, case=case(42, version=3, status="resolved"))
    for _ in range(2):  # a repeated delivery changes nothing
        with unit_of_work(factory) as session:
            found = record_imported_cases(
                session=session, envelope=envelope, cases=SyncCasesClient(TimedRpc(cases, timeout=5))
            )
        assert found == len(ids) - 1
    assert cases.pages == [CASE_FACTS_MAX, CASE_FACTS_MAX, 200] * 2
    with factory() as session:
        report = open_cases_report(session=session)
        row = session.scalars(select(CaseSummary).where(CaseSummary.case_id == 42)).one()
    assert report.total == len(ids) - 2  # not the deleted one, not the resolved one
    assert [(g.group_name, g.count) for g in report.by_group] == [("Import", len(ids) - 2)]
    assert (row.version, row.status) == (3, "resolved")


def test_a_slow_cases_service_makes_the_event_retry(factory: Any) -> None:
    slow = SyncCasesClient(TimedRpc(FakeCases({1: _facts(1)}, delay=2.0), timeout=0.2))
    envelope = Envelope.wrap(CasesImported(origin="import", count=1, messages=0, case_ids=[1]), source="cases")
    started = time.monotonic()
    with pytest.raises(TransientError, match="did not answer"), unit_of_work(factory) as session:
        record_imported_cases(session=session, envelope=envelope, cases=slow)
    assert time.monotonic() - started < 1.5
    with factory() as session:
        assert session.scalars(select(CaseSummary)).all() == []
