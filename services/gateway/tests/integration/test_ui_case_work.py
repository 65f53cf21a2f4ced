"""The case page's work sections over HTTP and in a real Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack
from playwright.sync_api import Page, expect, sync_playwright

from chassis.testing import CHROMIUM_ARGS, CHROMIUM_PATH


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=20) as client:
        token = _csrf(client.get("/login").text)
        form = {"email": ADMIN_EMAIL, "password": stack.admin_password, "csrf_token": token, "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def _case(api: httpx.Client) -> dict[str, Any]:
    resp = api.post("/api/v1/cases", json={"title": "Projector in room 4", "requester_email": "ola@example.no"})
    assert resp.status_code == 201
    return resp.json()


def test_forms_change_the_work_and_the_page_shows_it(api: httpx.Client, agent: httpx.Client) -> None:
    case = _case(api)
    page = agent.get(f"/cases/{case['id']}")
    assert page.status_code == 200
    for heading in ("Tasks", "Time", "Attachments", "Links"):
        assert f">{heading}</h2>" in page.text
    token = _csrf(page.text)

    resp = agent.post(f"/cases/{case['id']}/tasks", data={"csrf_token": token, "title": "Order a <b>bulb</b>"})
    assert resp.status_code == 303 and resp.headers["location"] == f"/cases/{case['id']}#tasks"
    resp = agent.post(f"/cases/{case['id']}/time", data={"csrf_token": token, "minutes": "25", "billable": "on"})
    assert resp.status_code == 303
    resp = agent.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": token},
        files={"file": ("notes.txt", b"lamp model X200", "text/plain")},
    )
    assert resp.status_code == 303
    # a refused change is a flash, and changes nothing
    assert agent.post(f"/cases/{case['id']}/time", data={"csrf_token": token, "minutes": "0"}).status_code == 303
    forward = {"csrf_token": token, "recipients": "vendor@partner.example; it@partner.example", "body": "Please check"}
    assert agent.post(f"/cases/{case['id']}/forwards", data=forward).status_code == 303
    bad_forward = {"csrf_token": token, "recipients": "not-an-address", "body": "x"}
    assert agent.post(f"/cases/{case['id']}/forwards", data=bad_forward).status_code == 303
    no_csrf = agent.post(f"/cases/{case['id']}/tasks", data={"title": "forged"})
    assert no_csrf.status_code == 403

    html = agent.get(f"/cases/{case['id']}").text
    assert "Order a &lt;b&gt;bulb&lt;/b&gt;" in html and "forged" not in html
    assert "25 min</strong> logged, 25 min billable" in html
    assert "Forwarded to vendor@partner.example, it@partner.example" in html and html.count("Forwarded to") == 1
    link = re.search(rf'href="(/cases/{case["id"]}/attachments/\d+)">notes.txt<', html)
    assert link, html
    download = agent.get(link.group(1))
    assert download.status_code == 200 and download.content == b"lamp model X200"
    assert download.headers["content-disposition"].startswith('attachment; filename="notes.txt"')
    assert api.get(f"/api/v1/cases/{case['id']}/time").json()["minutes"] == 25
    # a file on a message is listed under that message in the conversation
    note = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "see file", "visibility": "internal"}).json()
    uploaded = api.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"message_id": str(note["id"])},
        files={"file": ("photo.png", b"\x89PNG fake", "image/png")},
    ).json()
    assert uploaded["message_id"] == note["id"]
    conversation = agent.get(f"/cases/{case['id']}").text.split('id="conversation"', 1)[1].split("</section>", 1)[0]
    assert f'href="/cases/{case["id"]}/attachments/{uploaded["id"]}">photo.png</a>' in conversation
    with httpx.Client(base_url=str(agent.base_url)) as anonymous:
        assert anonymous.get(link.group(1)).status_code == 303


def test_case_page_in_chromium(stack: Stack, api: httpx.Client) -> None:
    master, child = _case(api), _case(api)
    api.post(f"/api/v1/cases/{child['id']}/links", json={"other_case_id": master["id"], "kind": "parent"})
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page: Page = browser.new_page(base_url=stack.base_url)
            page.goto(f"/login?next=/cases/{master['id']}")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", stack.admin_password)
            page.click("button[type=submit]")
            expect(page.locator("#links")).to_contain_text("Child cases")
            page.fill("#task-title", "Check the cable")
            page.click("#tasks button:text('Add task')")
            expect(page.locator("#tasks .task")).to_contain_text("Check the cable")
            page.locator("#tasks .task button:text('Mark done')").click()
            expect(page.locator("#tasks .task-done")).to_have_count(1)
            page.get_by_role("tab", name="Time").click()
            page.click("#time button:text('Start timer')")
            expect(page.locator("#time")).to_contain_text("Timer running since")
            page.click("#time button:text('Stop timer')")
            expect(page.get_by_test_id("time-total")).to_have_text("1 min")
        finally:
            browser.close()


def test_task_with_a_due_date_and_an_assignee_from_the_case_page(stack: Stack, api: httpx.Client) -> None:
    """The task form's due date (flatpickr, typed or picked; no zone) and its assignee: an agent or a group."""
    case = _case(api)
    group = api.post("/api/v1/groups", json={"name": "Field techs"}).json()
    me = next(a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == ADMIN_EMAIL)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page: Page = browser.new_page(base_url=stack.base_url)
            page.goto(f"/login?next=/cases/{case['id']}")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", stack.admin_password)
            page.click("button[type=submit]")
            page.fill("#task-title", "Replace the lamp")
            page.fill("#task-due", "2031-05-04T09:30")
            page.select_option("#task-assignee", f"agent:{me['id']}")
            page.click("#tasks button:text('Add task')")
            expect(page.locator("#tasks .task")).to_contain_text("Replace the lamp")
            page.fill("#task-title", "Order a spare")
            page.select_option("#task-assignee", f"group:{group['id']}")
            page.click("#tasks button:text('Add task')")
            expect(page.locator("#tasks .task")).to_have_count(2)
            expect(page.locator("#tasks .task").nth(1)).to_contain_text("Field techs")
            # a date picked in flatpickr's calendar posts what the server parses (YYYY-MM-DDTHH:MM, read as UTC)
            page.fill("#task-title", "Call the supplier")
            page.click("#task-due")
            calendar = page.locator(".flatpickr-calendar.open")
            this_month = ".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)"
            calendar.locator(this_month, has_text=re.compile(r"^15$")).click()
            picked = page.input_value("#task-due")
            assert re.fullmatch(r"\d{4}-\d\d-15T\d\d:\d\d", picked), picked
            page.keyboard.press("Escape")
            page.click("#tasks button:text('Add task')")
            expect(page.locator("#tasks .task")).to_have_count(3)
            # what a browser without script could post: the server refuses it with a message, and adds nothing
            page.fill("#task-title", "Bad date")
            page.evaluate("document.querySelector('#task-due')._flatpickr.destroy()")
            page.fill("#task-due", "next tuesday")
            page.click("#tasks button:text('Add task')")
            expect(page.locator(".flash-error").first).to_be_visible()
        finally:
            browser.close()
    tasks = api.get(f"/api/v1/cases/{case['id']}/tasks").json()["items"]
    assert [t["title"] for t in tasks] == ["Replace the lamp", "Order a spare", "Call the supplier"]
    assert tasks[0]["due_at"].startswith("2031-05-04T09:30") and tasks[0]["assignee_id"] == me["id"]
    assert tasks[2]["due_at"].startswith(picked), (tasks[2]["due_at"], picked)
    assert tasks[1]["group_id"] == group["id"] and tasks[1]["assignee_id"] is None
    # the API: a due date without a zone is UTC there too, and the assignee is an agent or a group
    made = api.post(
        f"/api/v1/cases/{case['id']}/tasks",
        json={"title": "Test", "due_at": "2031-05-04T09:30", "group_id": group["id"]},
    )
    assert made.status_code == 201, made.text
    assert made.json()["due_at"].startswith("2031-05-04T09:30") and made.json()["group_id"] == group["id"]
    moved = api.patch(f"/api/v1/cases/{case['id']}/tasks/{made.json()['id']}", json={"due_at": "2031-06-01T08:00"})
    assert moved.status_code == 200 and moved.json()["due_at"].startswith("2031-06-01T08:00"), moved.text
    bad = api.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "Test", "group_id": 987_654})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_templates_page_instructions_and_canned_replies(stack: Stack, api: httpx.Client, agent: httpx.Client) -> None:
    template = api.post(
        "/api/v1/templates",
        json={"name": "Printer toner", "title": "Toner for printer", "instructions": "1. Check the model <X>"},
    ).json()
    api.post("/api/v1/canned-replies", json={"title": "Toner on its way", "body": "Your toner ships today."})
    page = agent.get("/templates")
    assert page.status_code == 200 and "Printer toner" in page.text and "Toner on its way" in page.text
    assert agent.get("/cases/new").text.count('href="/templates"') == 1
    resp = agent.post(
        f"/templates/{template['id']}/cases",
        data={"csrf_token": _csrf(page.text), "requester_email": "kari@example.no"},
    )
    assert resp.status_code == 303 and resp.headers["location"].startswith("/cases/")
    case_url = resp.headers["location"]
    html = agent.get(case_url).text
    assert "Instructions (Printer toner)" in html and "1. Check the model &lt;X&gt;" in html
    bad = agent.post(
        f"/templates/{template['id']}/cases", data={"csrf_token": _csrf(page.text), "requester_email": "x"}
    )
    assert bad.status_code == 303 and bad.headers["location"] == "/templates"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page_ = browser.new_page(base_url=stack.base_url)
            page_.goto(f"/login?next={case_url}")
            page_.fill("input[name=email]", ADMIN_EMAIL)
            page_.fill("input[name=password]", stack.admin_password)
            page_.click("button[type=submit]")
            page_.click("#canned button:text('Insert canned reply')")
            page_.click("#canned button:text('Toner on its way')")
            expect(page_.locator("#reply-body")).to_have_value("Your toner ships today.")
        finally:
            browser.close()
