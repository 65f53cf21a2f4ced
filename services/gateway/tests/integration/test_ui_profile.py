"""The signed-in agent's profile page in a real Chromium: name, signature, notification settings, SMS number and
API keys, each checked through the API afterwards."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page
from playwright.sync_api import Browser, Dialog, Page, expect

from chassis.testing import ServiceProcess

# `make screenshots` points this at docs/screenshots (the README shows them); tests must not dirty the tree
SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-profile-"))


@pytest.fixture(scope="module")
def page(chromium: Browser, stack: Stack, notifications: ServiceProcess) -> Iterator[Page]:
    with agent_page(chromium, stack) as signed_in:
        signed_in.set_viewport_size({"width": 1400, "height": 1000})
        yield signed_in


@pytest.fixture(scope="module")
def me(api: httpx.Client) -> dict[str, Any]:
    return next(a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == ADMIN_EMAIL)


def _saved(page: Page, message: str) -> None:
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


@pytest.mark.browser
def test_the_account_menu_leads_to_the_profile(page: Page) -> None:
    page.goto("/")
    page.locator("#account-menu").click()
    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    for section in ("Name", "Personal signature", "Notifications", "SMS number", "Push notifications", "Your API keys"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()


@pytest.mark.browser
def test_change_the_name(page: Page, api: httpx.Client, me: dict[str, Any]) -> None:
    page.goto("/profile")
    page.get_by_label("Your name").fill("Ada Lindqvist")
    page.get_by_role("button", name="Save name").click()
    _saved(page, "Your name is saved.")
    expect(page).to_have_url(re.compile(r"/profile#name-section$"))
    expect(page.get_by_label("Your name")).to_have_value("Ada Lindqvist")
    expect(page.locator("#account-menu")).to_have_text("Ada Lindqvist")  # this session knows the new name
    agents = api.get("/api/v1/agents").json()["items"]
    assert next(a for a in agents if a["id"] == me["id"])["name"] == "Ada Lindqvist"


@pytest.mark.browser
def test_set_the_signature_and_see_it_resolved(page: Page, api: httpx.Client, me: dict[str, Any]) -> None:
    page.goto("/profile")
    page.get_by_label("Greeting", exact=True).fill("Hello,")
    page.get_by_label("Signature", exact=True).fill("Ada Lindqvist\nService desk, 2nd line")
    page.get_by_role("button", name="Save signature").click()
    _saved(page, "Your signature is saved.")
    carried = page.get_by_label("The greeting and signature your replies carry")
    expect(carried).to_contain_text("Hello,")
    expect(carried).to_contain_text("Service desk, 2nd line")
    resolved = api.get("/api/v1/signatures/resolve", params={"agent": me["id"]}).json()
    assert resolved["signature"] == "Ada Lindqvist\nService desk, 2nd line"
    assert resolved["greeting"] == "Hello," and resolved["signature_from"] == "personal"


@pytest.mark.browser
def test_turn_a_notification_off(page: Page, api: httpx.Client) -> None:
    before = api.get("/api/v1/notifications/preferences").json()
    assert before["assigned_to_me"]["push"] is True
    page.goto("/profile")
    box = page.get_by_label("A case is assigned to me: Push")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    _saved(page, "Your notification settings are saved.")
    expect(page.get_by_label("A case is assigned to me: Push")).not_to_be_checked()
    after = api.get("/api/v1/notifications/preferences").json()
    assert after["assigned_to_me"]["push"] is False
    # nothing else moved
    assert {k: v for k, v in after.items() if k != "assigned_to_me"} == {
        k: v for k, v in before.items() if k != "assigned_to_me"
    }
    assert {c: on for c, on in after["assigned_to_me"].items() if c != "push"} == {
        c: on for c, on in before["assigned_to_me"].items() if c != "push"
    }


@pytest.mark.browser
def test_set_and_clear_the_sms_number(page: Page, api: httpx.Client) -> None:
    page.goto("/profile")
    phone = page.get_by_label("Mobile number")
    phone.fill("call me maybe")
    page.get_by_role("button", name="Save number").click()
    error = page.locator("#phone-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Not a phone number")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_attribute("aria-describedby", "phone-error")
    expect(phone).to_have_value("call me maybe")  # what the agent typed stays there to correct
    assert api.get("/api/v1/me/sms-number").json()["phone"] is None

    phone.fill("+47 912 34 567")
    page.get_by_role("button", name="Save number").click()
    _saved(page, "Your SMS number is saved.")
    expect(page.locator("#sms-current")).to_contain_text("+4791234567")
    assert api.get("/api/v1/me/sms-number").json()["phone"] == "+4791234567"

    page.get_by_role("button", name="Remove number").click()
    _saved(page, "Your SMS number is removed")
    expect(page.locator("#sms-current")).to_contain_text("No number")
    assert api.get("/api/v1/me/sms-number").json()["phone"] is None


@pytest.mark.browser
def test_create_use_and_revoke_an_own_api_key(page: Page, stack: Stack, me: dict[str, Any]) -> None:
    page.goto("/profile")
    page.get_by_label("Key name").fill("Reporting script")
    page.get_by_label("Change cases").uncheck()
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("Secret").input_value()
    assert secret.startswith("hdk_"), secret
    with stack.client(secret) as script:
        assert script.get("/api/v1/cases").status_code == 200
        refused = script.post("/api/v1/cases", json={"title": "Not allowed"})
        assert refused.status_code == 403, refused.text  # the scope left out
        page.goto("/profile")
        row = page.locator("tr.key").filter(has_text="Reporting script")
        expect(row).not_to_contain_text("never")  # its last use shows
        expect(page.get_by_label("Secret")).to_have_count(0)  # shown once only

        def accept(dialog: Dialog) -> None:
            dialog.accept()

        page.once("dialog", accept)
        row.get_by_role("button", name="Revoke Reporting script").click()
        _saved(page, "The key is revoked")
        expect(page.locator("tr.key").filter(has_text="Reporting script")).to_contain_text("revoked")
        assert script.get("/api/v1/cases").status_code == 401


@pytest.mark.browser
def test_profile_forms_refuse_bad_input_and_a_missing_csrf_token(stack: Stack, api: httpx.Client, page: Page) -> None:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    names_before = sorted(a["name"] for a in api.get("/api/v1/agents").json()["items"])
    keys_before = len(api.get("/api/v1/me/api-keys").json()["items"])
    with httpx.Client(base_url=stack.base_url, cookies=cookies) as c:
        assert c.post("/profile/name", data={"name": "Forged"}).status_code == 403
        assert c.post("/profile/sms", data={"phone": "+4791234567", "csrf_token": "nope"}).status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/profile").text)
        assert token
        empty = c.post("/profile/name", data={"name": "  ", "csrf_token": token.group(1)})
        assert empty.status_code == 422 and 'id="name-error"' in empty.text and "Enter your name." in empty.text
        long = c.post("/profile/name", data={"name": "x" * 201, "csrf_token": token.group(1)})
        assert long.status_code == 422 and "At most 200 characters." in long.text
        no_scope = c.post("/profile/api-keys", data={"name": "Nothing", "csrf_token": token.group(1)})
        assert no_scope.status_code == 422 and 'id="key_scopes-error"' in no_scope.text
    assert sorted(a["name"] for a in api.get("/api/v1/agents").json()["items"]) == names_before
    assert len(api.get("/api/v1/me/api-keys").json()["items"]) == keys_before
    assert api.get("/api/v1/me/sms-number").json()["phone"] is None


@pytest.mark.browser
def test_profile_screenshots(page: Page, chromium: Browser, stack: Stack) -> None:
    page.goto("/profile")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "agent-profile.png"), full_page=True)
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=stack.base_url, is_mobile=True)
    try:
        phone.add_cookies(page.context.cookies())
        mobile = phone.new_page()
        mobile.goto("/profile")
        expect(mobile.get_by_role("heading", name="Your profile")).to_be_visible()
        overflow = mobile.evaluate("document.documentElement.scrollWidth - 390")  # a phone browser zooms out to fit
        assert overflow <= 0, f"the profile scrolls sideways on a phone by {overflow}px"
    finally:
        phone.close()
