"""The agent web UI: pages over HTTP (sign-in, CSRF, escaping) and in a real Chromium (Playwright)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

# `make screenshots` points this at docs/screenshots (the README shows them); tests must not dirty the tree
SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-ui-"))
DEMO_CASES = [
    (
        "VPN drops every 10 minutes",
        "high",
        "ingrid.hansen@example.no",
        "Since Monday my VPN disconnects every ten minutes.",
    ),
    (
        "New laptop for Erik",
        "medium",
        "erik.lund@example.se",
        "Erik starts on the 1st and needs a laptop with docking.",
    ),
    (
        "Invoice 4711 shows the wrong VAT",
        "urgent",
        "faktura@kunde.example",
        "The VAT on invoice 4711 is 15% instead of 25%.",
    ),
    ("Password reset for the HR portal", "low", "sara.berg@example.no", "I forgot my password for the HR portal."),
    ("Printer on 3rd floor jams", "medium", "ola.nordmann@example.no", "Paper jams on every second page."),
]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture(scope="module")
def demo_cases(api: httpx.Client, support_group: dict[str, Any], admin_agent: dict[str, Any]) -> list[dict[str, Any]]:
    made = []
    for i, (title, priority, email, description) in enumerate(DEMO_CASES):
        body = {"title": title, "priority": priority, "requester_email": email, "description": description}
        body["group_id"] = support_group["id"]
        if i % 2 == 0:
            body["assignee_id"] = admin_agent["id"]
        resp = api.post("/api/v1/cases", json=body)
        assert resp.status_code == 201, resp.text
        made.append(resp.json())
    return made


@pytest.fixture(scope="module")
def agent_http(stack: Stack) -> Iterator[httpx.Client]:
    """A signed-in browser-like HTTP client (cookies kept, redirects not followed)."""
    with httpx.Client(base_url=stack.base_url, timeout=20) as client:
        token = _csrf(client.get("/login").text)
        resp = client.post(
            "/login", data={"email": ADMIN_EMAIL, "password": stack.admin_password, "csrf_token": token, "next": "/"}
        )
        assert resp.status_code == 303, resp.text
        yield client


# -- over HTTP ---------------------------------------------------------------------------------


def test_pages_need_a_signed_in_agent(stack: Stack) -> None:
    with stack.anonymous() as client:
        for path in ("/", "/cases/1", "/dashboard", "/cases/new"):
            resp = client.get(path)
            assert resp.status_code == 303
            assert resp.headers["location"].startswith("/login?next=")
        assert client.get("/?status=open").headers["location"] == "/login?next=/%3Fstatus%3Dopen"


def test_sign_in_rejects_wrong_passwords_and_missing_csrf(stack: Stack) -> None:
    with stack.anonymous() as client:
        token = _csrf(client.get("/login").text)
        wrong = client.post("/login", data={"email": ADMIN_EMAIL, "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401
        assert "Wrong email or password" in wrong.text
        unknown = client.post("/login", data={"email": "ghost@example.com", "password": "nope", "csrf_token": token})
        assert unknown.status_code == 401 and "Wrong email or password" in unknown.text
        forged = client.post("/login", data={"email": ADMIN_EMAIL, "password": stack.admin_password})
        assert forged.status_code == 403
        assert client.get("/").status_code == 303, "a forged sign-in must not sign in"


def test_forms_need_the_sessions_csrf_token(agent_http: httpx.Client, demo_cases: list[dict[str, Any]]) -> None:
    case_id = demo_cases[0]["id"]
    resp = agent_http.post(f"/cases/{case_id}/messages", data={"body": "sneaky", "visibility": "public"})
    assert resp.status_code == 403
    resp = agent_http.post(
        f"/cases/{case_id}/messages", data={"body": "sneaky", "visibility": "public", "csrf_token": "forged"}
    )
    assert resp.status_code == 403
    assert "sneaky" not in agent_http.get(f"/cases/{case_id}").text


def test_bodies_are_escaped(agent_http: httpx.Client, api: httpx.Client, demo_cases: list[dict[str, Any]]) -> None:
    case_id = demo_cases[1]["id"]
    token = _csrf(agent_http.get(f"/cases/{case_id}").text)
    evil = "<script>alert('x')</script><b>bold</b>"
    resp = agent_http.post(
        f"/cases/{case_id}/messages", data={"body": evil, "visibility": "internal", "csrf_token": token}
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == f"/cases/{case_id}#conversation"
    page = agent_http.get(f"/cases/{case_id}").text
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert(" not in page
    stored = api.get(f"/api/v1/cases/{case_id}/messages").json()["items"]
    assert [m["visibility"] for m in stored if m["body_text"] == evil] == ["internal"]


def test_unknown_case_page_is_404(agent_http: httpx.Client) -> None:
    resp = agent_http.get("/cases/987654321")
    assert resp.status_code == 404
    assert "Case not found" in resp.text


@pytest.mark.parametrize(
    "path", ["/cases/9223372036854775808", "/cases/abc", "/cases/0/history", "/cases/99999999999/attachments/1"]
)
def test_impossible_ids_in_page_addresses_are_404_pages(agent_http: httpx.Client, path: str) -> None:
    resp = agent_http.get(path)
    assert resp.status_code == 404, path
    assert resp.headers["content-type"].startswith("text/html")
    assert "Not found" in resp.text


def test_api_validation_errors_stay_json(api: httpx.Client) -> None:
    resp = api.get("/api/v1/cases/abc")
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"


def test_stale_form_shows_a_conflict(
    agent_http: httpx.Client, api: httpx.Client, demo_cases: list[dict[str, Any]]
) -> None:
    case = api.get(f"/api/v1/cases/{demo_cases[3]['id']}").json()
    token = _csrf(agent_http.get(f"/cases/{case['id']}").text)
    # someone else saves first, through the API
    api.patch(f"/api/v1/cases/{case['id']}", json={"priority": "high"}, headers={"If-Match": str(case["version"])})
    form = {"csrf_token": token, "version": str(case["version"]), "status": case["status"], "priority": "urgent"}
    resp = agent_http.post(f"/cases/{case['id']}", data=form)
    assert resp.status_code == 409
    assert "Someone else changed this case" in resp.text
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "high"


def test_pages_send_a_content_security_policy(
    stack: Stack, agent_http: httpx.Client, demo_cases: list[dict[str, Any]]
) -> None:
    for path in ("/", "/dashboard", f"/cases/{demo_cases[0]['id']}", "/cases/new", "/templates"):
        resp = agent_http.get(path)
        assert resp.status_code == 200, path
        policy = resp.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, path
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert "<script>" not in resp.text and " onsubmit=" not in resp.text and " style=" not in resp.text, path
    with stack.anonymous() as client:
        assert "default-src 'self'" in client.get("/login").headers["content-security-policy"]
        # FastAPI's Swagger UI loads its script from a CDN: not one of our pages
        assert "content-security-policy" not in client.get("/api/v1/docs").headers


# -- in Chromium -------------------------------------------------------------------------------

# every Content-Security-Policy violation of the page, as the browser reports it (Playwright's init scripts
# run outside the page's policy)
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def agent_page(chromium: Browser, stack: Stack) -> Iterator[Page]:
    """One page for the module, not signed in (unlike conftest's `agent_page`): signing in is the first test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=stack.base_url)
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.browser
def test_sign_in_and_see_the_case_list(agent_page: Page, stack: Stack, demo_cases: list[dict[str, Any]]) -> None:
    page = agent_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(stack.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    table = page.get_by_role("table")
    for case in demo_cases:
        expect(table.get_by_role("link", name=case["title"])).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert _shot(page, "agent-list.png").stat().st_size > 10_000

    page.get_by_label("Status", exact=True).select_option("closed")  # the bulk bar has "Set status"
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No cases match.")).to_be_visible()


@pytest.mark.browser
def test_note_and_reply_on_the_case_page(agent_page: Page, api: httpx.Client, demo_cases: list[dict[str, Any]]) -> None:
    page = agent_page
    case = demo_cases[0]
    page.goto("/")
    page.get_by_role("link", name=case["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["title"])

    # the composer under the conversation: reply, note and forward are its modes (tabs)
    page.get_by_role("tab", name="Internal note").click()
    page.get_by_label("Note (agents only").fill("Checked the logs: the VPN concentrator restarts every 10 min.")
    page.get_by_role("button", name="Add note").click()
    note = page.locator("article.message-internal").filter(has_text="VPN concentrator restarts")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Internal note")
    expect(page.get_by_label("Note (agents only")).to_have_value("")

    page.get_by_role("tab", name="Reply").click()
    page.get_by_label("Public reply").fill("Hi Ingrid, we found the cause and are fixing it today.")
    page.get_by_role("button", name="Send reply").click()
    reply = page.locator("article.message-public").filter(has_text="we found the cause")
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("Public reply")

    def look(locator: Any) -> tuple[str, str]:
        return locator.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftStyle]")

    assert look(note) != look(reply), "notes and replies must look different"

    # the side panel saves the status as soon as it is picked (the admin's statuses by name)
    fields = page.get_by_role("form", name="Change case")
    fields.get_by_label("Status").select_option(label="Open")
    expect(page.locator("#case-fields .field-saved")).to_contain_text("Saved: status")
    page.reload()
    assert _shot(page, "agent-case.png").stat().st_size > 10_000

    stored = api.get(f"/api/v1/cases/{case['id']}/messages").json()["items"]
    kinds = {m["body_text"][:20]: (m["visibility"], m["channel"]) for m in stored}
    assert kinds["Checked the logs: th"] == ("internal", "web")
    assert kinds["Hi Ingrid, we found "] == ("public", "web")
    assert api.get(f"/api/v1/cases/{case['id']}").json()["status"] == "open"


@pytest.mark.browser
def test_dashboard_shows_open_cases(agent_page: Page, demo_cases: list[dict[str, Any]]) -> None:
    page = agent_page
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Open cases by status")).to_be_visible()
    expect(page.get_by_role("heading", name="Open cases by group")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Support")).to_be_visible(timeout=20_000)


@pytest.mark.browser
def test_pages_keep_to_the_content_security_policy(agent_page: Page, demo_cases: list[dict[str, Any]]) -> None:
    page = agent_page
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    page.on("console", record)
    try:
        for path in ("/", "/dashboard", f"/cases/{demo_cases[2]['id']}", "/cases/new", "/templates"):
            page.goto(path)
            expect(page.get_by_role("main")).to_be_visible()
            assert page.evaluate("window.__cspViolations") == [], path
        # a note posted in place by htmx: the swap and the form's reset need no inline script either
        page.goto(f"/cases/{demo_cases[2]['id']}")
        page.get_by_role("tab", name="Internal note").click()
        page.get_by_label("Note (agents only").fill("VAT rate checked against the price list.")
        page.get_by_role("button", name="Add note").click()
        expect(page.locator("article.message-internal").filter(has_text="VAT rate checked")).to_be_visible()
        expect(page.get_by_label("Note (agents only")).to_have_value("")
        assert page.evaluate("window.__cspViolations") == []
        # the dashboard's bars get their length from static/ui.js (no style attribute)
        page.goto("/dashboard")
        bar = page.locator(".bar[data-width]").first
        expect(bar).to_be_visible()
        assert bar.evaluate("e => e.style.getPropertyValue('--w')") == f"{bar.get_attribute('data-width')}%"
    finally:
        page.remove_listener("console", record)
    violations = [line for line in console if "Content Security Policy" in line]
    assert violations == [], violations


@pytest.mark.browser
def test_works_on_a_phone(chromium: Browser, stack: Stack, agent_page: Page, demo_cases: list[dict[str, Any]]) -> None:
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=stack.base_url, is_mobile=True)
    try:
        phone.add_cookies(agent_page.context.cookies())
        mobile = phone.new_page()
        for path in ("/", f"/cases/{demo_cases[0]['id']}"):
            mobile.goto(path)
            expect(mobile.get_by_role("main")).to_be_visible()
            overflow = mobile.evaluate("document.documentElement.scrollWidth - 390")  # a phone browser zooms out to fit
            assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    finally:
        phone.close()


@pytest.mark.browser
def test_sign_out(agent_page: Page) -> None:
    page = agent_page
    page.goto("/")
    page.locator("#account-menu").click()  # the account menu holds the profile and signing out
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
