"""The admin console over HTTP and in Chromium against the real gateway, cases and PostgreSQL: the index,
the admin check, and an area's list, create, edit, field errors and version conflict."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page
from playwright.sync_api import Browser, expect

from gateway import access

PASSWORD = "violet tractor sings at dawn"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def signed_in(stack: Stack, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    token = csrf(client.get("/login").text)
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    assert resp.status_code == 303, resp.text
    return client


@pytest.fixture(scope="module")
def admin_http(stack: Stack) -> Iterator[httpx.Client]:
    client = signed_in(stack, ADMIN_EMAIL, stack.admin_password)
    yield client
    client.close()


@pytest.fixture(scope="module")
def plain_agent(stack: Stack, api: httpx.Client) -> str:
    """The email of an agent who is not an admin, with the password PASSWORD."""
    email = f"plain-{uuid.uuid4().hex[:6]}@example.com"
    created = api.post("/api/v1/agents", json={"email": email, "name": "Plain Agent"})
    assert created.status_code == 201, created.text
    access.set_agent_password(factory=stack.db(), email=email, password=PASSWORD)
    return email


@pytest.fixture(scope="module")
def agent_http(stack: Stack, plain_agent: str) -> Iterator[httpx.Client]:
    """A signed-in agent who is not an admin."""
    client = signed_in(stack, plain_agent, PASSWORD)
    yield client
    client.close()


def test_the_index_links_every_area(admin_http: httpx.Client) -> None:
    page = admin_http.get("/admin")
    assert page.status_code == 200
    for path in ("/admin/statuses", "/admin/types"):
        assert f'href="{path}"' in page.text


def test_an_agent_who_is_not_admin_gets_403_everywhere(agent_http: httpx.Client) -> None:
    for path in ("/admin", "/admin/statuses", "/admin/types/1"):
        resp = agent_http.get(path)
        assert resp.status_code == 403, path
        assert "Admins only" in resp.text
    token = csrf(agent_http.get("/").text)
    resp = agent_http.post("/admin/statuses", data={"csrf_token": token, "name": "Sneaky", "category": "open"})
    assert resp.status_code == 403
    assert 'href="/admin"' not in agent_http.get("/").text  # no Admin link in the menu either


def test_signed_out_visitors_are_sent_to_sign_in(stack: Stack) -> None:
    with stack.anonymous() as client:
        resp = client.get("/admin/statuses")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=/admin/statuses")


def test_add_a_status_with_a_field_error_first(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/statuses").text)
    bad = admin_http.post("/admin/statuses", data={"csrf_token": token, "name": "", "category": "open"})
    assert bad.status_code == 422
    assert 'id="f-name-help"' in bad.text and "is-invalid" in bad.text
    names = {s["name"] for s in api.get("/api/v1/case-statuses").json()["items"]}
    name = f"Waiting for parts {uuid.uuid4().hex[:4]}"
    assert name not in names
    ok = admin_http.post("/admin/statuses", data={"csrf_token": token, "name": name, "category": "waiting"})
    assert ok.status_code == 303
    stored = {s["name"]: s for s in api.get("/api/v1/case-statuses").json()["items"]}
    assert stored[name]["category"] == "waiting"
    # the audit log names who did it, from where, and what the status became
    log = api.get("/api/v1/audit", params={"object_type": "case_status", "object_id": str(stored[name]["id"])})
    entry = log.json()["items"][0]
    assert entry["action"] == "create" and entry["outcome"] == "succeeded"
    assert entry["actor"]["channel"] == "web" and entry["actor"]["email"] == ADMIN_EMAIL
    assert entry["after"]["name"] == name and entry["before"] is None
    # a new status goes last; its position then moves it to the front of lists and pickers
    form = admin_http.get(f"/admin/statuses/{stored[name]['id']}").text
    moved = admin_http.post(
        f"/admin/statuses/{stored[name]['id']}",
        data={"csrf_token": token, "version": hidden(form, "version"), "name": name, "category": "waiting",
              "position": "0"},
    )  # fmt: skip
    assert moved.status_code == 303
    order = [s["name"] for s in api.get("/api/v1/case-statuses").json()["items"]]
    assert order.index(name) < order.index("Open")
    bad = admin_http.post(
        "/admin/statuses", data={"csrf_token": token, "name": f"x{name}", "category": "open", "position": "-1"}
    )
    assert bad.status_code == 422 and 'id="f-position-help"' in bad.text


def test_missing_csrf_changes_nothing(admin_http: httpx.Client, api: httpx.Client) -> None:
    before = api.get("/api/v1/case-types").json()["items"]
    resp = admin_http.post("/admin/types", data={"name": "Forged", "active": "1"})
    assert resp.status_code == 403
    assert api.get("/api/v1/case-types").json()["items"] == before


def test_a_concurrent_edit_is_a_conflict_not_an_overwrite(admin_http: httpx.Client, api: httpx.Client) -> None:
    created = api.post("/api/v1/case-types", json={"name": f"Order {uuid.uuid4().hex[:4]}", "active": True}).json()
    form = admin_http.get(f"/admin/types/{created['id']}").text
    token, version = csrf(form), hidden(form, "version")
    # another admin renames it through the API after our form was opened
    theirs = api.put(f"/api/v1/case-types/{created['id']}", json={"name": created["name"] + " (theirs)"})
    assert theirs.status_code == 200
    mine = admin_http.post(
        f"/admin/types/{created['id']}",
        data={"csrf_token": token, "version": version, "name": created["name"] + " (mine)", "active": "1"},
    )
    assert mine.status_code == 409
    assert "Another admin changed this type" in mine.text
    assert "(theirs)" in mine.text  # the form now shows their version
    stored = next(t for t in api.get("/api/v1/case-types").json()["items"] if t["id"] == created["id"])
    assert stored["name"] == created["name"] + " (theirs)"


def test_unknown_object_is_a_404_page(admin_http: httpx.Client) -> None:
    resp = admin_http.get("/admin/types/2147483000")
    assert resp.status_code == 404 and "No such type" in resp.text


@pytest.mark.browser
def test_edit_a_type_in_the_browser(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    created = api.post("/api/v1/case-types", json={"name": f"Fault {uuid.uuid4().hex[:4]}", "active": True}).json()
    with agent_page(chromium, stack) as page:
        page.get_by_role("link", name="Admin").click()
        expect(page.get_by_role("heading", name="Admin console")).to_be_visible()
        page.get_by_role("link", name="Case types").first.click()
        page.get_by_role("link", name=f"Edit {created['name']}").click()
        page.get_by_label("Instructions for agents").fill("Ask for the serial number first.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("saved")
    stored: dict[str, Any] = next(t for t in api.get("/api/v1/case-types").json()["items"] if t["id"] == created["id"])
    assert stored["instructions"] == "Ask for the serial number first."


@pytest.mark.browser
def test_an_agent_is_refused_at_admin_in_the_browser(chromium: Browser, stack: Stack, plain_agent: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=stack.base_url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(plain_agent)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
        response = page.goto("/admin")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    finally:
        context.close()


SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="admin-ui-"))


@pytest.mark.browser
def test_the_console_fits_a_phone_and_a_desktop(chromium: Browser, stack: Stack) -> None:
    """The index and an area at 1400 px and 390 px: nothing scrolls sideways (README screenshots too)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            for path, name in (("/admin", "admin-console"), ("/admin/statuses", "admin-statuses")):
                page.goto(path)
                expect(page.get_by_role("main")).to_be_visible()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=False)
