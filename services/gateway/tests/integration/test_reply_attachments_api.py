"""REST: a reply names files uploaded to its case (decision 0102), through the gateway and real cases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from chassis.testing import EventCollector

V1 = "/api/v1"


def _new_case(api: httpx.Client) -> dict[str, Any]:
    body = {"title": f"Files {uuid.uuid4().hex[:8]}", "requester_email": "nina@customer.example"}
    resp = api.post(f"{V1}/cases", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _upload(api: httpx.Client, case_id: int, name: str) -> dict[str, Any]:
    resp = api.post(f"{V1}/cases/{case_id}/attachments", files={"file": (name, b"%PDF-1.4 x", "application/pdf")})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_reply_with_files_and_the_refusals(api: httpx.Client, events: EventCollector) -> None:
    case, other = _new_case(api), _new_case(api)
    mine = _upload(api, case["id"], "offer.pdf")
    theirs = _upload(api, other["id"], "theirs.pdf")

    resp = api.post(f"{V1}/cases/{case['id']}/messages", json={"body": "Attached.", "attachment_ids": [mine["id"]]})
    assert resp.status_code == 201, resp.text
    reply = resp.json()
    assert [(a["filename"], a["attachment_id"]) for a in reply["attachments"]] == [("offer.pdf", mine["id"])]
    [event] = events.wait_for("message_added", message__id=reply["id"])
    assert event["payload"]["message"]["attachments"][0]["attachment_id"] == mine["id"]

    foreign = api.post(f"{V1}/cases/{case['id']}/messages", json={"body": "x", "attachment_ids": [theirs["id"]]})
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    again = api.post(f"{V1}/cases/{case['id']}/messages", json={"body": "x", "attachment_ids": [mine["id"]]})
    assert again.status_code == 422 and again.json()["error"]["code"] == "validation_error"
    assert again.json()["error"]["details"]["attachment_id"] == mine["id"]
    too_many = api.post(f"{V1}/cases/{case['id']}/messages", json={"body": "x", "attachment_ids": list(range(1, 22))})
    assert too_many.status_code == 422
