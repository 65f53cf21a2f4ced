"""The dashboard in a real Chromium: each figure counts what its linked case list shows, the per-agent table
(admins), the planner's due dates and dormant wake-ups, axe-core, and screenshots at desk and phone width."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root
from chassis.testing import SyncRpc

SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-dashboard-"))
AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
OPEN = ["new", "open", "waiting", "dormant"]


def _ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return dict(resp.json())


def _patch(api: httpx.Client, case: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return _ok(api.patch(f"/api/v1/cases/{case['id']}", json=changes, headers={"If-Match": str(case["version"])}))


@pytest.fixture(scope="module")
def board(stack: Stack, api: httpx.Client, admin_agent: dict[str, Any]) -> dict[str, Any]:
    """Cases that make every figure non-zero: unassigned, a customer's unanswered message on a case of mine, an
    SLA warning, one due tomorrow and a dormant one waking in three days."""
    tag = uuid.uuid4().hex[:6]
    me = admin_agent["id"]
    _ok(
        api.post(
            "/api/v1/sla-policies",
            json={
                "name": f"Dash {tag}",
                "priority": "urgent",
                "first_response_minutes": 1,
                "resolution_minutes": 600,
                "warning_percent": 1,
            },
        ),
        201,
    )
    new = lambda **body: _ok(api.post("/api/v1/cases", json={"title": f"{body.pop('title')} {tag}", **body}), 201)  # noqa: E731
    unassigned = new(title="Nobody owns this")
    replied = new(title="Customer wrote", requester_email=f"ola-{tag}@example.no", description="Hjelp!", assignee_id=me)
    urgent = new(title="Till is down", priority="urgent", assignee_id=me)
    due = new(title="Invoice due", assignee_id=me)
    sleeping = new(title="Call back later", assignee_id=me)
    # the customer writes again (through the portal): the case waits on us
    rpc = SyncRpc(stack.amqp_uri)
    try:
        rpc.call(
            "cases", "add_contact_message", case_id=replied["id"], contact_id=replied["requester"]["id"], body="Hei?"
        )
    finally:
        rpc.close()
    time.sleep(1.5)  # past the urgent case's warning time; a status change recomputes the state
    _patch(api, urgent, status="open")
    due = _patch(api, due, due_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    sleeping = _patch(api, sleeping, status="dormant", dormant={"mode": "for_period", "days": 3})
    assert sleeping["dormant_until"]
    wait_until(lambda: api.get(f"/api/v1/cases/{urgent['id']}").json()["sla_state"] == "warning", what="warning")
    return {
        "tag": tag,
        "me": admin_agent,
        "unassigned": unassigned,
        "replied": replied,
        "urgent": urgent,
        "due": due,
        "sleeping": sleeping,
    }


@pytest.fixture(scope="module")
def desk(chromium: Browser, stack: Stack) -> Iterator[Page]:
    with agent_page(chromium, stack) as page:
        page.context.add_init_script(path=str(AXE))
        yield page


def _ids(api: httpx.Client, path: str, params: Any) -> list[int]:
    return [c["id"] for c in _ok(api.get(path, params=[*params, ("limit", "100")]))["items"]]


def _figure(page: Page, label: str) -> Any:
    return page.locator(f'a.dash-figure[data-figure="{label}"]')


def _opens_list_with(page: Page, link: Any, case: dict[str, Any]) -> None:
    link.click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    expect(page.get_by_role("link", name=case["title"], exact=False).first).to_be_visible()
    page.go_back()


@pytest.mark.browser
def test_figures_count_and_open_their_lists(desk: Page, api: httpx.Client, board: dict[str, Any]) -> None:
    page = desk
    me = board["me"]["id"]
    expected = {
        "Unresolved": (_ids(api, "/api/v1/views/open/cases", []), board["unassigned"]),
        "Unassigned": (
            _ids(api, "/api/v1/cases", [*(("status", s) for s in OPEN), ("unassigned", "true")]),
            board["unassigned"],
        ),
        "Customer replied": (_ids(api, "/api/v1/views/unanswered/cases", []), board["replied"]),
        "SLA at risk": (
            _ids(api, "/api/v1/cases", [("sla_state", "warning"), ("sla_state", "breached")]),
            board["urgent"],
        ),
    }
    for label, (ids, case) in expected.items():
        assert case["id"] in ids, label

    # the report (unassigned, per agent, by status) follows the cases' events a moment later
    def settled() -> bool:
        page.goto("/dashboard")
        return _figure(page, "Unassigned").locator(".dash-count").inner_text() == str(len(expected["Unassigned"][0]))

    wait_until(settled, timeout=20, what="the report to catch up")
    for label, (ids, case) in expected.items():
        expect(_figure(page, label).locator(".dash-count")).to_have_text(str(len(ids)))
        _opens_list_with(page, _figure(page, label), case)
    mine = _ids(api, "/api/v1/cases", [*(("status", s) for s in OPEN), ("assignee", str(me))])
    agent_link = page.locator(f'a[data-agent="{board["me"]["name"]}"]')
    expect(agent_link).to_have_text(str(len(mine)))
    _opens_list_with(page, agent_link, board["due"])
    dormant = _ids(api, "/api/v1/cases", [("status", "dormant")])
    status_link = page.locator('a[data-status="dormant"]')
    expect(status_link).to_have_text(str(len(dormant)))
    _opens_list_with(page, status_link, board["sleeping"])


@pytest.mark.browser
def test_planner_shows_due_dates_and_wake_ups(desk: Page, board: dict[str, Any]) -> None:
    page = desk
    page.goto("/dashboard")
    planner = page.locator("#planner")
    due = planner.locator("li.planner-due").filter(has_text=board["due"]["title"])
    expect(due).to_contain_text("Due")
    expect(due).to_contain_text(board["due"]["due_at"][:10])
    waking = planner.locator("li.planner-wakes").filter(has_text=board["sleeping"]["title"])
    expect(waking).to_contain_text(board["sleeping"]["dormant_until"][:10])
    waking.get_by_role("link").click()
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{board['sleeping']['id']}")


@pytest.mark.browser
def test_dashboard_is_accessible_and_fits_a_phone(desk: Page, board: dict[str, Any]) -> None:
    page = desk
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1400, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/dashboard")
        expect(page.get_by_role("heading", name="Planner: the next 14 days")).to_be_visible()
        found = page.evaluate(SERIOUS)
        assert found == [], "\n".join(found)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        name = "agent-dashboard.png" if width > 1000 else "agent-dashboard-phone.png"
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})
