"""Imported cases reach the reports read model through `cases_imported` (decision 0143), even when cases is
down when the event arrives: the facts lookup times out, the event is retried, nothing is counted twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from system import System, running_system

from chassis.testing import SyncRpc, wait_until

GROUP = "Imported support"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("import-reports"), start=False) as (system, _sink):
        system.start("cases", "reports")
        yield system


def _import(system: System, path: Path, *ids: str, status: str = "open") -> None:
    lines = [
        json.dumps({"external_id": i, "title": f"Imported {i}", "status": status, "group": GROUP, "priority": "high"})
        for i in ids
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "cases", "import", str(path), "--no-progress", "--batch-size", "2"],
        env={**os.environ, **system.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _report(rpc: SyncRpc, check: Callable[[dict[str, Any]], bool], timeout: float = 120.0) -> dict[str, Any]:
    """Poll the report until `check` holds; generous, as each failed facts lookup puts the event back for a retry."""
    deadline = time.monotonic() + timeout
    while True:
        report: dict[str, Any] = rpc.call("reports", "open_cases_report")
        if check(report):
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"report never matched: {report}")
        time.sleep(0.2)


def _imported(report: dict[str, Any]) -> int:
    return next((g["count"] for g in report["by_group"] if g["group_name"] == GROUP), 0)


def test_imported_cases_are_counted_by_reports(pair: System, tmp_path: Path) -> None:
    rpc = SyncRpc(pair.amqp_uri)
    try:
        before = rpc.call("reports", "open_cases_report")
        # 5 cases in batches of 2: three cases_imported events; one of them closed (not an open case)
        _import(pair, tmp_path / "a.jsonl", "R-1", "R-2", "R-3", "R-4")
        _import(pair, tmp_path / "b.jsonl", "R-5", status="closed")
        report = _report(rpc, lambda r: _imported(r) == 4)
        assert report["total"] == before["total"] + 4
        assert report["by_status"]["open"] == before["by_status"]["open"] + 4
        # importing the same file again adds nothing, and the report stays put
        _import(pair, tmp_path / "a.jsonl", "R-1", "R-2", "R-3", "R-4")
        time.sleep(1.0)
        assert _imported(rpc.call("reports", "open_cases_report")) == 4
    finally:
        rpc.close()


def test_cases_down_when_the_event_arrives_is_retried(pair: System, tmp_path: Path) -> None:
    rpc = SyncRpc(pair.amqp_uri)
    try:
        start = _imported(rpc.call("reports", "open_cases_report"))
        # the import's event is published by cases' relay: stop cases right after it went out
        pair.stop("reports")
        _import(pair, tmp_path / "c.jsonl", "D-1", "D-2")
        _wait_relayed(pair)
        pair.stop("cases")
        # its case_facts calls time out (after 1 s, not the default 5 s) and the event goes back to the queue
        reports = pair.process("reports")
        reports.env["REPORTS_CASES_RPC_TIMEOUT"] = "1"
        earlier = len(reports.log_tail(10**9))  # the log file is appended to: look at this run's lines only
        pair.start("reports")
        wait_until(
            lambda: "cases_rpc_timeout" in reports.log_tail(10**9)[earlier:], timeout=60, what="a timed-out facts call"
        )
        assert _imported(rpc.call("reports", "open_cases_report")) == start
        assert "cases_rpc_timeout" in pair.process("reports").log_tail(200)
        pair.start("cases")
        _report(rpc, lambda r: _imported(r) == start + 2)
    finally:
        rpc.close()


def _wait_relayed(system: System, timeout: float = 60.0) -> None:
    """Until cases' outbox has published every event (the relay runs in the cases worker)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(system.databases["cases"])
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")).scalar_one()
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{left} events never left the cases outbox")
            time.sleep(0.2)
    finally:
        engine.dispose()
