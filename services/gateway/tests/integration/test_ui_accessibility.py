"""The agent UI's main pages checked by axe-core (from npm) in a real Chromium, at desk and phone width, and by
keyboard: no serious or critical violation, a visible focus, and on a phone a one-row top bar and no sideways
scrolling (decision 0203)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root
from chassis.testing import ServiceProcess

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""


@pytest.fixture(scope="module")
def case(api: httpx.Client, support_group: dict[str, Any]) -> dict[str, Any]:
    body = {"title": "Screen flickers", "requester_email": "kari@example.no", "group_id": support_group["id"]}
    made = api.post("/api/v1/cases", json=body)
    assert made.status_code == 201, made.text
    note = {"body": "Checked the cable.", "visibility": "internal"}
    assert api.post(f"/api/v1/cases/{made.json()['id']}/messages", json=note).status_code == 201
    return dict(made.json())


@pytest.fixture(scope="module")
def desk(chromium: Browser, stack: Stack, notifications: ServiceProcess) -> Iterator[Page]:
    with agent_page(chromium, stack) as page:
        page.context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
        yield page


def _pages(case: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/?q=screen",
        f"/cases/{case['id']}",
        f"/cases/{case['id']}/history",
        "/cases/new",
        "/dashboard",
        "/templates",
        "/profile",
    ]


def _violations(page: Page, path: str) -> list[str]:
    page.goto(path)
    expect(page.get_by_role("main")).to_be_visible()
    return [f"{path}: {v}" for v in page.evaluate(SERIOUS)]


@pytest.mark.browser
def test_signed_in_pages_have_no_serious_violations(desk: Page, case: dict[str, Any]) -> None:
    found = [v for path in _pages(case) for v in _violations(desk, path)]
    assert found == [], "\n".join(found)


@pytest.mark.browser
def test_signed_out_pages_have_no_serious_violations(chromium: Browser, stack: Stack) -> None:
    context = chromium.new_context(base_url=stack.base_url)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        found = [v for path in ("/login", "/password-reset", "/set-password/nope") for v in _violations(page, path)]
    finally:
        context.close()
    assert found == [], "\n".join(found)


@pytest.mark.browser
def test_on_a_phone_one_row_top_bar_and_nothing_sideways(
    chromium: Browser, stack: Stack, desk: Page, case: dict[str, Any]
) -> None:
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=stack.base_url, is_mobile=True)
    phone.add_init_script(path=str(AXE))
    try:
        phone.add_cookies(desk.context.cookies())
        page = phone.new_page()
        found: list[str] = []
        for path in _pages(case):
            found += _violations(page, path)
            overflow = page.evaluate("document.documentElement.scrollWidth - 390")  # a phone browser zooms out to fit
            assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
            bar = page.locator("header.navbar").bounding_box()
            assert bar is not None and bar["height"] < 70, f"{path}: the top bar wraps ({bar})"
        assert found == [], "\n".join(found)
        # the menu button opens the main navigation
        page.goto("/")
        main_nav = page.get_by_role("navigation", name="Main")
        expect(main_nav.get_by_role("link", name="Dashboard")).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(main_nav.get_by_role("link", name="Dashboard")).to_be_visible()
    finally:
        phone.close()


@pytest.mark.browser
def test_the_keyboard_shows_where_it_is(desk: Page, case: dict[str, Any]) -> None:
    desk.goto(f"/cases/{case['id']}")
    desk.keyboard.press("Tab")
    skip = desk.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    # the pickers keep their labels: Tom Select's input is labelled by the page's <label>
    assignee = desk.get_by_role("form", name="Change case").get_by_role("combobox", name="Assignee")
    assignee.focus()
    # Tom Select draws the focus ring on its control box around the input
    ring = "e => getComputedStyle(e.closest('.ts-wrapper.focus .ts-control')).boxShadow"
    assert assignee.evaluate(ring) not in ("", "none"), "a focused picker shows no focus"
