"""Agent accounts through the whole system: the invitation and the reset link reach the SMTP sink through
notifications, and an agent in Chromium follows them, sets a password and signs in; deactivation refuses the
agent's open session on its next request.

The set-password and reset pages are photographed at 1400 and 390 px (docs/screenshots with
`HELPDESK_SCREENSHOT_DIR`, else a temporary folder).
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from look import mail_to, wait_until
from playwright.sync_api import Browser, Page, expect

from chassis.testing import launched_chromium

SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-accounts-"))
PASSWORD = "violet tractor sings at dawn"
NEW_PASSWORD = "purple kettle hums quietly"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _link(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"https?://\S+/set-password/\S+", body.get_content())
    assert match, "no set-password link in the mail"
    return match.group(0)


def _mail(sink, address: str, subject: str) -> EmailMessage:  # type: ignore[no-untyped-def]
    return wait_until(
        lambda: next((m for m in mail_to(sink, address) if subject in str(m["Subject"])), None),
        timeout=60,
        what=f"'{subject}' mail to {address}",
    )


def _shots(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1400, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_invite_reset_and_deactivate_an_agent(system, chromium: Browser) -> None:  # type: ignore[no-untyped-def]
    sys_, sink = system
    api: httpx.Client = sys_.api()
    email = f"ingrid.{uuid.uuid4().hex[:6]}@example.com"
    created = api.post("/api/v1/agents", json={"email": email, "name": "Ingrid Hansen", "invite": True})
    assert created.status_code == 201, created.text
    agent = created.json()

    invitation = _mail(sink, email, "You are invited")
    assert invitation["Auto-Submitted"] == "auto-generated"
    link = _link(invitation)
    assert link.startswith(sys_.gateway_url)

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=sys_.gateway_url)
    page = context.new_page()
    try:
        # the invitation: choose a password (a weak one is refused next to the form), then sign in with it
        page.goto(link)
        expect(page.get_by_role("heading", name="Welcome to the help desk")).to_be_visible()
        page.get_by_label("New password", exact=True).fill("password2024!")
        page.get_by_label("Repeat the password", exact=True).fill("password2024!")
        page.get_by_role("button", name="Set password").click()
        expect(page.get_by_role("alert")).to_contain_text("too common")
        _shots(page, "set-password")
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Set password").click()
        expect(page).to_have_url(re.compile(r"/login\?email="))
        expect(page.get_by_role("status").first).to_contain_text("Your password is set")
        expect(page.get_by_label("Email")).to_have_value(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        expect(page.locator(".who")).to_have_text("Ingrid Hansen")
        # the link worked once
        page.goto(link)
        expect(page.get_by_role("heading", name="Link already used")).to_be_visible()

        # a reset from the sign-in page, in a second browser
        other = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=sys_.gateway_url)
        reset_page = other.new_page()
        try:
            reset_page.goto("/login")
            reset_page.get_by_role("link", name="Forgot your password?").click()
            expect(reset_page.get_by_role("heading", name="Reset your password")).to_be_visible()
            _shots(reset_page, "password-reset")
            reset_page.get_by_label("Email").fill(email)
            reset_page.get_by_role("button", name="Send the link").click()
            expect(reset_page.get_by_role("heading", name="Check your mail")).to_be_visible()
            reset_link = _link(_mail(sink, email, "Reset your help desk password"))
            reset_page.goto(reset_link)
            expect(reset_page.get_by_role("heading", name="Choose a new password")).to_be_visible()
            reset_page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
            reset_page.get_by_label("Repeat the password", exact=True).fill(NEW_PASSWORD)
            reset_page.get_by_role("button", name="Set password").click()
            expect(reset_page).to_have_url(re.compile(r"/login\?email="))
            _sign_in(reset_page, email, PASSWORD)
            expect(reset_page.get_by_role("alert")).to_contain_text("Wrong email or password")
            _sign_in(reset_page, email, NEW_PASSWORD)
            expect(reset_page.get_by_role("heading", name="Cases")).to_be_visible()
        finally:
            other.close()

        # a new password ended the first browser's session
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        _sign_in(page, email, NEW_PASSWORD)
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()

        # deactivated: the open session is refused on its very next request
        assert api.post(f"/api/v1/agents/{agent['id']}/deactivate").status_code == 200
        page.goto("/dashboard")
        expect(page).to_have_url(re.compile(r"/login\?next=/dashboard"))
        _sign_in(page, email, NEW_PASSWORD)
        expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    finally:
        context.close()
        api.close()
