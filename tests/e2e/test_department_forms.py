"""Department forms end to end (A3, D3) in Chromium: an admin's form is a tile in the portal; a customer fills its
two pages, where an answer opens a conditional question, makes mistakes (every answer and the attached file are
kept), sends it; the case opens in the form's group with the mapped fields, and the agent sees every answer.
axe-core finds no serious or critical violation; 390 px wide pages do not scroll sideways."""

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
from look import case_titled, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.settings import repo_root
from chassis.testing import launched_chromium

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-e2e-password"  # tests/system.py
AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
SHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="forms-"))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _definition(name: str, group_id: int) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Laptops, phones, printers and accounts",
        "group_id": group_id,
        "published": True,
        "pages": [
            {
                "title": "Your problem",
                "fields": [
                    {"key": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"},
                    {
                        "key": "device",
                        "label": "Device",
                        "type": "select",
                        "options": ["Laptop", "Phone"],
                        "required": True,
                    },
                    {
                        "key": "serial",
                        "label": "Serial number",
                        "type": "text",
                        "required": True,
                        "help": "On the sticker underneath the laptop",
                        "show_if": {"key": "device", "equals": "Laptop"},
                    },
                ],
            },
            {
                "title": "Details",
                "fields": [
                    {"key": "details", "label": "What happens?", "type": "textarea", "maps_to": "description"},
                    {
                        "key": "urgency",
                        "label": "How urgent",
                        "type": "select",
                        "options": ["low", "medium", "high"],
                        "maps_to": "priority",
                    },
                    {"key": "machines", "label": "Machines affected", "type": "number"},
                    {"key": "photo", "label": "Photo of the screen", "type": "file"},
                ],
            },
        ],
    }


def _violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SERIOUS)
    return found


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _sign_in_customer(chromium: Browser, sys_: Any, sink: Any, email: str, width: int) -> Page:
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=sys_.portal_url)
    context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    mail = sink.wait_for(
        lambda m: m["To"] and email in m["To"] and "/auth/" in m.get_body(("plain",)).get_content(),
        timeout=60,
        what="sign-in link",
    )
    [link] = re.findall(r"https?://\S+/auth/[A-Za-z0-9_.~-]+", mail.get_body(("plain",)).get_content())
    page.goto(link)
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    return page


def _agent(chromium: Browser, sys_: Any, width: int) -> Page:
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=sys_.gateway_url)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    return page


