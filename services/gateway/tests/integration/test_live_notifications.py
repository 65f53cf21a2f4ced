"""Agents' notifications (E2, C7): stored with an unread count, and pushed live to the browser over SSE."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page, my_notifications, wait_until
from playwright.sync_api import Browser, expect

from chassis.testing import ServiceProcess
from gateway import access


def test_a_new_case_in_my_group_is_counted_and_can_be_marked_read(
    api: httpx.Client, partner: httpx.Client, support_group: dict[str, Any], notifications: ServiceProcess
) -> None:
    before = my_notifications(api)["unread"]
    title = f"Group alert {uuid.uuid4().hex[:6]}"
    created = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
    assert created.status_code == 201, created.text

    page = wait_until(
        lambda: (p := my_notifications(api)) and p["unread"] == before + 1 and p, timeout=20, what="the alert"
    )
    newest = page["items"][0]
    assert (newest["kind"], newest["case_id"], newest["title"]) == ("new_case_in_group", created.json()["id"], title)

    # the partner acts as no agent: it has no notifications of its own
    assert partner.get("/api/v1/notifications").status_code == 403
    marked = api.post("/api/v1/notifications/read", json={"up_to_id": newest["id"]})
    assert marked.status_code == 200 and marked.json()["marked"] >= 1
    assert my_notifications(api)["unread"] == 0


def test_marking_one_notification_read_leaves_the_older_ones_unread(
    api: httpx.Client, partner: httpx.Client, support_group: dict[str, Any], notifications: ServiceProcess
) -> None:
    api.post("/api/v1/notifications/read", json={})
    titles = [f"One of two {n} {uuid.uuid4().hex[:6]}" for n in range(2)]
    for title in titles:
        assert partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]}).status_code == 201
    page = wait_until(lambda: (p := my_notifications(api)) and p["unread"] == 2 and p, timeout=20, what="two alerts")
    newer, older = (next(n for n in page["items"] if n["title"] == t) for t in reversed(titles))
    assert newer["id"] > older["id"]

    marked = api.post("/api/v1/notifications/read", json={"id": newer["id"]})
    assert marked.status_code == 200 and marked.json() == {"marked": 1}
    now = {n["id"]: n["read_at"] for n in my_notifications(api)["items"]}
    assert now[newer["id"]] is not None and now[older["id"]] is None
    # someone else's notification, or one already read, marks nothing
    assert api.post("/api/v1/notifications/read", json={"id": newer["id"]}).json() == {"marked": 0}
    # one way at a time: a body asking both is refused and changes nothing
    both = api.post("/api/v1/notifications/read", json={"id": older["id"], "up_to_id": older["id"]})
    assert both.status_code == 422 and both.json()["error"]["code"] == "validation_error", both.text
    assert my_notifications(api)["unread"] == 1


def test_my_preferences_can_be_read_and_changed(api: httpx.Client, notifications: ServiceProcess) -> None:
    prefs = api.get("/api/v1/notifications/preferences")
    assert prefs.status_code == 200, prefs.text
    assert prefs.json()["assigned_to_me"] == {"in_app": True, "email": False, "push": True, "sms": False}
    changed = api.put("/api/v1/notifications/preferences/assigned_to_me/email", json={"enabled": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["assigned_to_me"] == {"in_app": True, "email": True, "push": True, "sms": False}
    refused = api.put("/api/v1/notifications/preferences/assigned_to_me/pigeon", json={"enabled": True})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
    api.put("/api/v1/notifications/preferences/assigned_to_me/email", json={"enabled": False})


def test_the_stream_speaks_server_sent_events_to_an_api_key_acting_as_an_agent(
    stack: Stack, partner: httpx.Client, support_group: dict[str, Any], notifications: ServiceProcess
) -> None:
    with stack.client() as client, client.stream("GET", "/api/v1/stream", timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: unread" and next(lines).startswith('data: {"unread":')
        title = f"Streamed {uuid.uuid4().hex[:6]}"
        created = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 40  # keep-alive comments arrive every 15 s, so this is checked
        for line in lines:
            if line.startswith("data: ") and title in line:
                payload = json.loads(line.removeprefix("data: "))
                break
            assert time.monotonic() < deadline, "no notification on the stream"
    assert (payload["kind"], payload["case_id"], payload["title"]) == ("new_case_in_group", created.json()["id"], title)
    with stack.anonymous() as anonymous:
        assert anonymous.get("/api/v1/stream").status_code == 401


@pytest.mark.browser
def test_the_browser_shows_a_new_case_without_reloading(
    chromium: Browser,
    stack: Stack,
    partner: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
) -> None:
    with agent_page(chromium, stack) as page:
        expect(page.locator("body")).to_have_attribute("data-stream", "open")
        page.evaluate("window.__noReload = true")

        title = f"Live alert {uuid.uuid4().hex[:6]}"
        created = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
        assert created.status_code == 201, created.text

        alerts = page.get_by_role("list", name="New notifications")
        page.locator("#notif-bell").click()  # the bell's dropdown
        item = alerts.get_by_role("link", name=re.compile(rf"New case in your group: #\d+ {title}"))
        expect(item).to_be_visible(timeout=15_000)
        expect(item).to_have_attribute("href", f"/cases/{created.json()['id']}")
        expect(page.locator("#notif-count")).not_to_have_text("0")
        assert page.evaluate("window.__noReload") is True  # the same page: nothing reloaded


@pytest.fixture(scope="module")
def colleague(stack: Stack, api: httpx.Client, support_group: dict[str, Any]) -> Iterator[httpx.Client]:
    """Another agent's key: the notes it writes may name the admin."""
    handle = f"colleague{uuid.uuid4().hex[:6]}"
    data = {"email": f"{handle}@example.com", "name": handle, "group_ids": [support_group["id"]]}
    made = api.post("/api/v1/agents", json=data)
    assert made.status_code == 201, made.text
    _, secret = access.create_api_key(
        factory=stack.db(), name=handle, scopes=["*"], agent_id=made.json()["id"], agent_email=made.json()["email"]
    )
    with stack.client(secret) as client:
        yield client


