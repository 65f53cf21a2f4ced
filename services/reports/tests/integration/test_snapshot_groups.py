"""A group of snapshot events is one version-guarded upsert; a poison event leaves the group (0132, 0158).

Real PostgreSQL; the consumer runs as nameko would run it (one service instance per delivery, greenthreads
submitting together), without a broker: the group machinery is what is under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
from conftest import case, changed
from sqlalchemy import Engine, event, select

from chassis.nameko_runtime import Runtime
from chassis.testing import worker_runtime
from contracts.envelope import Envelope
from reports.db.models import CaseSummary, OutboxMessage, ProcessedEvent
from reports.settings import ReportsSettings
from reports.worker import ReportsService


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    env = {**os.environ, "REPORTS_DATABASE_URL": db_url}
    subprocess.run([sys.executable, "-m", "reports", "migrate"], env=env, check=True, capture_output=True)
    with worker_runtime(ReportsSettings(database_url=db_url), OutboxMessage, ProcessedEvent) as runtime:
        yield runtime


def _updated(case_id: int, version: int, status: str) -> dict[str, Any]:
    payload = changed(case(case_id, version=version, status=status), status=status)
    return Envelope.wrap(payload, source="cases").model_dump(mode="json")


def test_a_group_keeps_each_cases_newest_snapshot_in_one_upsert_and_a_poison_leaves_it(runtime: Runtime) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine: Engine = runtime.engine
    event.listen(engine, "before_cursor_execute", record)
    poison = _updated(9002, 1, "new")
    poison["payload"] = {"case": "not a case"}
    bodies = [
        _updated(9001, 3, "waiting"),
        _updated(9001, 2, "open"),  # older than the one before it in the same group: never applied over it
        poison,
        _updated(9001, 4, "resolved"),
        _updated(9002, 1, "new"),
        _updated(9001, 1, "new"),
    ]

    def one(body: dict[str, Any]) -> str:
        service = ReportsService()
        service.runtime = runtime  # type: ignore[assignment]
        return str(service.on_case_updated(body))

    pool = eventlet.GreenPool()
    outcomes = [thread.wait() for thread in [pool.spawn(one, body) for body in bodies]]

    assert sorted(outcomes) == sorted(["applied"] * 5 + ["dead_lettered"])
    assert [event for _consumer, event in runtime.dead_letters.sent] == [poison["event_id"]]  # type: ignore[attr-defined]
    with runtime.session_factory() as session:
        rows = {r.case_id: (r.version, r.status) for r in session.scalars(select(CaseSummary))}
    assert rows == {9001: (4, "resolved"), 9002: (1, "new")}
    # the optimistic try failed on the poison before its upsert; the retry with savepoints upserted once
    assert sum(1 for s in statements if s.startswith("INSERT INTO case_summary")) == 1
