"""The portal in a real Chromium: ask for a link, follow it, see my cases, open one, reply; on a phone too."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from portal_testing import Stack, wait_for_link

from chassis.testing import CHROMIUM_ARGS, CHROMIUM_PATH

# `make screenshots` points this at docs/screenshots (the README shows it); tests must not dirty the tree
SCREENSHOT = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="portal-")) / "portal-case.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def request_link_in(page: Page, stack: Stack, email: str) -> str:
    page.goto(f"{stack.portal_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    link: str = wait_for_link(stack, email)["link_url"]
    return link


def no_horizontal_scroll(page: Page) -> bool:
    result: Any = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return bool(result)


def test_customer_follows_the_link_and_replies(stack: Stack, browser: Browser) -> None:
    email = stack.email("dana")
    case = stack.create_case(email=email, title="Wi-Fi drops every afternoon", description="Office floor 3.")
    stack.add_message(case_id=case["id"], body="Internal: check the access point firmware", visibility="internal")
    stack.add_message(case_id=case["id"], body="Hi Dana, could you tell us which room you sit in?", visibility="public")
    other = stack.create_case(email=stack.email("eve"), title="Eve's private matter")

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    link = request_link_in(page, stack, email)
    page.goto(link)

    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    expect(page.get_by_role("link", name="Wi-Fi drops every afternoon")).to_be_visible()
    expect(page.get_by_text("Eve's private matter")).to_have_count(0)

    page.get_by_role("link", name="Wi-Fi drops every afternoon").click()
    expect(page.get_by_role("heading", name="Wi-Fi drops every afternoon")).to_be_visible()
    expect(page.get_by_text("could you tell us which room you sit in?")).to_be_visible()
    expect(page.get_by_text("access point firmware")).to_have_count(0)

    page.get_by_label("Your message").fill("Room 3.14, next to the kitchen.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply was sent")
    expect(page.locator(".message.from-me")).to_contain_text("Room 3.14, next to the kitchen.")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    bodies = [m["body_text"] for m in stack.rpc.call("cases", "list_messages", case_id=case["id"])]
    assert "Room 3.14, next to the kitchen." in bodies

    page.goto(f"{stack.portal_url}/cases/{other['id']}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    context.close()


def test_the_portal_fits_a_phone(stack: Stack, browser: Browser) -> None:
    email = stack.email("phone")
    case = stack.create_case(email=email, title="A rather long case title that must wrap nicely on a small screen")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(request_link_in(page, stack, email))
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.goto(f"{stack.portal_url}/cases/{case['id']}")
    expect(page.get_by_label("Your message")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    context.close()
