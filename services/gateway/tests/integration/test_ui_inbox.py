"""The inbox in a real Chromium: views with counts, Norwegian search with a partial word and a
highlighted snippet, a saved search that becomes a folder with its count, SLA badges, the "SLA at risk"
view, sorting by SLA due time and the case page's SLA explanation."""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, wait_until
from playwright.sync_api import Browser, Page, expect, sync_playwright

from chassis.testing import CHROMIUM_ARGS, CHROMIUM_PATH

SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-inbox-"))


def _made(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def inbox(api: httpx.Client, admin_agent: dict[str, Any]) -> dict[str, Any]:
    """An urgent case whose first-response target warns at once (24/7, 1 minute, warn at 1 %), and two others."""
    tag = uuid.uuid4().hex[:6]
    policy = _made(
        api.post(
            "/api/v1/sla-policies",
            json={
                "name": f"Hast {tag}",
                "priority": "urgent",
                "first_response_minutes": 1,
                "resolution_minutes": 600,
                "warning_percent": 1,
            },
        )
    )
    me = admin_agent["id"]
    printer = _made(
        api.post(
            "/api/v1/cases",
            json={
                "title": f"Skrivaren på kontoret {tag} virker ikke",
                "description": "Skrivaren i tredje etasje skriver ut blanke ark, og køen står fast.",
                "priority": "urgent",
                "requester_email": f"kari-{tag}@fjordkraft.example.no",
                "assignee_id": me,
            },
        )
    )
    network = _made(
        api.post(
            "/api/v1/cases",
            json={"title": f"Nettverket er tregt {tag}", "priority": "medium", "assignee_id": me},
        )
    )
    other = _made(api.post("/api/v1/cases", json={"title": f"Ny telefon {tag}", "priority": "low"}))
    time.sleep(1.5)  # past the warning time (0.6 s); a status change recomputes the state now
    changed = api.patch(
        f"/api/v1/cases/{printer['id']}", json={"status": "open"}, headers={"If-Match": str(printer["version"])}
    )
    assert changed.status_code == 200, changed.text
    wait_until(
        lambda: api.get(f"/api/v1/cases/{printer['id']}").json()["sla_state"] == "warning", what="the SLA warning"
    )
    assert api.get(f"/api/v1/cases/{network['id']}").json()["sla_state"] == "none"
    return {"tag": tag, "policy": policy, "printer": printer, "network": network, "other": other}


@pytest.fixture(scope="module")
def page(stack: Stack) -> Iterator[Page]:
    with sync_playwright() as pw:
        browser: Browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.base_url)
            yield context.new_page()
        finally:
            browser.close()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _view_link(page: Page, name: str) -> Any:
    return page.get_by_role("navigation", name="Views").get_by_role("link").filter(has_text=name)


@pytest.mark.browser
def test_views_search_and_saved_search_folder(page: Page, stack: Stack, inbox: dict[str, Any]) -> None:
    printer, network, other = inbox["printer"], inbox["network"], inbox["other"]
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(stack.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()

    # the views, with counts: two open cases are mine, three open cases in all
    mine = _view_link(page, "My open cases")
    expect(mine.locator(".count")).to_have_text("2")
    expect(_view_link(page, "All open cases").locator(".count")).to_have_text("3")
    mine.click()
    expect(mine).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=printer["title"])).to_be_visible()
    expect(table.get_by_role("link", name=network["title"])).to_be_visible()
    expect(table.get_by_role("link", name=other["title"])).to_have_count(0)

    # a partial Norwegian word finds the case, with the match highlighted in the snippet
    page.goto("/")
    page.get_by_label("Search").fill("skriv")
    page.get_by_role("button", name="Filter").click()
    hit = page.get_by_role("row").filter(has=page.get_by_role("link", name=printer["title"]))
    expect(hit).to_be_visible()
    expect(hit.locator(".snippet mark").first).to_have_text(re.compile(r"^skriv", re.IGNORECASE))
    expect(page.get_by_role("link", name=network["title"])).to_have_count(0)
    _shot(page, "agent-search.png")

    # ... saved as a folder, listed with its count, opening its cases
    page.get_by_label("Save this search as").fill("Skrivere")
    page.get_by_role("button", name="Save search").click()
    expect(page.get_by_role("status").filter(has_text="Skrivere")).to_be_visible()
    folder = _view_link(page, "Skrivere")
    expect(folder.locator(".count")).to_have_text("1")
    expect(folder).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("table").get_by_role("link", name=printer["title"])).to_be_visible()
    expect(page.get_by_role("link", name=network["title"])).to_have_count(0)
    # a new matching case raises the folder's count
    api = stack.client()
    _made(api.post("/api/v1/cases", json={"title": f"Skriverkø {inbox['tag']} henger", "priority": "low"}))
    page.goto("/")
    expect(_view_link(page, "Skrivere").locator(".count")).to_have_text("2")
    _shot(page, "agent-inbox.png")


