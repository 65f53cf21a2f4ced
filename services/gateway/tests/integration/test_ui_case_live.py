"""Two agents on one case in two browsers (decisions 0247-0250): each sees the other viewing and typing; a change by
one appears on the other's page without a reload, never over the control being edited; a stale edit becomes the
choice "Ingrid set priority to Low meanwhile: keep mine / take theirs", and both choices work. The case list says
how many of its cases changed, counting only those its filters show. axe-core on the pages as changed."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root
from gateway import access
from gateway.domain import api_keys

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="case-live-"))
PASSWORD = "correct horse battery staple 7"
LONG = 20_000  # ms: pushes cross the broker and a second page's fetch


@pytest.fixture(scope="module")
def ingrid(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    """A second agent with a password (her browser) and a key (her API calls)."""
    tag = uuid.uuid4().hex[:6]
    made = api.post("/api/v1/agents", json={"email": f"ingrid-{tag}@example.com", "name": "Ingrid"})
    assert made.status_code == 201, made.text
    agent = made.json()
    access.set_agent_password(factory=stack.db(), email=agent["email"], password=PASSWORD)
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"ingrid {tag}", scopes=list(api_keys.ALL_SCOPES), agent_email=agent["email"]
    )
    with stack.client(secret) as client:
        yield {**agent, "api": client}


@contextlib.contextmanager
def _browser(chromium: Browser, stack: Stack, email: str, password: str, width: int = 1400) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=stack.base_url)
    context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        yield page
    finally:
        context.close()


def _case(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    made = api.post("/api/v1/cases", json={"title": f"Scanner offline {uuid.uuid4().hex[:6]}", **extra})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _shoot(page: Page, name: str, selector: str) -> None:
    """Screenshots at desk and phone width with `selector` (what changed) in view."""
    for width in (1400, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}"
        page.locator(selector).scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=False)
    page.set_viewport_size({"width": 1400, "height": 900})


@pytest.mark.browser
def test_two_agents_on_one_case_see_each_other_and_settle_a_conflict(
    chromium: Browser, stack: Stack, api: httpx.Client, ingrid: dict[str, Any]
) -> None:
    case = _case(api, requester_email="nina@customer.example", priority="medium")
    url = f"/cases/{case['id']}"
    with (
        _browser(chromium, stack, ingrid["email"], PASSWORD) as a,
        _browser(chromium, stack, "admin@example.com", stack.admin_password) as b,
    ):
        a.goto(url)
        b.goto(url)
        b.evaluate("window.__noReload = true")
        # each sees the other, never themselves
        expect(b.locator("#case-presence")).to_contain_text("Ingrid", timeout=LONG)
        expect(a.locator("#case-presence")).to_contain_text("Admin", timeout=LONG)
        expect(b.locator("#case-presence")).not_to_contain_text("Admin")
        # A writes a reply: B sees her typing
        a.get_by_label("Public reply").press_sequentially("Hello Nina, we are")
        expect(b.locator("#case-presence")).to_contain_text("Ingrid is typing", timeout=LONG)

        # A changes the priority: B's page shows it (panel, head) without a reload, and says who did
        a.get_by_role("form", name="Change case").get_by_label("Priority").select_option("high")
        expect(b.locator("#f-priority")).to_have_value("high", timeout=LONG)
        expect(b.locator("#case-head")).to_contain_text("High")
        expect(b.locator("#case-presence")).to_contain_text("Ingrid changed priority")
        # a note by A comes into B's conversation
        note = ingrid["api"].post(
            f"/api/v1/cases/{case['id']}/messages", json={"body": "Called the vendor.", "visibility": "internal"}
        )
        assert note.status_code == 201, note.text
        expect(b.locator("#conversation")).to_contain_text("Called the vendor.", timeout=LONG)
        assert b.evaluate("window.__noReload") is True

        def meanwhile(value: str) -> None:
            """B is on the Priority control while A sets it: B's control is left alone, the rest moves on."""
            b.locator("#f-priority").focus()
            # A acts on the case as it is now: A's focus is still on Priority from the last round, so A's page kept
            # its version when B changed priority (by design: A's edit would be the stale one), so A reloads
            a.reload()
            current = str(api.get(f"/api/v1/cases/{case['id']}").json()["version"])
            a_version = a.locator("#case-fields form.case-fields-form input[name=version]").first
            expect(a_version).to_have_value(current, timeout=LONG)
            a.get_by_role("form", name="Change case").get_by_label("Priority").select_option(value)
            now = wait_until(
                lambda: (c := api.get(f"/api/v1/cases/{case['id']}").json())["priority"] == value and c,
                what="A's change saved",
            )
            version = str(now["version"])
            expect(b.locator("body")).to_have_attribute("data-live-version", version, timeout=LONG)
            expect(b.locator("#f-priority")).to_have_value("high" if value == "low" else "urgent")

        # keep mine: B's stale edit is refused with the choice; keeping it sends it again with the new version
        meanwhile("low")
        b.locator("#f-priority").select_option("urgent")
        choice = b.locator("#case-fields .field-conflict")
        expect(choice).to_contain_text("Ingrid set priority to Low meanwhile.", timeout=LONG)
        expect(b.locator("#f-priority")).to_have_value("low")  # the panel shows theirs meanwhile
        assert b.evaluate(SERIOUS) == []
        _shoot(b, "case-conflict", "#case-fields .field-conflict")
        choice.get_by_role("button", name="Keep mine: Urgent").click()
        expect(b.locator("#case-fields .field-saved")).to_contain_text("priority")
        expect(b.locator("#f-priority")).to_have_value("urgent")
        expect(b.locator("#f-priority")).to_be_focused()  # the keyboard stays on the control
        assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "urgent"

        # take theirs: the choice goes, their value stays, nothing is sent
        meanwhile("medium")
        b.locator("#f-priority").select_option("low")
        expect(choice).to_contain_text("Ingrid set priority to Medium meanwhile.", timeout=LONG)
        choice.get_by_role("button", name="Take theirs: Medium").click()
        expect(choice).to_have_count(0)
        expect(b.locator("#f-priority")).to_have_value("medium")
        expect(b.locator("#f-priority")).to_be_focused()
        assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "medium"
        assert b.evaluate("window.__noReload") is True

        expect(b.locator("#case-presence")).to_contain_text("Ingrid")
        assert b.evaluate(SERIOUS) == []
        _shoot(b, "case-presence", "#case-presence")
    # the pages closed: the viewers API lists nobody once the streams noticed (no waiting for the TTL)
    wait_until(lambda: api.get(f"/api/v1/cases/{case['id']}/viewers").json()["items"] == [], what="the pages to leave")


