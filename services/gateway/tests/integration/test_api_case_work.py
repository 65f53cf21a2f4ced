"""REST API v1 for the work on a case through `python -m gateway web` and the real cases worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Stack
from sqlalchemy import create_engine, text

from chassis.testing import EventCollector
from gateway import access

V1 = "/api/v1"


def _error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    return resp.json()["error"]


def _new_case(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Work {uuid.uuid4().hex[:8]}", "requester_email": "nina@customer.example", **fields}
    resp = api.post(f"{V1}/cases", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def history(stack: Stack) -> Iterator[Any]:
    """`history(case_id)`: the case's history rows as (field, old, new), read from the cases database."""
    engine = create_engine(stack.cases_db_url)

    def rows(case_id: int) -> list[tuple[str, str | None, str | None]]:
        with engine.connect() as conn:
            sql = text("SELECT field, old_value, new_value FROM case_history WHERE case_id = :id ORDER BY id")
            return [tuple(r) for r in conn.execute(sql, {"id": case_id})]

    yield rows
    engine.dispose()


def test_openapi_documents_the_case_work_paths(stack: Stack) -> None:
    with stack.anonymous() as client:
        paths = client.get(f"{V1}/openapi.json").json()["paths"]
    for path in (
        "/cases/{case_id}/forwards",
        "/cases/{case_id}/tasks",
        "/cases/{case_id}/tasks/{task_id}",
        "/cases/{case_id}/attachments",
        "/cases/{case_id}/attachments/{attachment_id}",
        "/cases/{case_id}/time",
        "/cases/{case_id}/timer/start",
        "/cases/{case_id}/merge",
        "/cases/{case_id}/links",
        "/cases/{case_id}/close-with-children",
        "/templates",
        "/templates/{template_id}/cases",
        "/canned-replies",
        "/recurrences",
        "/signatures",
        "/signatures/resolve",
    ):
        assert V1 + path in paths, path
    upload = paths[f"{V1}/cases/{{case_id}}/attachments"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "413" in upload["responses"]


def test_forward_and_tasks(
    api: httpx.Client, events: EventCollector, history: Any, admin_agent: dict[str, Any]
) -> None:
    case = _new_case(api)
    resp = api.post(f"{V1}/cases/{case['id']}/forwards", json={"recipients": ["vendor@partner.example"], "body": "FYI"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["kind"] == "forward" and resp.json()["recipients"] == ["vendor@partner.example"]
    events.wait_for("message_forwarded", case__id=case["id"])
    _error(
        api.post(f"{V1}/cases/{case['id']}/forwards", json={"recipients": ["nope"], "body": "x"}),
        422,
        "validation_error",
    )
    _error(api.post(f"{V1}/cases/987654/forwards", json={"recipients": ["a@b.example"], "body": "x"}), 404, "not_found")

    resp = api.post(f"{V1}/cases/{case['id']}/tasks", json={"title": "Call back", "assignee_id": admin_agent["id"]})
    assert resp.status_code == 201, resp.text
    task = resp.json()
    events.wait_for("task_changed", task__id=task["id"], change="created")
    resp = api.patch(f"{V1}/cases/{case['id']}/tasks/{task['id']}", json={"done": True})
    assert resp.status_code == 200 and resp.json()["done"]
    events.wait_for("task_changed", task__id=task["id"], change="updated")
    _error(api.patch(f"{V1}/cases/{case['id']}/tasks/{task['id']}", json={"colour": "red"}), 422, "validation_error")
    _error(api.post(f"{V1}/cases/{case['id']}/tasks", json={"title": "x", "kind": "approval"}), 422, "validation_error")
    assert [t["id"] for t in api.get(f"{V1}/cases/{case['id']}/tasks").json()["items"]] == [task["id"]]
    fields = [h[0] for h in history(case["id"])]
    assert fields == ["created", "forwarded", "task_added", "task.done"]


def test_attachments_upload_download_and_limit(api: httpx.Client, events: EventCollector, history: Any) -> None:
    case = _new_case(api)
    name = "Offert Q1; å.pdf"
    resp = api.post(
        f"{V1}/cases/{case['id']}/attachments", files={"file": (name, b"%PDF-1.4 hello", "application/pdf")}
    )
    assert resp.status_code == 201, resp.text
    attachment = resp.json()
    assert attachment["size"] == 14 and attachment["content_type"] == "application/pdf"
    events.wait_for("attachment_added", attachment__id=attachment["id"])
    down = api.get(f"{V1}/cases/{case['id']}/attachments/{attachment['id']}")
    assert down.status_code == 200 and down.content == b"%PDF-1.4 hello"
    assert down.headers["content-type"] == "application/pdf"
    disposition = down.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Offert Q1_ a.pdf"')
    assert attachment["filename"] == name
    assert "filename*=UTF-8''Offert%20Q1%3B%20%C3%A5.pdf" in disposition
    assert down.headers["x-content-type-options"] == "nosniff"
    assert ("attachment_added", None, attachment["filename"]) in history(case["id"])

    too_big = api.post(
        f"{V1}/cases/{case['id']}/attachments",
        files={"file": ("big.bin", b"x" * (5 * 1024 * 1024 + 1), "application/octet-stream")},
    )
    _error(too_big, 413, "payload_too_large")
    _error(api.get(f"{V1}/cases/{case['id']}/attachments/987654"), 404, "not_found")
    listed = api.get(f"{V1}/cases/{case['id']}/attachments").json()["items"]
    assert [a["id"] for a in listed] == [attachment["id"]]


def test_time_entries_and_timer(api: httpx.Client, events: EventCollector, admin_agent: dict[str, Any]) -> None:
    case = _new_case(api)
    resp = api.post(f"{V1}/cases/{case['id']}/time", json={"minutes": 20, "billable": False})
    assert resp.status_code == 201, resp.text
    assert resp.json()["agent_id"] == admin_agent["id"]
    assert api.post(f"{V1}/cases/{case['id']}/timer/start").status_code == 201
    _error(api.post(f"{V1}/cases/{case['id']}/timer/start"), 422, "invalid_transition")
    assert api.post(f"{V1}/cases/{case['id']}/timer/stop").status_code == 200
    events.wait_for("time_logged", entry__case_id=case["id"], count=3)
    totals = api.get(f"{V1}/cases/{case['id']}/time").json()
    assert (totals["minutes"], totals["billable_minutes"]) == (21, 1)
    assert totals["by_agent"] == [{"agent_id": admin_agent["id"], "minutes": 21, "billable_minutes": 1}]
    _error(api.post(f"{V1}/cases/{case['id']}/time", json={"minutes": -5}), 422, "validation_error")
    assert api.get(f"{V1}/agents/{admin_agent['id']}/time").json()["minutes"] >= 21


def test_templates_canned_replies_recurrences(stack: Stack, api: httpx.Client, events: EventCollector) -> None:
    name = f"Laptop {uuid.uuid4().hex[:6]}"
    resp = api.post(f"{V1}/templates", json={"name": name, "title": "New laptop", "default_priority": "high"})
    assert resp.status_code == 201, resp.text
    template = resp.json()
    resp = api.post(f"{V1}/templates/{template['id']}/cases", json={"requester_email": "kim@c.example"})
    assert resp.status_code == 201, resp.text
    case = resp.json()
    assert case["title"] == "New laptop" and case["priority"] == "high"
    events.wait_for("case_created", case__id=case["id"])
    _error(api.post(f"{V1}/templates", json={"name": name, "title": "dup"}), 422, "validation_error")
    _error(api.post(f"{V1}/templates/987654/cases", json={}), 404, "not_found")
    assert api.post(f"{V1}/cases/{case['id']}/template", json={"name": name + " v2"}).status_code == 201
    assert {name, name + " v2"} <= {t["name"] for t in api.get(f"{V1}/templates").json()["items"]}

    made = api.post(f"{V1}/canned-replies", json={"title": name, "body": "We are on it."})
    reply = made.json()
    # listed as created, with its version: the ETag it was created with
    assert {**reply, "version": made.headers["ETag"].strip('"')} in api.get(f"{V1}/canned-replies").json()["items"]
    assert api.delete(f"{V1}/canned-replies/{reply['id']}").status_code == 204
    _error(api.delete(f"{V1}/canned-replies/{reply['id']}"), 404, "not_found")

    body = {"template_id": template["id"], "every": 1, "unit": "month", "start_at": "2099-01-31T08:00:00Z"}
    resp = api.post(f"{V1}/recurrences", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["next_at"].startswith("2099-01-31")
    paused = api.patch(f"{V1}/recurrences/{resp.json()['id']}", json={"active": False})
    assert paused.status_code == 200 and paused.json()["active"] is False
    _error(api.patch(f"{V1}/recurrences/987654", json={"active": False}), 404, "not_found")
    resp = api.put(f"{V1}/templates/{template['id']}", json={"name": name, "title": "New laptop", "instructions": "X"})
    assert resp.status_code == 200 and resp.json()["instructions"] == "X"
    _error(api.put(f"{V1}/templates/{template['id']}", json={"name": name, "title": ""}), 422, "validation_error")
    _error(api.post(f"{V1}/recurrences", json={**body, "unit": "fortnight"}), 422, "validation_error")

    # settings are for admins: a key with only cases:write may not change them
    _key_id, secret = access.create_api_key(
        factory=stack.db(), name="writer", scopes=["cases:read", "cases:write"], is_admin=False
    )
    with stack.client(secret) as writer_client:
        _error(writer_client.post(f"{V1}/canned-replies", json={"title": "x", "body": "y"}), 403, "role_forbidden")
        _error(writer_client.put(f"{V1}/signatures", json={"signature": "x"}), 403, "forbidden")


def test_signatures_resolve(api: httpx.Client, admin_agent: dict[str, Any]) -> None:
    mailbox = f"help-{uuid.uuid4().hex[:6]}@example.com"
    assert api.put(f"{V1}/signatures", json={"mailbox": mailbox, "greeting": "Dear customer,"}).status_code == 200
    personal = {"agent_id": admin_agent["id"], "mailbox": mailbox, "signature": "-- Admin at help"}
    assert api.put(f"{V1}/signatures", json=personal).status_code == 200
    resolved = api.get(f"{V1}/signatures/resolve", params={"agent": admin_agent["id"], "mailbox": mailbox}).json()
    assert resolved["greeting"] == "Dear customer," and resolved["greeting_from"] == "mailbox"
    assert resolved["signature"] == "-- Admin at help" and resolved["signature_from"] == "personal_mailbox"
    _error(api.put(f"{V1}/signatures", json={"agent_id": 987654, "signature": "x"}), 422, "validation_error")


def test_merge_links_and_close_with_children(
    api: httpx.Client, events: EventCollector, history: Any, admin_agent: dict[str, Any]
) -> None:
    survivor, duplicate = _new_case(api), _new_case(api)
    api.post(f"{V1}/cases/{duplicate['id']}/messages", json={"body": "me too", "visibility": "internal"})
    resp = api.post(f"{V1}/cases/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]})
    assert resp.status_code == 200, resp.text
    events.wait_for("cases_merged", survivor__id=survivor["id"])
    assert api.get(f"{V1}/cases/{duplicate['id']}").json()["status"] == "closed"
    moved = api.get(f"{V1}/cases/{survivor['id']}/messages").json()["items"]
    assert [m["kind"] for m in moved] == ["note", "system"] and moved[0]["body_text"] == "me too"
    assert api.get(f"{V1}/cases/{duplicate['id']}/links").json()["merged_into"] == survivor["id"]
    assert ("merged_from", None, str(duplicate["number"])) in history(survivor["id"])
    _error(
        api.post(f"{V1}/cases/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]}),
        422,
        "invalid_transition",
    )

    master = _new_case(api, assignee_id=admin_agent["id"])
    child = _new_case(api)
    resp = api.post(f"{V1}/cases/{child['id']}/links", json={"other_case_id": master["id"], "kind": "parent"})
    assert resp.status_code == 201, resp.text
    events.wait_for("case_linked", link__case_id=child["id"])
    assert api.get(f"{V1}/cases/{master['id']}/links").json()["children"] == [child["id"]]
    _error(api.post(f"{V1}/cases/{child['id']}/links", json={"other_case_id": child["id"]}), 422, "validation_error")
    resp = api.post(f"{V1}/cases/{master['id']}/close-with-children")
    assert resp.status_code == 200, resp.text
    assert [c["id"] for c in resp.json()["closed_children"]] == [child["id"]]
    assert api.get(f"{V1}/cases/{child['id']}").json()["status"] == "closed"
    assert ("closed_with_master", None, str(master["number"])) in history(child["id"])
