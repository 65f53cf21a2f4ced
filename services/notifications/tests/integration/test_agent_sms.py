"""SMS alerts to agents (E2): to the number they registered, only for what they turned on, once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from notifications_testkit import FakeTwilio, Publisher, Worker, make_case, next_id, running_worker, wait_until

from chassis.testing import EventCollector, SyncRpc
from contracts.cases import CaseRead
from contracts.errors import DomainError
from contracts.sla import SlaBreached, SlaMetric, SlaWarning


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, work_dir: Path, twilio: FakeTwilio) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=None, log_dir=work_dir, var_dir=work_dir, **twilio.settings
    ) as worker:
        yield worker


def _case_of(agent: int, title: str) -> CaseRead:
    data = make_case(title=title, requester_email=None).model_dump(mode="json")
    data["assignee"] = {"id": agent, "email": f"agent{agent}@example.com", "name": "Agent"}
    return CaseRead.model_validate(data)


def test_an_sla_breach_goes_by_sms_to_the_agent_who_asked_for_it(
    worker: Worker, publisher: Publisher, rpc: SyncRpc, twilio: FakeTwilio, sent_events: EventCollector
) -> None:
    agent, phone = next_id(), f"+47900{next_id() % 100_000:05d}"
    assert rpc.call("notifications", "set_agent_sms_number", agent_id=agent, phone=phone.replace("+", "00")) == {
        "phone": phone
    }
    prefs = rpc.call(
        "notifications", "set_agent_preference", agent_id=agent, kind="sla_breached", channel="sms", enabled=True
    )
    assert prefs["sla_breached"]["sms"] is True and prefs["sla_warning"]["sms"] is False

    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    case = _case_of(agent, "Core switch down")
    envelope = publisher.publish(SlaBreached(case=case, metric=SlaMetric.RESOLUTION, due_at=due, policy_id=1))
    publisher.publish(envelope)  # redelivered: one SMS
    publisher.publish(SlaWarning(case=case, metric=SlaMetric.FIRST_RESPONSE, due_at=due, policy_id=1))
    [sms] = wait_until(lambda: twilio.to(phone), what="an SMS")
    assert sms["Body"] == (
        f"SLA breached: #{case.number} Core switch down Resolution was due 2026-11-23 09:00 UTC. "
        f"http://127.0.0.1:8080/cases/{case.id}"
    )
    sent_events.wait_for("agent_notified", agent_id=agent, kind="sla_warning")  # the warning was handled: in-app only
    time.sleep(1)
    assert len(twilio.to(phone)) == 1
    [delivery] = [d for d in worker.deliveries(channel="sms", case_id=case.id)]
    assert delivery["kind"] == "agent_sla_breached" and delivery["status"] == "sent"


def test_without_a_number_no_sms_and_a_bad_number_is_refused(
    worker: Worker, publisher: Publisher, rpc: SyncRpc, twilio: FakeTwilio, sent_events: EventCollector
) -> None:
    agent = next_id()
    with pytest.raises(DomainError) as err:
        rpc.call("notifications", "set_agent_sms_number", agent_id=agent, phone="call me maybe")
    assert err.value.code == "validation_error"
    rpc.call("notifications", "set_agent_preference", agent_id=agent, kind="sla_breached", channel="sms", enabled=True)
    before = len(twilio.received)
    case = _case_of(agent, "No phone")
    publisher.publish(SlaBreached(case=case, metric=SlaMetric.RESOLUTION, due_at=datetime.now(UTC), policy_id=1))
    sent_events.wait_for("agent_notified", agent_id=agent, kind="sla_breached")
    time.sleep(1)
    assert len(twilio.received) == before and worker.deliveries(channel="sms", case_id=case.id) == []

    rpc.call("notifications", "set_agent_sms_number", agent_id=agent, phone="+4791234567")
    assert rpc.call("notifications", "clear_agent_sms_number", agent_id=agent) == {"phone": None}
    assert rpc.call("notifications", "get_agent_sms_number", agent_id=agent) == {"phone": None}
    with pytest.raises(DomainError) as gone:
        rpc.call("notifications", "clear_agent_sms_number", agent_id=agent)
    assert gone.value.code == "not_found"
