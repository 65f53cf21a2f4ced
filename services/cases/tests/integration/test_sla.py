"""SLA (B13) against two real workers, PostgreSQL and RabbitMQ: policies, calendars, pauses, and warning and
breach events that fire once each even with two workers running the timer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import _run
from sqlalchemy import create_engine, text

from chassis.testing import EventCollector, ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database, wait_for_rpc
from contracts.errors import DomainError


@pytest.fixture(scope="module")
def sla(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pg_database("cases") as db_url, amqp_vhost() as amqp_uri:
        env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri, "CASES_SLA_CHECK_SECONDS": "0.2"}
        _run("migrate", env)
        _run("seed", env)
        logs = Path(tmp_path_factory.mktemp("sla-logs"))
        processes = []
        engine = create_engine(db_url)
        rpc = events = None
        try:
            for _ in range(2):  # two workers run the timer: each event must still fire once
                port = free_port()
                worker_env = {**env, "CASES_OPS_PORT": str(port)}
                processes.append(
                    ServiceProcess("cases", "worker", worker_env, f"http://127.0.0.1:{port}/healthz", logs)
                )
                processes[-1].start()
            wait_for_rpc(amqp_uri, "cases")
            rpc = SyncRpc(amqp_uri)
            events = EventCollector(amqp_uri, ["cases"])
            agent = rpc.call("cases", "get_agent_by_email", email="admin@example.com")
            actor = {
                "type": "agent",
                "id": agent["id"],
                "name": agent["name"],
                "email": agent["email"],
                "channel": "web",
            }
            yield {"rpc": rpc, "db": engine, "events": events, "actor": actor, "env": env}
        finally:
            for closable in (rpc, events):
                if closable is not None:
                    closable.close()
            engine.dispose()
            for p in processes:
                p.stop()


def _call(sla: dict[str, Any], method: str, **kwargs: Any) -> Any:
    return sla["rpc"].call("cases", method, **kwargs)


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def _case(sla: dict[str, Any], **data: Any) -> dict[str, Any]:
    data.setdefault("title", f"Printer {uuid.uuid4().hex[:6]}")
    return dict(_call(sla, "create_case", data=data, actor=sla["actor"]))


def _update(sla: dict[str, Any], case_id: int, **changes: Any) -> dict[str, Any]:
    return dict(_call(sla, "update_case", case_id=case_id, changes=changes, actor=sla["actor"]))


def _group(sla: dict[str, Any]) -> int:
    return int(_call(sla, "save_group", data={"name": f"Team {uuid.uuid4().hex[:6]}"})["id"])


def _row(sla: dict[str, Any], case_id: int) -> Any:
    with sla["db"].connect() as conn:
        return conn.execute(text('SELECT sla_state, sla_due_at FROM "case" WHERE id = :id'), {"id": case_id}).one()


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def test_calendars_and_policies_are_validated(sla: dict[str, Any]) -> None:
    name = f"Oslo office {uuid.uuid4().hex[:4]}"
    calendar = _call(
        sla,
        "save_business_calendar",
        data={"name": name, "timezone": "Europe/Oslo", "country": "no", "closed_dates": ["2026-12-24"]},
    )
    assert calendar["country"] == "NO" and calendar["hours"]["mon"] == [["08:00", "16:00"]]
    assert "sat" not in calendar["hours"] and calendar["closed_dates"] == ["2026-12-24"]
    bad = {
        "timezone": {"name": "X1", "timezone": "Mars/Olympus"},
        "country": {"name": "X2", "country": "XX"},
        "window": {"name": "X3", "hours": {"mon": [["17:00", "08:00"]]}},
        "name": {"name": name},
    }
    for what, data in bad.items():
        err = _error(lambda data=data: _call(sla, "save_business_calendar", data=data))
        assert err.code == "validation_error", what
    for data in (
        {"name": "No targets"},
        {"name": "Bad group", "resolution_minutes": 60, "group_id": 987654},
        {"name": "Bad calendar", "resolution_minutes": 60, "calendar_id": 987654},
        {"name": "Bad percent", "resolution_minutes": 60, "warning_percent": 100},
    ):
        assert _error(lambda data=data: _call(sla, "save_sla_policy", data=data)).code == "validation_error"
    policy = _call(
        sla,
        "save_sla_policy",
        data={
            "name": f"Office {uuid.uuid4().hex[:4]}",
            "type_id": 3,
            "resolution_minutes": 480,
            "calendar_id": calendar["id"],
        },
    )
    assert policy["warning_percent"] == 80 and policy in _call(sla, "list_sla_policies")
    err = _error(lambda: _call(sla, "delete_business_calendar", calendar_id=calendar["id"]))
    assert err.code == "validation_error" and policy["name"] in err.details["policies"]
    _call(sla, "delete_sla_policy", policy_id=policy["id"])
    _call(sla, "delete_business_calendar", calendar_id=calendar["id"])
    assert calendar["id"] not in [c["id"] for c in _call(sla, "list_business_calendars")]
    assert _error(lambda: _call(sla, "delete_sla_policy", policy_id=policy["id"])).code == "not_found"


def test_warning_and_breach_fire_once_each(sla: dict[str, Any]) -> None:
    group = _group(sla)
    policy = _call(
        sla,
        "save_sla_policy",
        data={"name": "Urgent 1 minute", "priority": "urgent", "resolution_minutes": 1, "warning_percent": 50},
    )
    case = _case(sla, priority="urgent")
    state, due = _row(sla, case["id"])
    assert state == "ok" and due is not None
    # the case was opened 57 s ago (test data only): the warning (30 s) is past, the breach 3 s ahead
    with sla["db"].begin() as conn:
        conn.execute(
            text("UPDATE \"case\" SET created_at = created_at - interval '57 seconds' WHERE id = :id"),
            {"id": case["id"]},
        )
    _update(sla, case["id"], group_id=group)  # any change re-applies the SLA from the case's own history
    events: EventCollector = sla["events"]
    warning = events.wait_for("sla_warning", timeout=5, case__id=case["id"])[0]["payload"]
    assert warning["metric"] == "resolution" and warning["policy_id"] == policy["id"]
    assert warning["policy_name"] == "Urgent 1 minute"
    assert _row(sla, case["id"]).sla_state == "warning"
    breach = events.wait_for("sla_breached", timeout=10, case__id=case["id"])[0]["payload"]
    assert breach["due_at"] == warning["due_at"]
    assert _row(sla, case["id"]).sla_state == "breached"
    # another change that keeps the due time sends nothing again, nor do more timer ticks on two workers
    _update(sla, case["id"], group_id=_group(sla))
    time.sleep(1.5)
    for kind in ("sla_warning", "sla_breached"):
        assert (
            len([e for e in events.events if e["event_type"] == kind and e["payload"]["case"]["id"] == case["id"]]) == 1
        )
    with sla["db"].connect() as conn:
        sent = conn.execute(
            text("SELECT kind FROM sla_event_sent WHERE case_id = :id ORDER BY kind"), {"id": case["id"]}
        )
        assert [r.kind for r in sent] == ["breached", "warning"]
    explained = _call(sla, "get_case_sla", case_id=case["id"])
    target = explained["targets"][0]
    assert explained["state"] == "breached" and target["breached"] and target["warning_sent"] and target["breach_sent"]


def test_waiting_pauses_the_clock_and_the_explanation_shows_it(sla: dict[str, Any]) -> None:
    _call(sla, "save_sla_policy", data={"name": "High 2 hours", "priority": "high", "resolution_minutes": 120})
    case = _case(sla, priority="high")
    assert case["sla_state"] == "ok" and case["sla_due_at"] is not None
    first = _call(sla, "get_case_sla", case_id=case["id"])
    assert first["state"] == "ok" and first["policy"]["name"] == "High 2 hours" and first["calendar"] == "24/7"
    due = _ts(first["due_at"])
    assert due is not None and abs(due - (_ts(case["created_at"]) + timedelta(hours=2))).total_seconds() < 1  # type: ignore[operator]
    case = _update(sla, case["id"], assignee_id=sla["actor"]["id"], status="waiting")
    assert _row(sla, case["id"]) == ("paused", None)
    # the answer and the case_updated event already carry the state of this change
    assert case["sla_state"] == "paused" and case["sla_due_at"] is None
    event = sla["events"].wait_for("case_updated", case__id=case["id"], case__status="waiting")[0]
    assert event["payload"]["case"]["sla_state"] == "paused"
    time.sleep(1.0)
    paused = _call(sla, "get_case_sla", case_id=case["id"])
    assert paused["state"] == "paused" and paused["due_at"] is None
    assert paused["targets"][0]["state"] == "paused"
    _update(sla, case["id"], status="open")
    resumed = _call(sla, "get_case_sla", case_id=case["id"])
    periods = resumed["targets"][0]["periods"]
    assert [p["kind"] for p in periods] == ["counted", "paused", "counted"]
    assert periods[1]["status"] == "waiting" and periods[1]["business_minutes"] == 0
    waited = _ts(periods[1]["end"]) - _ts(periods[1]["start"])  # type: ignore[operator]
    assert waited >= timedelta(seconds=1)
    # the due time moved by exactly the paused time
    assert _ts(resumed["due_at"]) == due + waited  # type: ignore[operator]
    state, stored_due = _row(sla, case["id"])
    assert state == "ok" and stored_due == _ts(resumed["due_at"])
    resolved = _update(sla, case["id"], status="resolved")
    met = _call(sla, "get_case_sla", case_id=resolved["id"])
    assert met["state"] == "met" and met["targets"][0]["met_at"] is not None and _row(sla, case["id"]) == ("met", None)


def test_first_response_and_policy_changes(sla: dict[str, Any]) -> None:
    group = _group(sla)
    policy = _call(
        sla, "save_sla_policy", data={"name": f"Team {group}", "group_id": group, "first_response_minutes": 240}
    )
    case = _case(sla, group_id=group, priority="low")
    assert [t["metric"] for t in _call(sla, "get_case_sla", case_id=case["id"])["targets"]] == ["first_response"]
    before = _row(sla, case["id"]).sla_due_at
    # the policy changes: due times of its open cases follow in the same transaction
    _call(
        sla,
        "save_sla_policy",
        policy_id=policy["id"],
        data={**{k: policy[k] for k in ("name", "group_id")}, "first_response_minutes": 60},
    )
    assert _row(sla, case["id"]).sla_due_at == before - timedelta(minutes=180)
    note = {"body": "internal only", "visibility": "internal"}
    _call(sla, "add_message", case_id=case["id"], data=note, actor=sla["actor"])
    assert _call(sla, "get_case_sla", case_id=case["id"])["targets"][0]["state"] == "running"
    _call(sla, "add_message", case_id=case["id"], data={"body": "On it"}, actor=sla["actor"])
    answered = _call(sla, "get_case_sla", case_id=case["id"])
    assert answered["state"] == "met" and answered["targets"][0]["met_at"] is not None
    # a case no policy matches has no SLA
    other = _case(sla, priority="low")
    assert _row(sla, other["id"]) == ("none", None)
    assert _call(sla, "get_case_sla", case_id=other["id"])["state"] == "none"
    assert _error(lambda: _call(sla, "get_case_sla", case_id=987654)).code == "not_found"


def test_backfill_applies_the_sla_to_cases_written_without_the_orm(sla: dict[str, Any]) -> None:
    _call(sla, "save_sla_policy", data={"name": "Medium 1 day", "priority": "medium", "resolution_minutes": 1440})
    with sla["db"].begin() as conn:  # what an import does: plain INSERTs, no SLA
        case_id = conn.execute(
            text(
                'INSERT INTO "case" (number, title, description, status, priority, source, version, created_at,'
                " updated_at, held_for_approval) VALUES (900001, 'Imported', '', 'open', 'medium', 'api', 1,"
                " now() - interval '3 days', now(), false) RETURNING id"
            )
        ).scalar_one()
    assert _row(sla, case_id) == ("none", None)
    _run("sla-recompute", sla["env"])
    state, due = _row(sla, case_id)
    assert state == "breached" and due is not None and due < datetime.now(due.tzinfo) - timedelta(days=1)
    # last year's breaches are recorded as handled, not sent: nobody is paged about an import
    time.sleep(1.0)
    assert not [
        e for e in sla["events"].events if e["event_type"].startswith("sla_") and e["payload"]["case"]["id"] == case_id
    ]
    explained = _call(sla, "get_case_sla", case_id=case_id)
    assert explained["state"] == "breached" and explained["targets"][0]["elapsed_minutes"] >= 3 * 1440 - 1