@pytest.mark.browser
def test_a_customer_sends_a_two_page_form_and_the_agent_sees_every_answer(system, chromium: Browser) -> None:
    sys_, sink = system
    api: httpx.Client = sys_.api()
    tag = uuid.uuid4().hex[:6]
    [group] = [g for g in api.get("/api/v1/groups").json()["items"] if g["name"] == "Support"]
    created = api.post("/api/v1/forms", json=_definition(f"IT help {tag}", group["id"]))
    assert created.status_code == 201, created.text
    form = created.json()
    email = f"nina.{tag}@customer.example"
    contact = api.post("/api/v1/contacts", json={"name": "Nina Berg", "emails": [email]})
    assert contact.status_code == 201, contact.text

    page = _sign_in_customer(chromium, sys_, sink, email, 1400)
    try:
        tile = page.get_by_role("link", name=re.compile(f"IT help {tag}"))
        expect(tile).to_be_visible()
        assert _violations(page) == []
        page.screenshot(path=str(SHOTS / "portal-form-tiles.png"))
        tile.click()

        # page 1: choosing "Laptop" opens the serial number question, on this page, without JavaScript
        expect(page.get_by_role("heading", name="Your problem")).to_be_visible()
        expect(page.get_by_label("Serial number")).to_have_count(0)
        page.get_by_label("Subject").fill(f"Laptop screen flickers {tag}")
        page.get_by_label("Device").select_option("Laptop")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Your answer opened another question below.")).to_be_visible()
        expect(page.get_by_label("Subject")).to_have_value(f"Laptop screen flickers {tag}")

        # a required answer left out: the message is next to its field, the other answers are kept
        page.get_by_role("button", name="Next").click()
        serial = page.get_by_label("Serial number")
        expect(serial).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#f_serial-error")).to_have_text("This field is required.")
        expect(page.get_by_label("Subject")).to_have_value(f"Laptop screen flickers {tag}")
        expect(page.get_by_label("Device")).to_have_value("Laptop")
        assert _violations(page) == []
        page.screenshot(path=str(SHOTS / "portal-form-error.png"))
        serial.fill("SN-4411")
        page.get_by_role("button", name="Next").click()

        # page 2: a wrong number with a file attached: the file and the text stay, the number is explained
        expect(page.get_by_role("heading", name="Details")).to_be_visible()
        expect(page.get_by_text("Step 2 of 2")).to_be_visible()
        page.get_by_label("What happens?").fill("The screen flickers when the lid moves.")
        page.get_by_label("How urgent").select_option("high")
        page.get_by_label("Machines affected").fill("a few")
        page.get_by_label("Photo of the screen").set_input_files(
            {"name": "screen.png", "mimeType": "image/png", "buffer": PNG}
        )
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#f_machines-error")).to_have_text("Enter a number, like 12 or 3.5.")
        expect(page.get_by_text("Attached: screen.png")).to_be_visible()
        expect(page.get_by_label("What happens?")).to_have_value("The screen flickers when the lid moves.")
        expect(page.get_by_label("How urgent")).to_have_value("high")
        page.screenshot(path=str(SHOTS / "portal-form-page.png"), full_page=True)
        # going back and forth loses nothing either
        page.get_by_role("button", name="Back").click()
        expect(page.get_by_label("Serial number")).to_have_value("SN-4411")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Machines affected").fill("2")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    finally:
        page.context.close()

    title = f"Laptop screen flickers {tag}"
    found = wait_until(lambda: case_titled(api, title), timeout=60, what="the form's case")
    case = api.get(f"/api/v1/cases/{found['id']}").json()
    assert (case["source"], case["priority"], case["group"]["id"]) == ("portal", "high", group["id"])
    assert case["requester"]["email"] == email
    assert case["description"] == "The screen flickers when the lid moves."
    answers = {a["key"]: a for a in case["form"]["answers"]}
    assert case["form"]["form_name"] == f"IT help {tag}" and case["form"]["form_id"] == form["id"]
    assert {k: a["value"] for k, a in answers.items()} == {
        "subject": title,
        "device": "Laptop",
        "serial": "SN-4411",
        "details": "The screen flickers when the lid moves.",
        "urgency": "high",
        "machines": 2,
        "photo": "screen.png",
    }
    assert answers["serial"]["label"] == "Serial number" and answers["serial"]["page"] == "Your problem"
    attachments = api.get(f"/api/v1/cases/{case['id']}/attachments").json()
    items = attachments["items"] if isinstance(attachments, dict) else attachments
    assert [a["filename"] for a in items] == ["screen.png"]

    # the agent reads the answers on the case page, at desk and phone width
    for width in (1400, 390):
        agent = _agent(chromium, sys_, width)
        try:
            agent.goto(f"/cases/{case['id']}")
            section = agent.get_by_role("region", name=f"Form: IT help {tag}")
            expect(section).to_be_visible()
            expect(section.get_by_text("SN-4411")).to_be_visible()
            expect(section.get_by_text("Serial number")).to_be_visible()
            section.scroll_into_view_if_needed()
            found = _violations(agent)
            assert found == [], found
            assert _fits(agent)
            agent.screenshot(path=str(SHOTS / f"agent-form-answers-{width}.png"))
        finally:
            agent.context.close()

    # a form taken off the portal is gone for customers
    assert api.patch(f"/api/v1/forms/{form['id']}", json={"published": False}).status_code == 200
    with httpx.Client(base_url=sys_.portal_url, timeout=30) as anonymous:
        assert anonymous.get(f"/forms/{form['id']}", follow_redirects=False).status_code == 303  # sign in first
    assert api.patch(f"/api/v1/forms/{form['id']}", json={"published": True}).status_code == 200