@pytest.mark.browser
def test_sla_badges_at_risk_view_sort_and_explanation(page: Page, inbox: dict[str, Any]) -> None:
    printer, network = inbox["printer"], inbox["network"]
    page.goto("/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=printer["title"]))
    expect(row.locator(".badge.sla-warning")).to_have_text("SLA warning")
    expect(page.get_by_role("row").filter(has_text=network["title"]).locator(".badge.sla-warning")).to_have_count(0)

    _view_link(page, "SLA at risk").click()
    expect(page.get_by_label("SLA", exact=True)).to_have_value("at_risk")
    expect(page.get_by_role("table").get_by_role("link", name=printer["title"])).to_be_visible()
    expect(page.get_by_role("link", name=network["title"])).to_have_count(0)

    page.goto("/")
    page.get_by_label("Sort").select_option("sla_due")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"sort=sla_due"))
    links = page.get_by_role("table").locator("tbody").get_by_role("link")  # the headings sort: links too
    expect(links.first).to_have_text(printer["title"])  # only cases with a running target, soonest first
    expect(page.get_by_role("link", name=network["title"])).to_have_count(0)

    page.get_by_role("link", name=printer["title"]).click()
    expect(page.locator("#case-head")).to_contain_text("SLA warning")  # at a glance, above the page
    page.get_by_role("tab", name="SLA").click()  # the explanation is a tab of the case page (decision 0231)
    panel = page.get_by_role("region", name="SLA")
    expect(panel).to_contain_text("SLA warning")
    expect(panel).to_contain_text(inbox["policy"]["name"])
    first = panel.locator("details").filter(has_text="First response")
    expect(first).to_contain_text("running")
    expect(first).to_contain_text(re.compile(r"\d+\.\d of 1 business minutes used"))
    periods = first.locator("tbody tr")
    expect(periods.first).to_contain_text("counted")
    expect(periods.filter(has_text="open")).to_have_count(1)
    _shot(page, "agent-case-sla.png")

    # on a phone neither the list with its SLA column nor the SLA panel scrolls sideways
    phone = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 390, "height": 844}, base_url=page.url.split("/cases/")[0], is_mobile=True
    )
    try:
        phone.add_cookies(page.context.cookies())
        mobile = phone.new_page()
        for path in ("/?sla=at_risk&sort=sla_due", f"/cases/{printer['id']}"):
            mobile.goto(path)
            expect(mobile.get_by_text("SLA warning").first).to_be_visible()
            overflow = mobile.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    finally:
        phone.close()


# -- decision 0145: the at-risk folder's count, renaming and deleting folders, the SLA panel
# following htmx updates of the case page


def _at_risk_case(api: httpx.Client, title: str, assignee_id: int) -> dict[str, Any]:
    """An urgent case whose first-response target (the module's policy) is in warning."""
    made = _made(api.post("/api/v1/cases", json={"title": title, "priority": "urgent", "assignee_id": assignee_id}))
    time.sleep(1.5)
    changed = api.patch(
        f"/api/v1/cases/{made['id']}", json={"status": "open"}, headers={"If-Match": str(made["version"])}
    )
    assert changed.status_code == 200, changed.text
    wait_until(lambda: api.get(f"/api/v1/cases/{made['id']}").json()["sla_state"] == "warning", what="warning")
    return made


@pytest.mark.browser
def test_sla_at_risk_folder_has_a_count(
    page: Page, stack: Stack, inbox: dict[str, Any], admin_agent: dict[str, Any]
) -> None:
    page.goto("/")
    count = _view_link(page, "SLA at risk").locator(".count")
    expect(count).to_have_text(re.compile(r"^\d+$"))
    before = int(count.inner_text())
    assert before >= 1  # the module's printer case
    _at_risk_case(stack.client(), f"Kassa {inbox['tag']} svarer ikke", admin_agent["id"])
    page.goto("/")
    expect(_view_link(page, "SLA at risk").locator(".count")).to_have_text(str(before + 1))
    # the folder lists exactly as many cases as it counts
    _view_link(page, "SLA at risk").click()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(before + 1)


