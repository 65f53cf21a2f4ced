"""Recurring cases (A6): two real workers with a fast timer share one PostgreSQL; each due slot makes one case."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import _run
from sqlalchemy import create_engine, text

from chassis.testing import ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database, wait_for_rpc


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pg_database("cases") as db_url, amqp_vhost() as amqp_uri:
        env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri, "CASES_RECURRENCE_INTERVAL_SECONDS": "0.3"}
        _run("migrate", env)
        _run("seed", env)
        logs = Path(tmp_path_factory.mktemp("recurrence-logs"))
        processes = []
        engine = create_engine(db_url)
        rpc = None
        try:
            for _ in range(2):
                port = free_port()
                worker_env = {**env, "CASES_OPS_PORT": str(port)}
                health = f"http://127.0.0.1:{port}/healthz"
                processes.append(ServiceProcess("cases", "worker", worker_env, health, logs).start())
            wait_for_rpc(amqp_uri, "cases")
            rpc = SyncRpc(amqp_uri)
            yield {"rpc": rpc, "db": engine, "processes": processes}
        finally:
            if rpc is not None:
                rpc.close()
            engine.dispose()
            for p in processes:
                p.stop()


def _cases_titled(db: Any, title: str) -> list[int]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(text('SELECT id FROM "case" WHERE title = :t ORDER BY id'), {"t": title})]


def _wait(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise TimeoutError("not reached")
        time.sleep(0.1)
    return value


def test_a_due_slot_makes_exactly_one_case(two_workers: dict[str, Any]) -> None:
    rpc, db = two_workers["rpc"], two_workers["db"]
    title = f"Weekly backup check {uuid.uuid4().hex[:6]}"
    template = rpc.call("cases", "create_template", data={"name": title, "title": title, "default_priority": "low"})
    now = datetime.now(UTC)
    # three missed daily slots: catching up makes one case, not three
    rpc.call(
        "cases",
        "create_recurrence",
        data={
            "template_id": template["id"],
            "every": 1,
            "unit": "day",
            "start_at": (now - timedelta(days=3)).isoformat(),
        },
    )
    ids = _wait(lambda: _cases_titled(db, title))
    time.sleep(1.5)  # both workers fired several times meanwhile
    assert _cases_titled(db, title) == ids and len(ids) == 1
    recurrence = rpc.call("cases", "list_recurrences")[-1]
    assert datetime.fromisoformat(recurrence["next_at"]) > now
    with db.connect() as conn:
        case = conn.execute(text('SELECT source, priority FROM "case" WHERE id = :id'), {"id": ids[0]}).one()
        history = conn.execute(text("SELECT field, actor_type FROM case_history WHERE case_id = :id"), {"id": ids[0]})
        assert [tuple(h) for h in history] == [("created", "system"), ("template", "system")]
    assert case.priority == "low" and case.source in {"scheduled", "agent"}
    assert rpc.call("cases", "template_of_case", case_id=ids[0])["id"] == template["id"]

    # a slot a little in the future is created once when it comes due, by whichever worker sees it first
    soon = f"Soon {uuid.uuid4().hex[:6]}"
    other = rpc.call("cases", "create_template", data={"name": soon, "title": soon})
    start = datetime.now(UTC) + timedelta(seconds=1)
    rpc.call(
        "cases",
        "create_recurrence",
        data={"template_id": other["id"], "every": 2, "unit": "week", "start_at": start.isoformat()},
    )
    assert _cases_titled(db, soon) == []
    _wait(lambda: _cases_titled(db, soon))
    time.sleep(1.0)
    assert len(_cases_titled(db, soon)) == 1
    with db.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM recurrence_run")).scalar_one()
    assert runs == 2


def test_a_paused_schedule_makes_nothing_and_resumes_without_catching_up(two_workers: dict[str, Any]) -> None:
    rpc, db = two_workers["rpc"], two_workers["db"]
    title = f"Paused {uuid.uuid4().hex[:6]}"
    template = rpc.call("cases", "create_template", data={"name": title, "title": title})
    start = datetime.now(UTC) + timedelta(seconds=1)
    data = {"template_id": template["id"], "every": 1, "unit": "day", "start_at": start.isoformat()}
    recurrence = rpc.call("cases", "create_recurrence", data=data)
    paused = rpc.call("cases", "update_recurrence", recurrence_id=recurrence["id"], changes={"active": False})
    assert paused["active"] is False
    time.sleep(2.0)
    assert _cases_titled(db, title) == []
    resumed = rpc.call("cases", "update_recurrence", recurrence_id=recurrence["id"], changes={"active": True})
    assert datetime.fromisoformat(resumed["next_at"]) > datetime.now(UTC)
    time.sleep(1.0)
    assert _cases_titled(db, title) == []


def test_bad_recurrences_are_refused(two_workers: dict[str, Any]) -> None:
    from contracts.errors import DomainError

    rpc = two_workers["rpc"]
    with pytest.raises(DomainError) as info:
        rpc.call(
            "cases",
            "create_recurrence",
            data={"template_id": 987654, "every": 1, "unit": "day", "start_at": "2026-01-01T00:00:00Z"},
        )
    assert info.value.code == "not_found"
    with pytest.raises(DomainError) as info:
        rpc.call(
            "cases", "create_recurrence", data={"template_id": 1, "every": 0, "unit": "fortnight", "start_at": "x"}
        )
    assert info.value.code == "validation_error"