@pytest.mark.browser
def test_the_tiles_and_a_form_page_fit_a_phone(system, chromium: Browser) -> None:
    sys_, sink = system
    api: httpx.Client = sys_.api()
    tag = uuid.uuid4().hex[:6]
    [group] = [g for g in api.get("/api/v1/groups").json()["items"] if g["name"] == "Support"]
    assert api.post("/api/v1/forms", json=_definition(f"Phone help {tag}", group["id"])).status_code == 201
    email = f"ola.{tag}@customer.example"
    assert api.post("/api/v1/contacts", json={"name": "Ola", "emails": [email]}).status_code == 201
    page = _sign_in_customer(chromium, sys_, sink, email, 390)
    try:
        expect(page.get_by_role("link", name=re.compile(f"Phone help {tag}"))).to_be_visible()
        assert _fits(page) and _violations(page) == []
        page.screenshot(path=str(SHOTS / "portal-form-tiles-390.png"), full_page=True)
        page.get_by_role("link", name=re.compile(f"Phone help {tag}")).click()
        page.get_by_role("button", name="Next").click()
        expect(page.locator("#f_subject-error")).to_have_text("This field is required.")
        assert _fits(page) and _violations(page) == []
        page.screenshot(path=str(SHOTS / "portal-form-page-390.png"), full_page=True)
    finally:
        page.context.close()


@pytest.mark.browser
def test_an_admin_builds_a_form_without_code(system, chromium: Browser) -> None:
    sys_, _sink = system
    api: httpx.Client = sys_.api()
    tag = uuid.uuid4().hex[:6]
    page = _agent(chromium, sys_, 1400)
    try:
        page.goto("/admin/forms/new")
        expect(page.get_by_role("heading", name="New department form")).to_be_visible()
        page.get_by_label("Name (the tile's title)").fill(f"Facilities {tag}")
        page.get_by_label("Cases go to group").select_option(label="Support")
        page.get_by_label("Question", exact=True).fill("Which room?")
        page.get_by_label("Key", exact=True).fill("room")
        page.get_by_role("button", name="Add a question to page 1").click()
        # the builder came back with a second question and the first one as typed (nothing saved yet)
        expect(page.get_by_label("Question", exact=True)).to_have_count(2)
        expect(page.get_by_label("Question", exact=True).first).to_have_value("Which room?")
        second = page.locator("fieldset.builder-field").nth(1)
        second.get_by_label("Question", exact=True).fill("What is broken?")
        second.get_by_label("Key", exact=True).fill("room")  # the same key twice: refused, next to the field
        second.get_by_label("Answer type").select_option("select")
        page.get_by_label("Published: customers see it in the portal").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The form was not saved")).to_be_visible()
        expect(second.get_by_text("the key 'room' is used twice")).to_be_visible()
        expect(page.get_by_label("Name (the tile's title)")).to_have_value(f"Facilities {tag}")
        second = page.locator("fieldset.builder-field").nth(1)
        second.get_by_label("Key", exact=True).fill("broken")
        second.get_by_label("Choices (one per line; only for “Choose one/several”)").fill("Light\nHeating\nDoor")
        second.get_by_label("Show only when").select_option("room")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text(f"Form “Facilities {tag}” saved and published.")).to_be_visible()
        assert _violations(page) == []
        page.screenshot(path=str(SHOTS / "admin-form-builder.png"), full_page=False)
    finally:
        page.context.close()
    [saved] = [f for f in api.get("/api/v1/forms").json()["items"] if f["name"] == f"Facilities {tag}"]
    fields = saved["pages"][0]["fields"]
    assert [(f["key"], f["type"]) for f in fields] == [("room", "text"), ("broken", "select")]
    assert fields[1]["options"] == ["Light", "Heating", "Door"] and fields[1]["show_if"] == {
        "key": "room",
        "equals": None,
    }
    assert saved["published"] is True

    phone = _agent(chromium, sys_, 390)
    try:
        phone.goto(f"/admin/forms/{saved['id']}")
        expect(phone.get_by_role("heading", name=f"Form “Facilities {tag}”")).to_be_visible()
        assert _fits(phone) and _violations(phone) == []
        phone.screenshot(path=str(SHOTS / "admin-form-builder-390.png"))
    finally:
        phone.context.close()
