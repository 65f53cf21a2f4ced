"""GET /api/v1/deliveries and the suppression list, against real cases and notifications workers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from conftest import Stack, wait_until

from chassis.amqp import ConfirmedPublisher, event_exchange
from chassis.testing import ServiceProcess
from contracts.envelope import Envelope
from contracts.mail_gateway import MailBounced
from gateway import access


def _reply_on_new_case(api: httpx.Client, requester: str) -> dict[str, Any]:
    case = api.post("/api/v1/cases", json={"title": f"Deliveries {uuid.uuid4().hex[:6]}", "requester_email": requester})
    assert case.status_code == 201, case.text
    reply = api.post(f"/api/v1/cases/{case.json()['id']}/messages", json={"body": "On it.", "visibility": "public"})
    assert reply.status_code == 201, reply.text
    return case.json()


def test_the_delivery_log_filters_by_case_and_recipient(
    stack: Stack, api: httpx.Client, notifications: ServiceProcess
) -> None:
    first = _reply_on_new_case(api, "log-one@customer.example")
    second = _reply_on_new_case(api, "log-two@customer.example")

    def sent(case_id: int) -> list[dict[str, Any]]:
        resp = api.get("/api/v1/deliveries", params={"case": case_id})
        assert resp.status_code == 200, resp.text
        return [d for d in resp.json()["items"] if d["status"] == "sent"]

    [row] = wait_until(lambda: sent(first["id"]), timeout=30, what="the reply to be sent")
    assert row["kind"] == "reply" and row["channel"] == "email"
    assert row["recipient"] == "log-one@customer.example"
    assert row["email_message_id"] and row["attempts"] == 1
    wait_until(lambda: sent(second["id"]), timeout=30, what="the second reply")

    by_recipient = api.get("/api/v1/deliveries", params={"recipient": "LOG-TWO@customer.example"}).json()["items"]
    assert {d["case_id"] for d in by_recipient} == {second["id"]}
    everything = api.get("/api/v1/deliveries").json()["items"]
    assert {first["id"], second["id"]} <= {d["case_id"] for d in everything}
    assert everything == sorted(everything, key=lambda d: d["id"], reverse=True)


def test_only_admin_keys_see_deliveries(stack: Stack) -> None:
    _, secret = access.create_api_key(factory=stack.db(), name="not an admin", scopes=["*"])
    with stack.client(secret) as client:
        for path in ("/api/v1/deliveries", "/api/v1/suppressions"):
            resp = client.get(path)
            assert resp.status_code == 403, resp.text
            assert resp.json()["error"]["code"] == "role_forbidden"
        assert client.delete("/api/v1/suppressions/a@b.example").status_code == 403
    with stack.anonymous() as client:
        assert client.get("/api/v1/deliveries").status_code == 401


def test_a_hard_bounce_is_listed_and_can_be_cleared(
    stack: Stack, api: httpx.Client, notifications: ServiceProcess
) -> None:
    address = f"bounced-{uuid.uuid4().hex[:6]}@customer.example"
    publisher = ConfirmedPublisher(stack.amqp_uri, declare=[event_exchange("mail_gateway")])
    try:
        bounce = MailBounced(inbound_mail_id=1, recipient=address, status="5.1.1")
        envelope = Envelope.wrap(bounce, source="mail_gateway")
        publisher.publish(
            envelope.model_dump(mode="json"),
            exchange=event_exchange("mail_gateway"),
            routing_key=envelope.event_type,
            message_id=envelope.event_id,
        )
    finally:
        publisher.close()

    def listed() -> list[dict[str, Any]]:
        return api.get("/api/v1/suppressions", params={"address": address}).json()["items"]

    [row] = wait_until(listed, timeout=30, what="the suppression")
    assert row["reason"] == "hard bounce 5.1.1"
    cleared = api.delete(f"/api/v1/suppressions/{address}")
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["address"] == address
    assert listed() == []
    again = api.delete(f"/api/v1/suppressions/{address}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_the_openapi_document_lists_the_delivery_paths(stack: Stack) -> None:
    with stack.anonymous() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/deliveries"]
    assert "delete" in paths["/api/v1/suppressions/{address}"]
