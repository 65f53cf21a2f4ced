"""Agents' notifications (E2): stored once with an unread count, announced as events, as each agent prefers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notifications_testkit import (
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    next_id,
    running_worker,
    wait_until,
)

from chassis.testing import EventCollector, SyncRpc
from contracts.cases import CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.errors import DomainError


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


def _assigned(agent_id: int, **over: Any) -> CaseRead:
    case = make_case(**over)
    data = case.model_dump(mode="json")
    data["assignee"] = {"id": agent_id, "email": f"agent{agent_id}@example.com", "name": "Agent"}
    return CaseRead.model_validate(data)


def _prefer(rpc: SyncRpc, agent: int, channel: str, enabled: bool) -> dict[str, Any]:
    kwargs = {"agent_id": agent, "kind": "assigned_to_me", "channel": channel, "enabled": enabled}
    result: dict[str, Any] = rpc.call("notifications", "set_agent_preference", **kwargs)
    return result


def test_assignment_and_a_customer_reply_reach_the_assignee_once_each(
    worker: Worker, publisher: Publisher, sent_events: EventCollector, rpc: SyncRpc, sink: SmtpSink
) -> None:
    agent = next_id()
    case = _assigned(agent)
    changes = {"assignee_id": {"old": None, "new": agent}}
    envelope = publisher.publish(CaseUpdated(case=case, changes=changes))
    publisher.publish(envelope)  # redelivered: still one notification
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="contact")))
    note = make_message(case=case, author_type="agent", visibility="internal")
    publisher.publish(MessageAdded(case=case, message=note))

    events = sent_events.wait_for("agent_notified", count=2, agent_id=agent)
    assert sorted(e["payload"]["kind"] for e in events) == ["assigned_to_me", "customer_replied"]
    page = wait_until(lambda: (p := rpc.call("notifications", "list_agent_notifications", agent_id=agent)) and p)
    assert page["unread"] == 2 and len(page["items"]) == 2
    assert rpc.call("notifications", "mark_agent_notifications_read", agent_id=agent) == {"marked": 2}
    assert rpc.call("notifications", "list_agent_notifications", agent_id=agent)["unread"] == 0
    assert sink.to(f"agent{agent}@example.com") == []  # mail to agents is opt-in


def test_an_agent_who_wants_mail_and_no_in_app_gets_just_that(
    worker: Worker, publisher: Publisher, rpc: SyncRpc, sink: SmtpSink
) -> None:
    agent = next_id()
    _prefer(rpc, agent, "email", True)
    prefs = _prefer(rpc, agent, "in_app", False)
    assert prefs["assigned_to_me"] == {"in_app": False, "email": True, "push": True, "sms": False}
    assert rpc.call("notifications", "get_agent_preferences", agent_id=agent) == prefs

    case = _assigned(agent, title="Server room flooded", requester_email=None)
    envelope = publisher.publish(CaseCreated(case=case, first_message=None))
    [mail] = sink.wait_for(f"agent{agent}@example.com")
    assert mail["Subject"] == f"Assigned to you: [#{case.number}] Server room flooded"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert f"/cases/{case.id}" in mail.get_body(("plain",)).get_content()
    wait_until(lambda: worker.processed(envelope.event_id, "alert_on_case_created"), what="alert consumer done")
    assert rpc.call("notifications", "list_agent_notifications", agent_id=agent)["unread"] == 0

    with pytest.raises(DomainError) as err:
        _prefer(rpc, agent, "carrier_pigeon", True)
    assert err.value.code == "validation_error"
