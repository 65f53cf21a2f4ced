"""The agent UI's keyboard shortcuts (decision 0242) in a real Chromium against the real services: next and
previous case in the list's order, back to the list, reply, note, the assignee control and "assign to me", none
of them while typing, and `?` opening an accessible help dialog (focus kept inside, Escape closes it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
}"""


@pytest.fixture(scope="module")
def me(api: httpx.Client) -> dict[str, Any]:
    return dict(next(a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == ADMIN_EMAIL))


@pytest.fixture(scope="module")
def listed(api: httpx.Client) -> tuple[str, list[dict[str, Any]]]:
    """Three cases under one tag, so a list of just them can be sorted by number."""
    tag = f"kbd{uuid.uuid4().hex[:6]}"
    made = []
    for n in range(3):
        resp = api.post(
            "/api/v1/cases", json={"title": f"Keyboard case {n}", "requester_email": "kim@example.org", "tags": [tag]}
        )
        assert resp.status_code == 201, resp.text
        made.append(dict(resp.json()))
    return tag, made


@pytest.fixture
def page(chromium: Browser, stack: Stack) -> Iterator[Page]:
    with agent_page(chromium, stack) as signed_in:
        signed_in.context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
        yield signed_in


@pytest.mark.browser
def test_j_and_k_walk_the_list_in_its_order_and_u_goes_back(
    page: Page, listed: tuple[str, list[dict[str, Any]]]
) -> None:
    tag, cases = listed
    newest_first = sorted(cases, key=lambda c: -c["number"])
    page.goto(f"/?tag={tag}&sort=-number")
    expect(page.locator("a[data-case-link]")).to_have_count(3)
    page.keyboard.press("j")
    expect(page.get_by_role("link", name=newest_first[0]["title"])).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_role("link", name=newest_first[1]["title"])).to_be_focused()
    page.keyboard.press("k")
    expect(page.get_by_role("link", name=newest_first[0]["title"])).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{newest_first[0]['id']}")

    # on a case page: the next and previous case of that list, newest first as it was sorted
    page.keyboard.press("j")
    page.wait_for_url(f"**/cases/{newest_first[1]['id']}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/cases/{newest_first[2]['id']}")
    page.keyboard.press("j")
    expect(page.locator("#shortcut-note")).to_have_text("Last case of the list.")
    assert page.url.endswith(f"/cases/{newest_first[2]['id']}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/cases/{newest_first[1]['id']}")

    # typing in a field is typing, not a shortcut
    note = page.get_by_role("tab", name="Internal note")
    note.click()
    box = page.get_by_label("Note (agents only")
    box.click()
    box.type("jk u?")
    expect(box).to_have_value("jk u?")
    assert page.url.endswith(f"/cases/{newest_first[1]['id']}")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.locator("#case-head h1").click()  # off the field
    page.keyboard.press("u")
    page.wait_for_url(f"**/?tag={tag}&sort=-number")

    # the same list sorted the other way: j follows the new order
    page.goto(f"/?tag={tag}&sort=number")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{newest_first[2]['id']}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/cases/{newest_first[1]['id']}")


@pytest.mark.browser
def test_r_n_a_and_m_reach_the_composer_and_the_assignee(
    page: Page, api: httpx.Client, me: dict[str, Any], listed: tuple[str, list[dict[str, Any]]]
) -> None:
    case = listed[1][0]
    assert api.get(f"/api/v1/cases/{case['id']}").json()["assignee"] is None
    page.goto(f"/cases/{case['id']}")
    composer = page.get_by_role("region", name="Write on this case")

    page.keyboard.press("n")
    expect(composer.get_by_role("tab", name="Internal note")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Note (agents only")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("#case-head h1").click()
    page.keyboard.press("r")
    expect(composer.get_by_role("tab", name="Reply")).to_have_attribute("aria-selected", "true")
    reply = page.get_by_label("Public reply")
    expect(reply).to_be_focused()
    reply.type("Thanks")
    expect(reply).to_have_value("Thanks")

    page.locator("#case-head h1").click()
    page.keyboard.press("a")
    expect(page.locator("#f-assignee-ts-control")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("#case-head h1").click()
    page.keyboard.press("m")
    expect(page.locator("#fields-message")).to_contain_text("Saved: assignee")
    expect(page.locator("#f-assignee")).to_have_value(str(me["id"]))
    wait_until(
        lambda: (api.get(f"/api/v1/cases/{case['id']}").json().get("assignee") or {}).get("id") == me["id"],
        what="the case assigned to me",
    )
    page.locator("#case-head h1").click()
    page.keyboard.press("m")
    expect(page.locator("#shortcut-note")).to_have_text("The case is already yours.")


@pytest.mark.browser
def test_question_mark_opens_an_accessible_help_dialog(page: Page, listed: tuple[str, list[dict[str, Any]]]) -> None:
    case = listed[1][2]
    page.goto(f"/cases/{case['id']}")
    page.locator("#case-head h1").click()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("row", name="m Assign the case to me")).to_be_visible()
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    assert page.evaluate(SERIOUS) == []
    # the focus stays inside: Tab and Shift+Tab wrap round its one control
    page.keyboard.press("Tab")
    expect(close).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(close).to_be_focused()
    # shortcuts are off while it is open; Escape closes it
    page.keyboard.press("j")
    assert page.url.endswith(f"/cases/{case['id']}")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # also from the account menu, for those who do not know the key yet; Close returns the focus
    menu = page.locator("#account-menu")
    menu.click()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(menu).to_be_focused()