@pytest.mark.browser
def test_a_mention_shows_the_notes_excerpt_in_the_list_and_on_the_stream(
    chromium: Browser,
    stack: Stack,
    api: httpx.Client,
    colleague: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
) -> None:
    with agent_page(chromium, stack) as page:
        expect(page.locator("body")).to_have_attribute("data-stream", "open")
        title = f"Mention {uuid.uuid4().hex[:6]}"
        case = colleague.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
        assert case.status_code == 201, case.text
        ask = f"@{ADMIN_EMAIL} can you approve refund {uuid.uuid4().hex[:6]}?"
        body = "Background " * 30 + ask + " Thanks"
        note = colleague.post(
            f"/api/v1/cases/{case.json()['id']}/messages", json={"body": body, "visibility": "internal"}
        )
        assert note.status_code == 201, note.text

        # the browser's live list: the case title on the link, the excerpt around the mention under it
        alerts = page.get_by_role("list", name="New notifications")
        page.locator("#notif-bell").click()  # the bell's dropdown
        item = alerts.get_by_role("listitem").filter(
            has=page.get_by_role("link", name=re.compile(f"mentioned: .*{title}"))
        )
        expect(item).to_be_visible(timeout=15_000)
        expect(item.locator(".notif-detail")).to_contain_text(ask)
        shown = item.locator(".notif-detail").inner_text()
        assert shown.startswith("…") and len(shown) <= 160  # an excerpt, not the whole note

        # the stored list says the same
        items = my_notifications(api)["items"]
        mention = next(n for n in items if n["kind"] == "mentioned" and n["case_id"] == case.json()["id"])
        assert mention["title"] == title and mention["detail"] == shown


@pytest.mark.browser
def test_marking_read_or_changing_preferences_from_a_browser_needs_the_csrf_token(
    chromium: Browser,
    stack: Stack,
    api: httpx.Client,
    partner: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
) -> None:
    created = partner.post("/api/v1/cases", json={"title": "Unread", "group_id": support_group["id"]})
    assert created.status_code == 201, created.text
    wait_until(lambda: my_notifications(api)["unread"] > 0, timeout=20, what="an unread alert")
    with agent_page(chromium, stack) as page:
        send = """async ([method, url, body, withToken]) => {
            const headers = {"Content-Type": "application/json"};
            if (withToken) headers["X-CSRF-Token"] = document.querySelector("input[name=csrf_token]").value;
            const r = await fetch(url, {method, credentials: "same-origin", headers, body: JSON.stringify(body)});
            return [r.status, await r.json()];
        }"""
        status, refused = page.evaluate(send, ["POST", "/api/v1/notifications/read", {}, False])
        assert (status, refused["error"]["code"]) == (403, "forbidden")
        pref = "/api/v1/notifications/preferences/sla_warning/email"
        assert page.evaluate(send, ["PUT", pref, {"enabled": True}, False])[0] == 403
        assert api.get("/api/v1/notifications/preferences").json()["sla_warning"]["email"] is False
        assert my_notifications(api)["unread"] > 0  # the refused request marked nothing

        status, marked = page.evaluate(send, ["POST", "/api/v1/notifications/read", {}, True])
        assert status == 200 and marked["marked"] >= 1
        assert my_notifications(api)["unread"] == 0
        # a bearer key is not a browser session: no CSRF token needed
        assert api.post("/api/v1/notifications/read", json={}).status_code == 200
