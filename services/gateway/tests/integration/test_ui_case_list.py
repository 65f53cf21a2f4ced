"""The case list in Chromium (decisions 0236-0238): select cases and bulk-assign them with a result per case,
sort by a column heading, filter by a column, export with the filters shown; axe-core and no sideways
scrolling on a phone."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="case-list-"))


@pytest.fixture(scope="module")
def world(api: httpx.Client) -> dict[str, Any]:
    """Three cases of one requester (and one of another), and an agent to give them to."""
    tag = uuid.uuid4().hex[:6]
    agent = api.post("/api/v1/agents", json={"email": f"bo-{tag}@example.com", "name": f"Bo {tag}", "role": "agent"})
    assert agent.status_code == 201, agent.text

    def case(title: str, email: str, priority: str) -> dict[str, Any]:
        body = {"title": f"{title} {tag}", "requester_email": email, "priority": priority}
        made = api.post("/api/v1/cases", json=body)
        assert made.status_code == 201, made.text
        return dict(made.json())

    mine = [
        case("Printer jams", f"kari-{tag}@example.no", "high"),
        case("Scanner is slow", f"kari-{tag}@example.no", "low"),
        case("Toner is empty", f"kari-{tag}@example.no", "urgent"),
    ]
    other = case("VPN drops", f"ola-{tag}@example.no", "medium")
    return {"tag": tag, "agent": agent.json(), "mine": mine, "other": other}


@pytest.fixture(scope="module")
def desk(chromium: Browser, stack: Stack) -> Iterator[Page]:
    with agent_page(chromium, stack) as page:
        page.context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
        yield page


def _numbers(page: Page) -> list[int]:
    cells = page.get_by_role("table").locator("tbody td[data-label='#']")
    return [int(t) for t in cells.all_inner_texts()]


@pytest.mark.browser
def test_filter_by_a_column_sort_and_export_what_is_shown(desk: Page, world: dict[str, Any]) -> None:
    page = desk
    page.goto(f"/?q={world['tag']}&sort=-created")
    first = world["mine"][0]
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=first["title"]))
    row.get_by_role("link", name="only theirs").click()  # the requester column's filter
    requester_id = first["requester"]["id"]
    expect(page).to_have_url(re.compile(rf"requester={requester_id}"))
    table = page.get_by_role("table")
    for case in world["mine"]:
        expect(table.get_by_role("link", name=case["title"])).to_be_visible()
    expect(table.get_by_role("link", name=world["other"]["title"])).to_have_count(0)
    expect(page.get_by_text("Only the cases of one requester.")).to_be_visible()

    # sort by a column: descending first, ascending on the second click; the filter stays
    heading = table.get_by_role("columnheader", name="#")
    heading.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-number"))
    expect(page).to_have_url(re.compile(rf"requester={requester_id}"))
    expect(table.get_by_role("columnheader", name="#")).to_have_attribute("aria-sort", "descending")
    numbers = sorted((c["number"] for c in world["mine"]), reverse=True)
    assert _numbers(page) == numbers
    table.get_by_role("columnheader", name="#").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=number"))
    expect(table.get_by_role("columnheader", name="#")).to_have_attribute("aria-sort", "ascending")
    assert _numbers(page) == sorted(numbers)
    expect(table.get_by_role("columnheader", name="Priority")).to_have_attribute("aria-sort", "none")

    # the export links carry the filters and the sort shown, and export exactly those cases in that order
    for name, fmt in (("Export CSV", "csv"), ("Export Excel", "xlsx")):
        href = page.get_by_role("link", name=name).get_attribute("href") or ""
        assert f"format={fmt}" in href and f"requester={requester_id}" in href and "sort=number" in href, href
        assert f"q={world['tag']}" in href, href
    href = page.get_by_role("link", name="Export CSV").get_attribute("href") or ""
    resp = page.request.get(href)
    assert resp.ok, resp.text()
    rows = list(csv.reader(io.StringIO(resp.body().decode("utf-8-sig"), newline="")))
    assert [int(r[0]) for r in rows[1:]] == sorted(numbers)
    assert page.evaluate(SERIOUS) == []
    page.set_viewport_size({"width": 1400, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "case-list-1400.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


@pytest.mark.browser
def test_select_cases_and_bulk_assign_with_a_result_per_case(
    desk: Page, world: dict[str, Any], api: httpx.Client
) -> None:
    page = desk
    requester_id = world["mine"][0]["requester"]["id"]
    page.goto(f"/?requester={requester_id}&sort=number")
    bar = page.get_by_role("form", name="Change the selected cases")
    picked = world["mine"][:2]
    for case in picked:
        page.get_by_label(f"Select case {case['number']}").check()
    expect(bar.get_by_text("(2 selected)")).to_be_visible()
    bar.get_by_label("Assign to").select_option(str(world["agent"]["id"]))
    page.once("dialog", lambda dialog: dialog.accept())  # the one confirmation
    bar.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("heading", name="Bulk change: 2 changed")).to_be_visible()
    results = page.get_by_role("list", name="Result per case")
    for case in picked:
        expect(results.get_by_role("listitem").filter(has_text=f"Case #{case['number']}: changed")).to_be_visible()
    for case in picked:
        assert api.get(f"/api/v1/cases/{case['id']}").json()["assignee"]["id"] == world["agent"]["id"]
    assert api.get(f"/api/v1/cases/{world['mine'][2]['id']}").json()["assignee"] is None  # not selected

    # select all, then a change one case refuses: each case says what happened to it
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile(rf"requester={requester_id}"))
    page.get_by_label("Select all on this page").check()
    expect(bar.get_by_text("(3 selected)")).to_be_visible()
    bar.get_by_label("Set status").select_option("open")
    page.once("dialog", lambda dialog: dialog.accept())
    bar.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("heading", name="Bulk change: 2 changed, 1 not changed")).to_be_visible()
    refused = world["mine"][2]
    item = page.get_by_role("list", name="Result per case").get_by_role("listitem")
    expect(item.filter(has_text=f"Case #{refused['number']}: not changed")).to_contain_text("invalid_transition")
    assert api.get(f"/api/v1/cases/{refused['id']}").json()["status"] == "new"
    assert page.evaluate(SERIOUS) == []
    page.screenshot(path=str(SCREENSHOTS / "case-bulk-result.png"), full_page=True)


@pytest.mark.browser
def test_the_list_fits_a_phone(desk: Page, world: dict[str, Any]) -> None:
    phone = desk.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 390, "height": 844}, base_url=desk.url.split("/?")[0].rstrip("/"), is_mobile=True
    )
    try:
        phone.add_cookies(desk.context.cookies())
        page = phone.new_page()
        page.goto(f"/?requester={world['mine'][0]['requester']['id']}")
        expect(page.get_by_role("link", name=world["mine"][0]["title"])).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the list scrolls sideways on a phone by {overflow}px"
        page.screenshot(path=str(SCREENSHOTS / "case-list-390.png"), full_page=True)
    finally:
        phone.close()
