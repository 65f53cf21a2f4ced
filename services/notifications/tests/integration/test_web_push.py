"""Web Push (E2): an alert reaches the agent's subscribed browsers, encrypted for them and signed with our VAPID key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from notifications_testkit import Publisher, Worker, make_case, next_id, running_worker, wait_until
from push_kit import Browser, FakePushService, b64, vapid_claims

from chassis.testing import EventCollector, SyncRpc
from contracts.cases import CaseRead, CaseUpdated
from contracts.errors import DomainError

VAPID_PRIVATE = b64(ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big"))


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    service = FakePushService().start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=None,
        log_dir=work_dir,
        var_dir=work_dir,
        vapid_private_key=VAPID_PRIVATE,
        vapid_subject="mailto:ops@helpdesk.example",
    ) as worker:
        yield worker


def _assign(publisher: Publisher, agent: int, title: str = "Printer on fire") -> tuple[CaseRead, Any]:
    data = make_case(title=title, requester_email=None).model_dump(mode="json")
    data["assignee"] = {"id": agent, "email": f"agent{agent}@example.com", "name": "Agent"}
    case = CaseRead.model_validate(data)
    envelope = publisher.publish(CaseUpdated(case=case, changes={"assignee_id": {"old": None, "new": agent}}))
    return case, envelope


def test_an_alert_is_pushed_encrypted_and_vapid_signed_once(
    worker: Worker, publisher: Publisher, rpc: SyncRpc, push_service: FakePushService
) -> None:
    agent = next_id()
    browser = Browser.at(push_service)
    saved = rpc.call("notifications", "save_push_subscription", agent_id=agent, data=browser.subscription())
    assert saved["agent_id"] == agent and saved["endpoint"] == browser.endpoint

    case, envelope = _assign(publisher, agent)
    publisher.publish(envelope)  # redelivered: still one push
    [request] = wait_until(lambda: push_service.to(browser.path), what="a push")
    payload = browser.decrypt(request)
    assert payload["title"] == f"Assigned to you: #{case.number}"
    assert payload["body"] == "Printer on fire"
    assert payload["url"].endswith(f"/cases/{case.id}") and payload["case_id"] == case.id

    public_key = rpc.call("notifications", "get_push_public_key")["public_key"]
    claims = vapid_claims(request, public_key)
    assert claims["aud"] == f"http://127.0.0.1:{push_service.port}"
    assert claims["sub"] == "mailto:ops@helpdesk.example"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert int(request.headers["ttl"]) > 0

    [delivery] = wait_until(lambda: [d for d in worker.deliveries(channel="push", case_id=case.id) if d["sent_at"]])
    assert delivery["status"] == "sent" and delivery["kind"] == "agent_assigned_to_me"
    time.sleep(1)
    assert len(push_service.to(browser.path)) == 1


def test_a_gone_subscription_is_removed_and_an_agent_can_turn_push_off(
    worker: Worker, publisher: Publisher, rpc: SyncRpc, push_service: FakePushService, sent_events: EventCollector
) -> None:
    agent = next_id()
    gone, kept = Browser.at(push_service), Browser.at(push_service)
    push_service.status_for[gone.path] = 410
    for browser in (gone, kept):
        rpc.call("notifications", "save_push_subscription", agent_id=agent, data=browser.subscription())

    case, _ = _assign(publisher, agent)
    wait_until(lambda: push_service.to(kept.path), what="a push to the kept browser")
    dead = wait_until(lambda: [d for d in worker.deliveries(channel="push", case_id=case.id) if d["status"] == "dead"])
    assert dead[0]["last_error"] == "push subscription gone: 410" and dead[0]["attempts"] == 1
    remaining = rpc.call("notifications", "list_push_subscriptions", agent_id=agent)
    assert [s["endpoint"] for s in remaining] == [kept.endpoint]

    prefs = rpc.call(
        "notifications", "set_agent_preference", agent_id=agent, kind="assigned_to_me", channel="push", enabled=False
    )
    assert prefs["assigned_to_me"] == {"in_app": True, "email": False, "push": False, "sms": False}
    second, _ = _assign(publisher, agent, title="Second case")
    # the in-app notification is made in the same transaction as any push would have been queued
    sent_events.wait_for("agent_notified", agent_id=agent, case_id=second.id)
    time.sleep(1)
    assert len(push_service.to(kept.path)) == 1
    assert worker.deliveries(channel="push", case_id=second.id) == []

    assert rpc.call("notifications", "delete_push_subscription", agent_id=agent, endpoint=kept.endpoint)
    with pytest.raises(DomainError) as err:
        rpc.call("notifications", "delete_push_subscription", agent_id=agent, endpoint=kept.endpoint)
    assert err.value.code == "not_found"


def test_a_subscription_with_bad_keys_is_refused(worker: Worker, rpc: SyncRpc, push_service: FakePushService) -> None:
    data = Browser.at(push_service).subscription()
    data["keys"]["auth"] = "A" * 40  # 30 bytes, not 16
    data["endpoint"] = "ftp://push.example/x"
    with pytest.raises(DomainError) as err:
        rpc.call("notifications", "save_push_subscription", agent_id=next_id(), data=data)
    assert err.value.code == "validation_error"
    assert {d["field"] for d in err.value.details} == {"endpoint", "keys.auth"}
