"""While cases is down, an alert that needs a group's members is requeued, not held; afterwards it arrives once.

Runs the real cases service (its own PostgreSQL database, the same RabbitMQ vhost), stops it, and
publishes a case that needs the directory.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cases_kit import Cases
from notifications_testkit import Publisher, make_case, running_worker, wait_until

from chassis.testing import EventCollector, SyncRpc, pg_database
from contracts.cases import CaseCreated, CaseRead

RPC_TIMEOUT = 1.0


def _notified(events: EventCollector, agent_id: int, wait: float) -> list[dict[str, Any]]:
    """The `agent_notified` events for an agent seen after draining the stream for `wait` seconds."""
    with contextlib.suppress(TimeoutError):
        events.wait_for("agent_notified", count=1_000, timeout=wait, agent_id=agent_id)
    return [e for e in events.events if e["event_type"] == "agent_notified" and e["payload"]["agent_id"] == agent_id]


@pytest.fixture(scope="module")
def cases(amqp_uri: str, work_dir: Path) -> Iterator[Cases]:
    with pg_database("cases") as db_url:
        service = Cases(db_url, amqp_uri, work_dir)
        try:
            yield service
        finally:
            service.stop()


def test_an_alert_waits_for_cases_by_requeueing_then_arrives_once(
    cases: Cases, db_url: str, amqp_uri: str, publisher: Publisher, sent_events: EventCollector, work_dir: Path
) -> None:
    # the directory: one group with one member, made through cases itself
    cases.start()
    group = cases.call("save_group", data={"name": "Hardware"})
    member = cases.call("save_agent", data={"email": "hw1@example.com", "name": "Hal", "group_ids": [group["id"]]})
    cases.stop()  # its RPC queue stays: a call now waits for an answer that does not come

    data = make_case(title="Disk array beeping", requester_email=None).model_dump(mode="json")
    data["group"] = {"id": group["id"], "name": "Hardware"}
    case = CaseRead.model_validate(data)
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=None,
        log_dir=work_dir,
        var_dir=work_dir,
        cases_rpc_timeout=str(RPC_TIMEOUT),
    ) as worker:
        started = time.monotonic()
        publisher.publish(CaseCreated(case=case, first_message=None))
        wait_until(lambda: worker.consumed("case_created", "retried") >= 1, 10, "a requeue")
        # the handler gave up after the time-out (plus the consumer's 1 s pause), not after minutes
        assert time.monotonic() - started < RPC_TIMEOUT + 1.0 + 2.0
        wait_until(lambda: worker.consumed("case_created", "retried") >= 3, 15, "more requeues")
        assert _notified(sent_events, member["id"], wait=0.5) == []

        cases.start()
        [event] = sent_events.wait_for("agent_notified", count=1, agent_id=member["id"], timeout=20)
        assert event["payload"]["kind"] == "new_case_in_group"
        assert event["payload"]["case_id"] == case.id
        # every requeued try ended as that one notification: nothing more follows
        assert len(_notified(sent_events, member["id"], wait=2 * RPC_TIMEOUT + 1)) == 1
        rpc = SyncRpc(amqp_uri)
        try:
            page = rpc.call("notifications", "list_agent_notifications", agent_id=member["id"])
        finally:
            rpc.close()
        assert [n["kind"] for n in page["items"]] == ["new_case_in_group"]
