"""The Twilio inbound-SMS webhook (A5, G3): signature-checked, exactly once, a case or a message on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import TWILIO_AUTH_TOKEN, Stack, wait_until
from twilio.request_validator import RequestValidator

from chassis.testing import EventCollector

PATH = "/webhooks/twilio/sms"


@pytest.fixture(scope="module")
def gateway_events(stack: Stack) -> Iterator[EventCollector]:
    collector = EventCollector(stack.amqp_uri, ["gateway"])
    try:
        yield collector
    finally:
        collector.close()


def _sms(
    stack: Stack, *, sender: str, body: str, sid: str | None = None, token: str = TWILIO_AUTH_TOKEN
) -> httpx.Response:
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+4790000000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(token).compute_signature(stack.base_url + PATH, form)
    with stack.anonymous() as client:
        return client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})


def _cases_of(api: httpx.Client, text: str) -> list[dict[str, Any]]:
    items = api.get("/api/v1/cases", params={"q": text, "limit": 100}).json()["items"]
    return [c for c in items if c["source"] == "sms"]


def test_a_forged_or_unsigned_request_is_refused(stack: Stack, gateway_events: EventCollector) -> None:
    forged = _sms(stack, sender="+4712345678", body="forged", token="not-the-token")
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "forbidden"
    with stack.anonymous() as client:
        unsigned = client.post(PATH, data={"MessageSid": "SM1", "From": "+4712345678", "Body": "x"})
    assert unsigned.status_code == 403
    assert [e for e in gateway_events.events if e["payload"].get("body") == "forged"] == []


def test_an_sms_opens_a_case_once_and_the_next_one_joins_it(
    stack: Stack, api: httpx.Client, gateway_events: EventCollector
) -> None:
    number = f"+4791{uuid.uuid4().int % 10**6:06d}"
    marker = f"router{uuid.uuid4().hex[:6]}"
    sid = f"SM{uuid.uuid4().hex}"
    first = _sms(stack, sender=number, body=f"My {marker} is dead\nPlease call", sid=sid)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/xml") and "<Response></Response>" in first.text
    assert _sms(stack, sender=number, body=f"My {marker} is dead\nPlease call", sid=sid).status_code == 200  # retry

    [case] = wait_until(lambda: _cases_of(api, marker), timeout=20, what="the SMS case")
    assert case["title"] == f"My {marker} is dead"
    [event] = gateway_events.wait_for("sms_received", message_sid=sid)
    assert event["payload"]["from_number"] == number

    assert _sms(stack, sender=number, body="Still dead, any news?").status_code == 200

    def conversation() -> list[dict[str, Any]]:
        items = api.get(f"/api/v1/cases/{case['id']}/messages").json()["items"]
        return items if len(items) == 2 else []

    messages = wait_until(conversation, timeout=20, what="the second SMS on the same case")
    assert [m["channel"] for m in messages] == ["sms", "sms"]
    assert messages[1]["body_text"] == "Still dead, any news?"
    assert messages[1]["author_type"] == "contact"
    assert len(_cases_of(api, marker)) == 1  # the retried webhook made no second case
    assert len([e for e in gateway_events.events if e["payload"].get("message_sid") == sid]) == 1


def test_an_agent_can_choose_sms_for_a_public_reply(api: httpx.Client) -> None:
    case = api.post("/api/v1/cases", json={"title": f"Choose SMS {uuid.uuid4().hex[:6]}"}).json()
    chosen = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "Texting you.", "send_by_sms": True})
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["channel"] == "sms"
    plain = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "Mailing you."})
    assert plain.json()["channel"] == "api"