@pytest.mark.browser
def test_rename_and_delete_a_saved_search(page: Page, inbox: dict[str, Any]) -> None:
    page.goto(f"/?q={inbox['tag']}&status=new")
    page.get_by_label("Save this search as").fill(f"Nye {inbox['tag']}")
    page.get_by_role("button", name="Save search").click()
    folder = _view_link(page, f"Nye {inbox['tag']}")
    expect(folder).to_have_attribute("aria-current", "page")

    rename = page.get_by_role("form", name="Rename this saved search")
    rename.get_by_label("New name").fill(f"Nyinnkomne {inbox['tag']}")
    rename.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("status").filter(has_text=f"renamed to “Nyinnkomne {inbox['tag']}”")).to_be_visible()
    renamed = _view_link(page, f"Nyinnkomne {inbox['tag']}")
    expect(renamed).to_have_attribute("aria-current", "page")
    expect(_view_link(page, f"Nye {inbox['tag']}")).to_have_count(0)

    # an empty name changes nothing and says why
    rename = page.get_by_role("form", name="Rename this saved search")
    rename.get_by_label("New name").evaluate("el => { el.removeAttribute('required'); el.value = '  '; }")
    rename.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Name missing")).to_be_visible()
    page.goto("/")
    expect(_view_link(page, f"Nyinnkomne {inbox['tag']}")).to_have_count(1)

    _view_link(page, f"Nyinnkomne {inbox['tag']}").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete saved search").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_be_visible()
    expect(_view_link(page, f"Nyinnkomne {inbox['tag']}")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.browser
def test_sla_panel_follows_a_reply_posted_in_place(page: Page, stack: Stack, inbox: dict[str, Any]) -> None:
    case = _made(stack.client().post("/api/v1/cases", json={"title": f"Alarm {inbox['tag']}", "priority": "urgent"}))
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("tab", name="SLA").click()  # the explanation is a tab of the case page (decision 0231)
    panel = page.get_by_role("region", name="SLA")
    first = panel.locator("details").filter(has_text="First response")
    expect(first.locator("summary")).to_contain_text("running")
    page.evaluate("window.__samePage = true")  # gone if the browser loaded a new page

    page.get_by_label("Public reply").fill("Vi ser på det nå.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#conversation")).to_contain_text("Vi ser på det nå.")
    expect(first.locator("summary")).to_contain_text("met")
    assert page.evaluate("window.__samePage === true")


def _signed_in(browser: Browser, stack: Stack, email: str, password: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.base_url)
    signed = context.new_page()
    signed.goto("/login")
    signed.get_by_label("Email").fill(email)
    signed.get_by_label("Password").fill(password)
    signed.get_by_role("button", name="Sign in").click()
    expect(signed.get_by_role("heading", name="Cases")).to_be_visible()
    return signed


@pytest.mark.browser
def test_share_a_saved_search_with_a_group_whose_members_use_it_read_only(
    page: Page, stack: Stack, inbox: dict[str, Any]
) -> None:
    from gateway import access

    api = stack.client()
    tag = inbox["tag"]
    bo = _made(api.post("/api/v1/agents", json={"email": f"bo-{tag}@example.com", "name": f"Bo {tag}"}))
    team = _made(api.post("/api/v1/groups", json={"name": f"Skrivergjengen {tag}", "member_ids": [bo["id"]]}))
    password = f"Bo-{uuid.uuid4().hex}"
    access.set_agent_password(factory=stack.db(), email=bo["email"], password=password)
    browser = page.context.browser
    assert browser is not None
    desk = _signed_in(browser, stack, ADMIN_EMAIL, stack.admin_password)
    try:
        desk.goto(f"/?q={tag}&status=new")
        save = desk.get_by_role("form", name="Save this search")
        save.get_by_label("Save this search as").fill(f"Gjengen {tag}")
        save.get_by_label("Shared with").select_option(label=f"Group: Skrivergjengen {tag}")
        save.get_by_role("button", name="Save search").click()
        expect(desk.locator("main")).to_contain_text(f"(shared with Skrivergjengen {tag})")
        found = next(s for s in api.get("/api/v1/saved-searches").json()["items"] if s["name"] == f"Gjengen {tag}")
        assert (found["shared"], found["shared_group_id"]) == (False, team["id"])

        # the owner changes whom it is shared with: every agent, then the group again
        share = desk.get_by_role("form", name="Share this saved search")
        share.get_by_label("Shared with").select_option(label="Every agent")
        share.get_by_role("button", name="Share").click()
        expect(desk.get_by_role("status").filter(has_text="now shared with every agent")).to_be_visible()
        share = desk.get_by_role("form", name="Share this saved search")
        share.get_by_label("Shared with").select_option(label=f"Group: Skrivergjengen {tag}")
        share.get_by_role("button", name="Share").click()
        expect(desk.get_by_role("status").filter(has_text="now shared with a group")).to_be_visible()
        expect(share.get_by_label("Shared with")).to_have_value(f"group:{team['id']}")
    finally:
        desk.context.close()

    member = _signed_in(browser, stack, bo["email"], password)
    try:
        folder = _view_link(member, f"Gjengen {tag}")
        expect(folder).to_contain_text("(shared with you)")
        folder.click()
        expect(member.locator("main")).to_contain_text("Shared with you: you can use it; only its owner changes it.")
        for name in ("Rename this saved search", "Share this saved search", "Delete this saved search"):
            expect(member.get_by_role("form", name=name)).to_have_count(0)
        # and the service refuses a change by hand all the same
        token = member.locator("input[name=csrf_token]").first.input_value()
        refused = member.request.post(
            f"/saved-searches/{found['id']}/rename", form={"csrf_token": token, "name": "Mine now"}
        )
        assert refused.status == 403, refused.status
        assert api.get(f"/api/v1/saved-searches/{found['id']}").json()["name"] == f"Gjengen {tag}"
    finally:
        member.context.close()
