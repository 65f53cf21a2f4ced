""" "New email" (A7), the admin's list of sources and the side panel's source and "inform the contact" (B16) in a
real Chromium against the real gateway, cases and mail gateway: an agent writes to a contact from a mailbox with
a file, the case opens with the mail as its first reply; a mailbox that is not ours is refused with what was
typed kept; the side panel changes the source and how the contact is informed; axe-core finds nothing serious."""

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
from conftest import Stack, agent_page, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root
from chassis.testing import ServiceProcess

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="new-email-"))


@pytest.fixture
def page(chromium: Browser, stack: Stack, mail: dict[str, Any]) -> Iterator[Page]:
    with agent_page(chromium, stack) as signed_in:
        signed_in.context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
        yield signed_in


def _no_serious(page: Page) -> None:
    assert page.evaluate(SERIOUS) == [], page.url


@pytest.mark.browser
def test_an_agent_writes_to_a_contact_and_sets_how_they_are_informed(
    page: Page, api: httpx.Client, notifications: ServiceProcess
) -> None:
    tag = uuid.uuid4().hex[:6]
    contact = f"eva-{tag}@customer.example"
    # the admin adds a source of their own in the console; agents pick it
    page.goto("/admin/sources")
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    page.get_by_label("Key", exact=True).fill(f"fair_{tag}")
    page.get_by_label("Name").fill(f"Trade fair {tag}")
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("cell", name=f"Trade fair {tag}", exact=True)).to_be_visible()
    _no_serious(page)

    page.get_by_role("link", name="New email").click()
    expect(page.get_by_role("heading", name="New email")).to_be_visible()
    _no_serious(page)
    page.get_by_label("To").fill(contact)
    page.get_by_label("Name").fill("Eva Lund")
    page.get_by_label("Subject").fill(f"Your order {tag}")
    page.get_by_label("Message").fill("Hello Eva, your order has shipped.")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 receipt"}]
    )
    expect(page.get_by_label("From")).to_have_value("support@example.com")
    page.get_by_label("Source").select_option(label=f"Trade fair {tag}")
    page.get_by_label("Inform the contact").select_option(label="Link only")

    # a mailbox that is not ours is refused: the message says so and nothing typed is lost
    page.evaluate("document.querySelector('#mailbox').options[0].value = 'ceo@elsewhere.example'")
    page.get_by_role("button", name="Send and create case").click()
    expect(page.get_by_role("alert")).to_contain_text("is not an active mailbox")
    expect(page.get_by_label("Message")).to_have_value("Hello Eva, your order has shipped.")
    expect(page.get_by_label("Subject")).to_have_value(f"Your order {tag}")
    assert api.get("/api/v1/cases", params={"q": f"Your order {tag}"}).json()["items"] == []

    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 receipt"}]
    )
    page.get_by_label("From").select_option("support@example.com")
    page.get_by_role("button", name="Send and create case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.get_by_text("the mail to")).to_be_visible()
    case_id = int(page.url.rsplit("/", 1)[1])
    case = api.get(f"/api/v1/cases/{case_id}").json()
    assert (case["source"], case["inform_contact"], case["mailbox"]) == (f"fair_{tag}", "link", "support@example.com")
    assert case["requester"]["email"] == contact
    [first] = api.get(f"/api/v1/cases/{case_id}/messages").json()["items"]
    assert (first["visibility"], first["author_type"]) == ("public", "agent")
    assert [a["filename"] for a in first["attachments"]] == ["receipt.pdf"]

    # the side panel: both controls carry the API's field names and save on change
    source = page.locator("select[name=source]")
    inform = page.locator("select[name=inform_contact]")
    expect(source).to_have_value(f"fair_{tag}")
    expect(inform).to_have_value("link")
    # what the organisation's setting means for this case now (no organisation: the workspace's, full)
    expect(inform.locator("option[value='']")).to_have_text("Default (email conversation)")
    inform.select_option("never")
    # each change waits for the panel that answers it (it carries the new version for the next one)
    expect(page.locator(".field-saved")).to_contain_text("inform contact")
    assert api.get(f"/api/v1/cases/{case_id}").json()["inform_contact"] == "never"
    page.locator("select[name=source]").select_option("walk_in")
    expect(page.locator(".field-saved")).to_contain_text("source")
    assert api.get(f"/api/v1/cases/{case_id}").json()["source"] == "walk_in"
    page.locator("select[name=inform_contact]").select_option("")
    wait_until(lambda: api.get(f"/api/v1/cases/{case_id}").json()["inform_contact"] is None, what="back to the org's")
    _no_serious(page)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1400, 1000), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/cases/new-email?to={contact}")
        page.screenshot(path=str(SCREENSHOTS / f"new-email-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(f"/cases/{case_id}")
        page.locator("#case-fields").screenshot(path=str(SCREENSHOTS / f"side-panel-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_a_solution_of_a_resolved_case_like_this_one_goes_into_the_reply(page: Page, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    me = next(a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == "admin@example.com")
    category = f"Printers {tag}"
    solved = api.post(
        "/api/v1/cases",
        json={"title": f"Paper jam {tag}", "category": category, "solution": "Open tray 2 and pull the roller."},
    ).json()
    changed = api.patch(
        f"/api/v1/cases/{solved['id']}",
        json={"assignee_id": me["id"], "status": "resolved"},
        headers={"If-Match": str(solved["version"])},
    )
    assert changed.status_code == 200, changed.text
    other = api.post("/api/v1/cases", json={"title": "Unrelated", "category": "Phones", "solution": "Not this."})
    assert other.status_code == 201, other.text
    case = api.post("/api/v1/cases", json={"title": f"Jammed again {tag}", "category": category}).json()

    page.goto(f"/cases/{case['id']}")
    page.get_by_role("button", name="Insert suggested solution").click()
    menu = page.locator("#solutions .dropdown-menu")
    expect(menu.get_by_role("button")).to_have_count(1)
    menu.get_by_role("button", name=re.compile(f"Paper jam {tag}")).click()
    expect(page.locator("#reply-body")).to_have_value("Open tray 2 and pull the roller.")
    _no_serious(page)


@pytest.mark.browser
def test_a_new_case_takes_its_source_from_the_list(page: Page, api: httpx.Client) -> None:
    title = f"Came to the desk {uuid.uuid4().hex[:6]}"
    page.goto("/cases/new")
    expect(page.get_by_label("Source")).to_have_value("agent")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Source").select_option(label="Walk-in")
    page.get_by_role("button", name="Create case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case = api.get(f"/api/v1/cases/{page.url.rsplit('/', 1)[1]}").json()
    assert (case["title"], case["source"]) == (title, "walk_in")
