"""Agents hear about mentions, tasks given to them and SLA warnings/breaches (E2), once, as they prefer.

The real cases service runs beside notifications (one vhost): mentions and tasks are made through its
RPCs and reach notifications as its own events; the SLA events are published as cases will publish them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cases_kit import Cases
from notifications_testkit import Publisher, SmtpSink, Worker, running_worker

from chassis.testing import EventCollector, SyncRpc, pg_database
from contracts.cases import CaseRead
from contracts.sla import SlaBreached, SlaMetric, SlaWarning


@pytest.fixture(scope="module")
def cases(amqp_uri: str, work_dir: Path) -> Iterator[Cases]:
    with pg_database("cases") as db_url:
        service = Cases(db_url, amqp_uri, work_dir, seed=True).start()
        try:
            yield service
        finally:
            service.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path, cases: Cases) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


@pytest.fixture(scope="module")
def admin(cases: Cases) -> dict[str, Any]:
    agent = cases.call("get_agent_by_email", email="admin@example.com")
    return {"type": "agent", "id": agent["id"], "name": agent["name"], "email": agent["email"], "channel": "web"}


def _agent(cases: Cases, name: str, group_ids: list[int] | None = None) -> dict[str, Any]:
    handle = f"{name.lower()}{uuid.uuid4().hex[:4]}"
    data = {"email": f"{handle}@example.com", "name": handle, "group_ids": group_ids or []}
    agent: dict[str, Any] = cases.call("save_agent", data=data)
    return agent


def _notified(events: EventCollector, agent_id: int, kind: str, wait: float) -> list[dict[str, Any]]:
    """`agent_notified` events of one kind for one agent, after draining the stream for `wait` seconds."""
    with contextlib.suppress(TimeoutError):
        events.wait_for("agent_notified", count=1_000, timeout=wait, agent_id=agent_id, kind=kind)
    return [
        e
        for e in events.events
        if e["event_type"] == "agent_notified" and e["payload"]["agent_id"] == agent_id and e["payload"]["kind"] == kind
    ]


def _wants_mail(rpc: SyncRpc, agent_id: int, kind: str) -> None:
    rpc.call("notifications", "set_agent_preference", agent_id=agent_id, kind=kind, channel="email", enabled=True)


def test_a_mention_in_a_note_reaches_the_named_agent_once(
    worker: Worker, cases: Cases, admin: dict[str, Any], sent_events: EventCollector, rpc: SyncRpc, sink: SmtpSink
) -> None:
    colleague = _agent(cases, "Ola")
    _wants_mail(rpc, colleague["id"], "mentioned")
    case = cases.call("create_case", data={"title": "Router blinking"}, actor=admin)
    body = f"@{colleague['name']} please look, and @{admin['email']} too"
    cases.call("add_message", case_id=case["id"], data={"body": body, "visibility": "internal"}, actor=admin)

    [event] = sent_events.wait_for("agent_notified", agent_id=colleague["id"], kind="mentioned", timeout=20)
    assert event["payload"]["case_id"] == case["id"]
    assert event["payload"]["detail"] == body  # a short note is its own excerpt
    [stored] = rpc.call("notifications", "list_agent_notifications", agent_id=colleague["id"])["items"]
    assert (stored["kind"], stored["title"], stored["detail"]) == ("mentioned", "Router blinking", body)
    assert stored["id"] == event["payload"]["notification_id"]  # the event names the stored row
    [mail] = sink.wait_for(colleague["email"])
    assert mail["Subject"] == f"You were mentioned: [#{case['number']}] Router blinking"
    # the author named themselves: no alert for that; and nothing more for the colleague
    assert _notified(sent_events, admin["id"], "mentioned", wait=0) == []
    assert len(_notified(sent_events, colleague["id"], "mentioned", wait=2)) == 1
    assert len(sink.to(colleague["email"])) == 1


def test_a_task_given_to_an_agent_reaches_them_and_only_them(
    worker: Worker, cases: Cases, admin: dict[str, Any], sent_events: EventCollector, rpc: SyncRpc, sink: SmtpSink
) -> None:
    first, second = _agent(cases, "Tor"), _agent(cases, "Siv")
    _wants_mail(rpc, first["id"], "task_assigned")
    case = cases.call("create_case", data={"title": "New laptop for Kari"}, actor=admin)
    task = cases.call(
        "add_task", case_id=case["id"], data={"title": "Order the laptop", "assignee_id": first["id"]}, actor=admin
    )
    [event] = sent_events.wait_for("agent_notified", agent_id=first["id"], kind="task_assigned", timeout=20)
    assert event["payload"]["case_number"] == case["number"]
    assert event["payload"]["detail"] == "Task: Order the laptop"
    [mail] = sink.wait_for(first["email"])
    assert mail["Subject"] == f"Task assigned to you: [#{case['number']}] New laptop for Kari"
    assert "Task: Order the laptop" in mail.get_body(("plain",)).get_content()

    # a change that is not an assignment tells nobody; a new assignee is told
    cases.call("update_task", case_id=case["id"], task_id=task["id"], changes={"title": "Order it"}, actor=admin)
    cases.call(
        "update_task", case_id=case["id"], task_id=task["id"], changes={"assignee_id": second["id"]}, actor=admin
    )
    sent_events.wait_for("agent_notified", agent_id=second["id"], kind="task_assigned", timeout=20)
    # an agent who takes a task themselves is not told about it
    own = {**admin, "id": second["id"], "email": second["email"], "name": second["name"]}
    cases.call("add_task", case_id=case["id"], data={"title": "Mine", "assignee_id": second["id"]}, actor=own)
    assert len(_notified(sent_events, second["id"], "task_assigned", wait=3)) == 1
    assert len(_notified(sent_events, first["id"], "task_assigned", wait=0)) == 1
    assert len(sink.to(first["email"])) == 1


def test_sla_alerts_go_to_the_assignee_else_the_group(
    worker: Worker,
    cases: Cases,
    admin: dict[str, Any],
    publisher: Publisher,
    sent_events: EventCollector,
    rpc: SyncRpc,
    sink: SmtpSink,
) -> None:
    group = cases.call("save_group", data={"name": f"Network {uuid.uuid4().hex[:4]}"})
    m1, m2 = _agent(cases, "Nora", [group["id"]]), _agent(cases, "Nils", [group["id"]])
    outsider = _agent(cases, "Otto")
    _wants_mail(rpc, m2["id"], "sla_breached")
    due = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

    unassigned = CaseRead.model_validate(
        cases.call("create_case", data={"title": "VPN down", "group_id": group["id"]}, actor=admin)
    )
    breach = SlaBreached(case=unassigned, metric=SlaMetric.FIRST_RESPONSE, due_at=due, policy_id=1, policy_name="Gold")
    envelope = publisher.publish(breach)
    publisher.publish(envelope)  # redelivered: still once each
    for member in (m1, m2):
        sent_events.wait_for("agent_notified", agent_id=member["id"], kind="sla_breached", timeout=20)
    [mail] = sink.wait_for(m2["email"])
    assert mail["Subject"] == f"SLA breached: [#{unassigned.number}] VPN down"
    assert "First response was due 2026-11-23 14:00 UTC (policy Gold)" in mail.get_body(("plain",)).get_content()

    assigned = CaseRead.model_validate(
        cases.call(
            "create_case", data={"title": "Mail slow", "group_id": group["id"], "assignee_id": m1["id"]}, actor=admin
        )
    )
    publisher.publish(SlaWarning(case=assigned, metric=SlaMetric.RESOLUTION, due_at=due, policy_id=1))
    [warned] = sent_events.wait_for("agent_notified", agent_id=m1["id"], kind="sla_warning", timeout=20)
    assert warned["payload"]["case_id"] == assigned.id
    assert warned["payload"]["detail"] == "Resolution is due 2026-11-23 14:00 UTC"

    assert len(_notified(sent_events, m1["id"], "sla_breached", wait=2)) == 1
    assert len(_notified(sent_events, m2["id"], "sla_breached", wait=0)) == 1
    assert _notified(sent_events, m2["id"], "sla_warning", wait=0) == []  # the assignee only
    assert _notified(sent_events, outsider["id"], "sla_breached", wait=0) == []
    assert len(sink.to(m2["email"])) == 1
    page = rpc.call("notifications", "list_agent_notifications", agent_id=m1["id"])
    assert sorted((n["kind"], n["detail"]) for n in page["items"] if n["kind"].startswith("sla")) == [
        ("sla_breached", "First response was due 2026-11-23 14:00 UTC (policy Gold)"),
        ("sla_warning", "Resolution is due 2026-11-23 14:00 UTC"),
    ]
