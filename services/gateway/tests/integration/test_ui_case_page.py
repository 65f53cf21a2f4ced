"""The case page around the conversation (decisions 0231-0233) in a real Chromium against the real services:
the composer's modes, files (new and already on the case), canned replies, the signature and "send and set
status"; the side panel saving each field on change (a custom field and tags too), honouring the admin's field
configuration and refusing a stale version; the work in tabs; the bell's dropdown with mark-read."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page, my_notifications, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.testing import ServiceProcess


def _case(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {"title": f"Printer jams {uuid.uuid4().hex[:6]}", "requester_email": "nina@customer.example", **extra}
    made = api.post("/api/v1/cases", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def _upload(api: httpx.Client, case_id: int, name: str, content: bytes) -> dict[str, Any]:
    resp = api.post(f"/api/v1/cases/{case_id}/attachments", files={"file": (name, content, "application/pdf")})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def me(api: httpx.Client) -> dict[str, Any]:
    return dict(next(a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == ADMIN_EMAIL))


@pytest.fixture(scope="module")
def parked(api: httpx.Client) -> dict[str, Any]:
    """An admin's own status (not one of the six categories' names)."""
    made = api.post("/api/v1/case-statuses", json={"name": "Parked at vendor", "category": "waiting"})
    assert made.status_code == 201, made.text
    return dict(made.json())


@pytest.fixture
def page(chromium: Browser, stack: Stack) -> Iterator[Page]:
    with agent_page(chromium, stack) as signed_in:
        yield signed_in


@pytest.mark.browser
def test_reply_with_a_new_file_and_one_already_on_the_case_then_a_note_that_sets_the_status(
    page: Page, api: httpx.Client, me: dict[str, Any], parked: dict[str, Any]
) -> None:
    case = _case(api)
    offer = _upload(api, case["id"], "offer.pdf", b"%PDF-1.4 offer")
    canned = api.post("/api/v1/canned-replies", json={"title": "Parts ordered", "body": "We ordered the parts."})
    assert canned.status_code == 201, canned.text
    signed = api.put("/api/v1/signatures", json={"agent_id": me["id"], "signature": "Ada, first line support"})
    assert signed.status_code == 200, signed.text

    page.goto(f"/cases/{case['id']}")
    composer = page.get_by_role("region", name="Write on this case")
    # the conversation first, the composer right under it, the work tabs below that
    boxes = [page.locator(sel).bounding_box() for sel in ("#conversation", "#composer", ".work-tabs")]
    assert all(boxes) and boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"], boxes  # type: ignore[index]
    expect(composer.get_by_role("tab", name="Reply")).to_have_attribute("aria-selected", "true")
    expect(composer.locator(".signature-preview")).to_contain_text("Ada, first line support")

    composer.get_by_role("button", name="Insert canned reply").first.click()
    composer.get_by_role("button", name="Parts ordered").first.click()
    reply = page.get_by_label("Public reply")
    expect(reply).to_have_value("We ordered the parts.")
    reply.press("End")
    reply.type(" The offer and the manual are attached.")
    reply_form = page.get_by_role("form", name="Reply to the requester")
    # files on the case not sent yet are offered at once (the files part opens by itself)
    expect(reply_form.get_by_text("1 on the case not sent yet")).to_be_visible()
    reply_form.get_by_label("New files").set_input_files(
        {"name": "manual.txt", "mimeType": "text/plain", "buffer": b"press the green lever"}
    )
    reply_form.get_by_label(re.compile(r"offer\.pdf")).check()
    reply_form.get_by_role("button", name="Send reply").click()

    sent = page.locator("article.message-public").filter(has_text="The offer and the manual are attached.")
    expect(sent).to_be_visible()
    expect(sent.get_by_role("link", name="offer.pdf")).to_have_attribute(
        "href", f"/cases/{case['id']}/attachments/{offer['id']}"
    )
    expect(sent.get_by_role("link", name="manual.txt")).to_be_visible()
    expect(reply).to_have_value("")
    # the file just sent is no longer offered
    expect(reply_form.get_by_label(re.compile(r"offer\.pdf"))).to_have_count(0)
    messages = api.get(f"/api/v1/cases/{case['id']}/messages").json()["items"]
    stored = next(m for m in messages if "manual are attached" in m["body_text"])
    assert stored["visibility"] == "public"
    assert sorted(a["filename"] for a in stored["attachments"]) == ["manual.txt", "offer.pdf"]
    manual = next(a for a in stored["attachments"] if a["filename"] == "manual.txt")
    download = page.request.get(f"/cases/{case['id']}/attachments/{manual['attachment_id']}")
    assert download.status == 200 and download.body() == b"press the green lever"

    # a note, sent with "and set status" to the admin's own status
    composer.get_by_role("tab", name="Internal note").click()
    note_form = page.get_by_role("form", name="Internal note")
    page.get_by_label("Note (agents only").fill("Vendor has the unit; waiting for their answer.")
    note_form.get_by_label("Then set the status").select_option(label="and set status: Parked at vendor")
    note_form.get_by_role("button", name="Add note").click()
    note = page.locator("article.message-internal").filter(has_text="waiting for their answer")
    expect(note).to_be_visible()
    expect(page.locator("#case-head")).to_contain_text("Parked at vendor")  # the admin's status, by its name
    expect(page.get_by_role("form", name="Change case").get_by_label("Status")).to_have_value(str(parked["id"]))
    now = api.get(f"/api/v1/cases/{case['id']}").json()
    assert (now["status"], now["status_id"], now["status_name"]) == ("waiting", parked["id"], "Parked at vendor")
    assert any(m["visibility"] == "internal" for m in api.get(f"/api/v1/cases/{case['id']}/messages").json()["items"])


@pytest.mark.browser
def test_the_side_panel_saves_each_field_on_change_and_refuses_a_stale_version(
    page: Page, api: httpx.Client, me: dict[str, Any], parked: dict[str, Any]
) -> None:
    seats = api.post("/api/v1/custom-fields", json={"key": "seats", "label": "Seats", "type": "number"})
    assert seats.status_code == 201, seats.text
    _case(api, tags=["printer"])  # a tag another case has: suggested
    case = _case(api)
    page.goto(f"/cases/{case['id']}")
    panel = page.get_by_role("form", name="Change case")
    saved = page.locator("#case-fields .field-saved")
    version = panel.locator("input[name=version]")

    def saves(what: str, change: Any) -> None:
        """Make one change; the panel comes back with a new version and says what it saved."""
        before = version.input_value()
        change()
        expect(version).not_to_have_value(before)
        expect(saved).to_contain_text(what)

    for name in ("title", "description", "status_id", "priority", "assignee_id", "group_id", "type_id", "category"):
        expect(panel.locator(f"[name='{name}']")).to_have_count(1)
    for name in (
        "solution",
        "due_at",
        "external_ref",
        "organisation_id",
        "tags",
        "follower_ids",
        "custom_fields.seats",
    ):
        expect(panel.locator(f"[name='{name}']")).to_have_count(1)

    saves("priority", lambda: panel.get_by_label("Priority").select_option("high"))
    expect(page.locator("#case-head")).to_contain_text("High")
    saves("category", lambda: (panel.get_by_label("Category").fill("Hardware"), page.keyboard.press("Tab")))
    saves("custom fields", lambda: (panel.get_by_label("Seats").fill("12"), page.keyboard.press("Tab")))

    # leaving "new" needs an assignee (the cases service's rule): said, and nothing changes
    panel.get_by_label("Status").select_option(label="Parked at vendor")
    expect(page.locator("#case-fields .field-error")).to_contain_text("needs an assignee")
    # Tom Select's <select>: the picker fires its change
    saves("assignee", lambda: page.select_option("#f-assignee", str(me["id"])))
    saves("status", lambda: panel.get_by_label("Status").select_option(label="Parked at vendor"))

    def pick_suggestion() -> None:
        panel.get_by_role("combobox", name="Tags").click()
        suggestion = page.locator(".ts-dropdown .option", has_text="printer")  # a tag another case has
        expect(suggestion).to_be_visible()
        suggestion.click()

    def new_tag() -> None:
        tags = panel.get_by_role("combobox", name="Tags")
        tags.click()
        tags.press_sequentially("vip")
        page.locator(".ts-dropdown .create").click()

    saves("tags", pick_suggestion)
    saves("tags", new_tag)
    expect(page.locator("#f-tags")).to_have_values(["printer", "vip"])
    page.keyboard.press("Escape")
    saves("title", lambda: (panel.get_by_label("Title").fill("Printer jams on tray 2"), page.keyboard.press("Tab")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer jams on tray 2")

    now = api.get(f"/api/v1/cases/{case['id']}").json()
    assert (now["priority"], now["category"], now["status_id"]) == ("high", "Hardware", parked["id"])
    assert now["assignee"]["id"] == me["id"]
    assert now["title"] == "Printer jams on tray 2" and now["tags"] == ["printer", "vip"]
    assert float(now["custom_fields"]["seats"]) == 12
    history = {h["field"] for h in api.get(f"/api/v1/cases/{case['id']}/history").json()["items"]}
    assert {"priority", "category", "custom_fields.seats", "tags", "title"} <= history

    # the case changes meanwhile while the agent is on the priority (the page takes other changes in live, but
    # never over the control being edited): the save is refused with a choice, nothing changes (decision 0249)
    panel.get_by_label("Priority").focus()
    changed = api.patch(
        f"/api/v1/cases/{case['id']}", json={"priority": "low"}, headers={"If-Match": str(now["version"])}
    )
    assert changed.status_code == 200, changed.text
    panel.get_by_label("Priority").select_option("urgent")
    expect(page.locator("#case-fields .field-conflict")).to_contain_text("set priority to Low meanwhile")
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "low"
    # the panel now shows the current case; the agent's next change goes through
    expect(panel.get_by_label("Priority")).to_have_value("low")
    panel.get_by_label("Priority").select_option("urgent")
    expect(saved).to_contain_text("priority")
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "urgent"

    # dormant for a period: the first dormant status, waking in 3 days
    sleep = page.get_by_role("form", name="Put the case to sleep")
    sleep.get_by_label("or days").fill("3")
    sleep.get_by_role("button", name="Sleep").click()
    expect(saved).to_contain_text("status")
    expect(page.locator("#case-fields")).to_contain_text("Dormant until")
    asleep = api.get(f"/api/v1/cases/{case['id']}").json()
    assert asleep["status"] == "dormant" and asleep["dormant_until"] is not None


@pytest.mark.browser
def test_a_hidden_field_is_not_shown_and_a_required_one_is_refused_empty(page: Page, api: httpx.Client) -> None:
    case = _case(api, category="Network", external_ref="VND-1")
    try:
        assert api.put("/api/v1/field-config/external_ref", json={"hidden": True}).status_code == 200
        assert api.put("/api/v1/field-config/category", json={"required": True}).status_code == 200
        page.goto(f"/cases/{case['id']}")
        panel = page.get_by_role("form", name="Change case")
        expect(panel.locator("[name='external_ref']")).to_have_count(0)
        expect(panel.get_by_role("textbox", name="Category (required)")).to_have_value("Network")
        panel.get_by_role("textbox", name="Category (required)").fill("")
        panel.get_by_role("textbox", name="Category (required)").press("Tab")
        expect(page.locator("#case-fields .field-error")).to_contain_text("category is required")
        assert api.get(f"/api/v1/cases/{case['id']}").json()["category"] == "Network"
    finally:
        api.put("/api/v1/field-config/external_ref", json={"hidden": False})
        api.put("/api/v1/field-config/category", json={"required": False})


@pytest.mark.browser
def test_work_tabs_and_the_page_on_a_phone(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    case = _case(api)
    with agent_page(chromium, stack) as page:
        page.goto(f"/cases/{case['id']}")
        tabs = page.get_by_role("region", name="Work on the case")
        for name in ("Tasks", "Time", "Files", "Links and merge", "SLA", "History"):
            expect(tabs.get_by_role("tab", name=re.compile(rf"^{name}"))).to_be_visible()
        tabs.get_by_role("tab", name="Time").click()
        page.get_by_label("Minutes").fill("15")
        page.get_by_role("button", name="Log time").click()
        # the page comes back with the tab the form was in open
        expect(page.get_by_test_id("time-total")).to_have_text("15 min")
        expect(tabs.get_by_role("tab", name="Time")).to_have_attribute("aria-selected", "true")
        tabs.get_by_role("tab", name="History").click()
        expect(tabs.get_by_role("region", name=re.compile("Changes"))).to_be_visible()
        # the keyboard reaches the composer's modes and the tabs
        page.get_by_role("tab", name="Reply").focus()
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name="Internal note")).to_be_focused()

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=stack.base_url, is_mobile=True)
    try:
        with agent_page(chromium, stack) as desk:
            phone.add_cookies(desk.context.cookies())
        page = phone.new_page()
        page.goto(f"/cases/{case['id']}")
        assert page.evaluate("document.documentElement.scrollWidth - 390") <= 0, "the case page scrolls sideways"
        composer = page.locator("#composer").bounding_box()
        side = page.locator("#case-side").bounding_box()
        work = page.locator(".work-tabs").bounding_box()
        # the Details panel right under the composer, the work tabs after it
        assert composer and side and work, (composer, side, work)
        assert composer["y"] + composer["height"] <= side["y"] < work["y"], (composer, side, work)
        assert side["y"] - (composer["y"] + composer["height"]) < 40, (composer, side)
    finally:
        phone.close()
    # on a desk the panel is the column beside the conversation, the work tabs under the composer
    with agent_page(chromium, stack) as page:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(f"/cases/{case['id']}")
        composer = page.locator("#composer").bounding_box()
        side = page.locator("#case-side").bounding_box()
        work = page.locator(".work-tabs").bounding_box()
        assert composer and side and work, (composer, side, work)
        assert side["x"] > composer["x"] + composer["width"] - 1 and side["y"] < composer["y"] + 200, (composer, side)
        assert work["y"] >= composer["y"] + composer["height"] and abs(work["x"] - composer["x"]) < 2, (composer, work)


@pytest.mark.browser
def test_requester_and_followers_are_picked_by_searching_the_directory(page: Page, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    many = [
        api.post("/api/v1/contacts", json={"name": f"Filler {n} {tag}", "emails": [f"filler{n}-{tag}@example.org"]})
        for n in range(3)
    ]
    assert all(r.status_code == 201 for r in many), [r.text for r in many]
    # a contact far beyond the first hundred in any order: the picker finds it by what is typed
    solveig = api.post("/api/v1/contacts", json={"name": f"Solveig {tag}", "emails": [f"solveig-{tag}@fjord.example"]})
    assert solveig.status_code == 201, solveig.text
    case = _case(api)
    page.goto(f"/cases/{case['id']}")
    panel = page.get_by_role("form", name="Change case")
    expect(panel.locator("select[name='requester_id']")).to_have_count(1)
    expect(panel.locator("#f-requester option")).to_have_count(1)  # the page carries the chosen one only
    expect(panel.locator("#f-followers option")).to_have_count(0)

    expect(panel.get_by_role("combobox", name="Requester")).to_have_count(1)
    page.locator("#f-requester + .ts-wrapper .ts-control").click()  # a single picker's box (its input hides)
    page.keyboard.type(f"solveig-{tag}")
    found = page.locator(".ts-dropdown .option", has_text=f"Solveig {tag} <solveig-{tag}@fjord.example>")
    expect(found).to_be_visible(timeout=10_000)
    found.click()
    expect(page.locator("#case-fields .field-saved")).to_contain_text("requester")
    now = api.get(f"/api/v1/cases/{case['id']}").json()
    assert now["requester"]["id"] == solveig.json()["id"]
    history = api.get(f"/api/v1/cases/{case['id']}/history").json()["items"]
    assert any(h["field"] == "requester_id" and f"solveig-{tag}" in (h["new_value"] or "") for h in history), history
    expect(page.locator("#f-requester")).to_have_value(str(solveig.json()["id"]))
    page.keyboard.press("Escape")

    followers = panel.get_by_role("combobox", name="Followers")
    followers.click()
    followers.press_sequentially(f"filler1-{tag}")
    option = page.locator(".ts-dropdown .option", has_text=f"filler1-{tag}@example.org")
    expect(option).to_be_visible(timeout=10_000)
    option.click()
    expect(page.locator("#case-fields .field-saved")).to_contain_text("follower")
    assert [f["id"] for f in api.get(f"/api/v1/cases/{case['id']}").json()["followers"]] == [many[1].json()["id"]]

    # the organisation picker likewise: the page carries the chosen one, typing searches them all
    org = api.post("/api/v1/organisations", json={"name": f"Vestland Kraft {tag}"})
    assert org.status_code == 201, org.text
    page.keyboard.press("Escape")
    expect(panel.locator("#f-organisation option")).to_have_count(1)  # "No organisation"
    page.locator("#f-organisation + .ts-wrapper .ts-control").click()
    page.keyboard.type(f"kraft {tag}")
    choice = page.locator(".ts-dropdown .option", has_text=f"Vestland Kraft {tag}")
    expect(choice).to_be_visible(timeout=10_000)
    choice.click()
    expect(page.locator("#case-fields .field-saved")).to_contain_text("organisation")
    assert api.get(f"/api/v1/cases/{case['id']}").json()["organisation"]["id"] == org.json()["id"]
    expect(page.locator("#f-organisation")).to_have_value(str(org.json()["id"]))
    # the list's organisation filter keeps the chosen one (it too is searched, not listed)
    page.goto(f"/?organisation={org.json()['id']}")
    expect(page.locator("#f-organisation")).to_have_value(str(org.json()["id"]))
    expect(page.get_by_role("table").get_by_role("link", name=case["title"])).to_be_visible()


@pytest.mark.browser
def test_the_bell_opens_a_dropdown_with_mark_read_and_mark_all_read(
    chromium: Browser,
    stack: Stack,
    api: httpx.Client,
    partner: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
) -> None:
    api.post("/api/v1/notifications/read", json={})
    titles = [f"Bell {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    for title in titles:
        made = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
        assert made.status_code == 201, made.text
    stored = wait_until(
        lambda: (p := my_notifications(api)) and set(titles) <= {n["title"] for n in p["items"]} and p,
        timeout=20,
        what="three alerts",
    )
    ids = {n["title"]: n["id"] for n in stored["items"] if n["title"] in titles}
    unread_before = stored["unread"]
    with agent_page(chromium, stack) as page:
        expect(page.locator("body")).to_have_attribute("data-notifications", "loaded", timeout=10_000)
        alerts = page.get_by_role("list", name="New notifications")
        # nothing is pushed into the page: the list waits in the closed dropdown
        expect(alerts).to_be_hidden()
        assert page.locator("main #notif-list").count() == 0
        expect(page.locator("#notif-count")).to_have_text(str(stored["unread"]))

        page.locator("#notif-bell").click()
        expect(alerts).to_be_visible()
        middle = alerts.get_by_role("listitem").filter(has_text=titles[1])
        newest = alerts.get_by_role("listitem").filter(has_text=titles[2])
        oldest = alerts.get_by_role("listitem").filter(has_text=titles[0])
        # "Mark read" marks that one only: the older and the newer one stay unread
        middle.get_by_role("button", name=re.compile("^Mark read")).click()
        expect(middle).to_have_class(re.compile("notif-read"))
        expect(oldest).not_to_have_class(re.compile("notif-read"))
        expect(newest).not_to_have_class(re.compile("notif-read"))
        expect(page.locator("#notif-count")).to_have_text(str(unread_before - 1))
        now = my_notifications(api)
        assert now["unread"] == unread_before - 1
        states = {n["id"]: n["read_at"] for n in now["items"]}
        assert states[ids[titles[1]]] is not None and states[ids[titles[0]]] is None and states[ids[titles[2]]] is None
        expect(alerts).to_be_visible()  # the dropdown stays open while marking

        page.get_by_role("button", name="Mark all read").click()
        expect(newest).to_have_class(re.compile("notif-read"))
        expect(page.locator("#notif-count")).to_be_hidden()
        assert my_notifications(api)["unread"] == 0
        # a link goes to its case
        newest.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(titles[2])


@pytest.mark.browser
def test_a_status_refused_after_sending_says_the_message_went_out(page: Page, api: httpx.Client) -> None:
    case = _case(api)  # new and unassigned: it may not leave "new"
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("tab", name="Internal note").click()
    note_form = page.get_by_role("form", name="Internal note")
    page.get_by_label("Note (agents only").fill("Asked the vendor.")
    note_form.get_by_label("Then set the status").select_option(label="and set status: Resolved")
    note_form.get_by_role("button", name="Add note").click()
    expect(page.locator("#conversation .alert-danger")).to_contain_text(
        "Note added, but the status was not changed: a case needs an assignee"
    )
    expect(page.locator("article.message-internal").filter(has_text="Asked the vendor.")).to_be_visible()
    assert api.get(f"/api/v1/cases/{case['id']}").json()["status"] == "new"
