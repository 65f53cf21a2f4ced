"""SLA changes touching many cases run as a background job of the cases worker (decision 0144), and deleting a
group takes its policies with it and recomputes what they covered."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import _run
from sqlalchemy import create_engine, text

from chassis.testing import ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database, wait_for_rpc
from contracts.errors import DomainError

INLINE_MAX = 3


@pytest.fixture(scope="module")
def sla(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pg_database("cases") as db_url, amqp_vhost() as amqp_uri:
        env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri}
        _run("migrate", env)
        _run("seed", env)
        port = free_port()
        worker_env = {
            **env,
            "CASES_OPS_PORT": str(port),
            "CASES_SLA_INLINE_RECOMPUTE_MAX": str(INLINE_MAX),
            "CASES_SLA_JOB_BATCH": "2",
            "CASES_SLA_JOB_SECONDS": "0.3",
        }
        logs = Path(tmp_path_factory.mktemp("sla-job-logs"))
        process = ServiceProcess("cases", "worker", worker_env, f"http://127.0.0.1:{port}/healthz", logs).start()
        engine = create_engine(db_url)
        rpc = None
        try:
            wait_for_rpc(amqp_uri, "cases")
            rpc = SyncRpc(amqp_uri)
            agent = rpc.call("cases", "get_agent_by_email", email="admin@example.com")
            actor = {"type": "agent", "id": agent["id"], "name": agent["name"], "email": agent["email"]}
            yield {
                "rpc": rpc,
                "db": engine,
                "actor": {**actor, "channel": "web"},
                "process": process,
                "metrics": f"http://127.0.0.1:{port}/metrics",
            }
        finally:
            if rpc is not None:
                rpc.close()
            engine.dispose()
            process.stop()


def _call(sla: dict[str, Any], method: str, **kwargs: Any) -> Any:
    return sla["rpc"].call("cases", method, **kwargs)


def _rows(sla: dict[str, Any], sql: str, **params: Any) -> list[Any]:
    with sla["db"].connect() as conn:
        return list(conn.execute(text(sql), params))


def _due(sla: dict[str, Any], ids: list[int]) -> dict[int, Any]:
    rows = _rows(sla, 'SELECT id, sla_due_at FROM "case" WHERE id = ANY(:ids)', ids=ids)
    return {r.id: r.sla_due_at for r in rows}


def _team(sla: dict[str, Any], cases: int) -> tuple[int, dict[str, Any], list[int]]:
    group = int(_call(sla, "save_group", data={"name": f"Team {uuid.uuid4().hex[:6]}"})["id"])
    policy = _call(sla, "save_sla_policy", data={"name": f"P{group}", "group_id": group, "first_response_minutes": 240})
    ids = [
        _call(sla, "create_case", data={"title": f"Case {i}", "group_id": group}, actor=sla["actor"])["id"]
        for i in range(cases)
    ]
    return group, policy, ids


def _metric(sla: dict[str, Any], name: str) -> float | None:
    """The sum of a metric's samples on the worker's /metrics, None when it is not exported."""
    with urllib.request.urlopen(sla["metrics"], timeout=5) as resp:
        lines = resp.read().decode().splitlines()
    values = [float(line.rsplit(" ", 1)[1]) for line in lines if line.split("{")[0].split(" ")[0] == name]
    return sum(values) if values else None


def _wait(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("never happened")
        time.sleep(0.1)


def test_a_policy_change_over_many_cases_becomes_a_background_job(sla: dict[str, Any]) -> None:
    _group, policy, ids = _team(sla, 7)
    before = _due(sla, ids)
    assert all(before.values())
    jobs_before = _rows(sla, "SELECT count(*) FROM sla_recompute_job")[0][0]
    counted = _metric(sla, "helpdesk_sla_job_cases_recomputed_total") or 0.0
    changed = {**{k: policy[k] for k in ("name", "group_id")}, "first_response_minutes": 60}
    _call(sla, "save_sla_policy", policy_id=policy["id"], data=changed)  # answers without recomputing 7 cases

    [job] = _rows(sla, "SELECT * FROM sla_recompute_job ORDER BY id DESC LIMIT 1")
    assert _rows(sla, "SELECT count(*) FROM sla_recompute_job")[0][0] == jobs_before + 1
    assert job.reason == f"policy {policy['id']} saved"
    # the worker's timer works it off, 2 cases per transaction, and marks it finished
    _wait(lambda: _rows(sla, "SELECT finished_at FROM sla_recompute_job WHERE id = :j", j=job.id)[0][0] is not None)
    after = _due(sla, ids)
    assert all(after[i] == before[i] - timedelta(minutes=180) for i in ids)
    [done] = _rows(sla, "SELECT done, after_case_id FROM sla_recompute_job WHERE id = :j", j=job.id)
    assert done.done == 7 and done.after_case_id == max(ids)
    # the worker's /metrics tells: no job left, 7 cases recomputed by jobs
    _wait(lambda: _metric(sla, "helpdesk_sla_jobs_unfinished") == 0)
    _wait(lambda: _metric(sla, "helpdesk_sla_job_cases_recomputed_total") == counted + 7)

    # deleting the policy: again a job; the cases end with no SLA
    _call(sla, "delete_sla_policy", policy_id=policy["id"])
    _wait(lambda: set(_due(sla, ids).values()) == {None})
    states = _rows(sla, 'SELECT DISTINCT sla_state FROM "case" WHERE id = ANY(:ids)', ids=ids)
    assert [s.sla_state for s in states] == ["none"]


def test_a_small_change_is_still_applied_in_the_request(sla: dict[str, Any]) -> None:
    _group, policy, ids = _team(sla, INLINE_MAX)
    before = _due(sla, ids)
    jobs_before = _rows(sla, "SELECT count(*) FROM sla_recompute_job")[0][0]
    changed = {**{k: policy[k] for k in ("name", "group_id")}, "first_response_minutes": 120}
    _call(sla, "save_sla_policy", policy_id=policy["id"], data=changed)
    assert _rows(sla, "SELECT count(*) FROM sla_recompute_job")[0][0] == jobs_before
    assert _due(sla, ids) == {i: before[i] - timedelta(minutes=120) for i in ids}


def test_deleting_a_group_takes_its_policies_and_is_refused_while_cases_use_it(sla: dict[str, Any]) -> None:
    group, _policy, ids = _team(sla, 1)
    with pytest.raises(DomainError) as refused:
        _call(sla, "delete_group", group_id=group)
    assert refused.value.code == "validation_error"
    assert "still used by 1 cases" in refused.value.message
    assert _due(sla, ids)[ids[0]] is not None  # nothing changed

    empty = int(_call(sla, "save_group", data={"name": f"Empty {uuid.uuid4().hex[:6]}"})["id"])
    own = _call(sla, "save_sla_policy", data={"name": f"P{empty}", "group_id": empty, "resolution_minutes": 60})
    _call(sla, "delete_group", group_id=empty)
    assert _rows(sla, "SELECT id FROM sla_policy WHERE id = :p", p=own["id"]) == []
    assert empty not in [g["id"] for g in _call(sla, "list_groups_detail")]
    with pytest.raises(DomainError) as missing:
        _call(sla, "delete_group", group_id=empty)
    assert missing.value.code == "not_found"