@pytest.mark.browser
def test_the_list_counts_new_and_changed_cases_its_filters_show(
    chromium: Browser, stack: Stack, api: httpx.Client, ingrid: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    with _browser(chromium, stack, "admin@example.com", stack.admin_password) as page:
        page.goto("/?priority=urgent&sort=-updated")
        expect(page.locator("body")).to_have_attribute("data-stream", "open", timeout=LONG)
        bar = page.locator("#list-live")
        expect(bar).to_be_hidden()
        # a case the filters leave out changes nothing; one they show is counted
        _case(ingrid["api"], title=f"Not urgent {tag}", priority="low")
        _case(ingrid["api"], title=f"Urgent one {tag}", priority="urgent")
        expect(bar).to_be_visible(timeout=LONG)
        expect(bar).to_contain_text("1 case in this list new or changed.")
        assert page.evaluate(SERIOUS) == []
        _shoot(page, "case-list-live", "#list-live")
        page.set_viewport_size({"width": 1400, "height": 900})
        bar.get_by_role("button", name="Show").click()
        expect(page.get_by_role("link", name=f"Urgent one {tag}")).to_be_visible()
        expect(page.get_by_role("link", name=f"Not urgent {tag}")).to_have_count(0)
        expect(page.locator("#list-live")).to_be_hidden()
        assert "priority=urgent" in page.url
