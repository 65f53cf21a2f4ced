"""A mailbox's own SMTP server through the API and the console (decisions 0227-0229): the real gateway, mail
gateway and notifications on one broker, an SMTP server that wants a login, and Chromium for the page."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page
from playwright.sync_api import Browser, expect
from test_admin_console import SCREENSHOTS, csrf, hidden, signed_in

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, free_port

sys.path.insert(0, str(repo_root() / "services" / "notifications" / "tests"))
from notifications_testkit import AuthSink

SMTP_USER, SMTP_PASSWORD = "desk-login", "smtp-secret-77q"


@pytest.fixture(scope="module")
def relay() -> Iterator[AuthSink]:
    server = AuthSink(user=SMTP_USER, password=SMTP_PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_http(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in(stack, ADMIN_EMAIL, stack.admin_password)) as client:
        yield client


def _body(address: str, relay: AuthSink, **changes: Any) -> dict[str, Any]:
    return {
        "address": address,
        "smtp_host": "127.0.0.1",
        "smtp_port": relay.port,
        "smtp_security": "none",
        "smtp_user": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
        **changes,
    }


def test_the_api_keeps_the_smtp_password_secret_and_the_test_mail_names_the_failing_step(
    stack: Stack, api: httpx.Client, mail: dict[str, Any], notifications: ServiceProcess, relay: AuthSink
) -> None:
    address = f"sales-{uuid.uuid4().hex[:4]}@example.com"
    created = api.post("/api/v1/mailboxes", json=_body(address, relay))
    assert created.status_code == 201, created.text
    box = created.json()
    assert SMTP_PASSWORD not in created.text and SMTP_PASSWORD not in api.get("/api/v1/mailboxes").text
    assert (box["smtp_host"], box["smtp_port"], box["smtp_password_set"]) == ("127.0.0.1", relay.port, True)

    sent = api.post(f"/api/v1/mailboxes/{box['id']}/test-mail", json={"to": "admin@customer.example"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["ok"] is True and sent.json()["own_server"] is True
    [message] = relay.wait_for("admin@customer.example")
    assert message["From"].addresses[0].addr_spec == address

    wrong = api.put(f"/api/v1/mailboxes/{box['id']}", json=_body(address, relay, smtp_password="not-it"))
    assert wrong.status_code == 200, wrong.text
    answer = api.post(f"/api/v1/mailboxes/{box['id']}/test-mail", json={"to": "admin@customer.example"}).json()
    assert (answer["ok"], answer["step"]) == (False, "auth"), answer
    closed = api.put(f"/api/v1/mailboxes/{box['id']}", json=_body(address, relay, smtp_port=free_port()))
    assert closed.status_code == 200, closed.text
    answer = api.post(f"/api/v1/mailboxes/{box['id']}/test-mail", json={"to": "admin@customer.example"}).json()
    assert (answer["ok"], answer["step"]) == (False, "connect"), answer

    bad = api.post(f"/api/v1/mailboxes/{box['id']}/test-mail", json={"to": "not an address"})
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    port = api.put(f"/api/v1/mailboxes/{box['id']}", json=_body(address, relay, smtp_port=0))
    assert port.status_code == 422 and port.json()["error"]["code"]


def test_the_console_saves_the_smtp_fields_and_sends_a_test_mail(
    stack: Stack,
    admin_http: httpx.Client,
    api: httpx.Client,
    mail: dict[str, Any],
    notifications: ServiceProcess,
    relay: AuthSink,
) -> None:
    token = csrf(admin_http.get("/admin/mailboxes").text)
    address = f"billing-{uuid.uuid4().hex[:4]}@example.com"
    form = {
        "csrf_token": token,
        "address": address,
        "outsider_reply": "internal",
        "imap_security": "ssl",
        "imap_folder": "INBOX",
        "imap_poll_seconds": "60",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(relay.port),
        "smtp_security": "none",
        "smtp_auth": "password",
        "smtp_user": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
    }
    created = admin_http.post("/admin/mailboxes", data=form)
    assert created.status_code == 303, created.text
    stored = next(m for m in api.get("/api/v1/mailboxes").json() if m["address"] == address)
    page = f"/admin/mailboxes/{stored['id']}"
    html = admin_http.get(page).text
    assert SMTP_PASSWORD not in html and "SMTP password: stored" in html
    assert 'id="f-smtp_password"' in html and 'type="password"' in html

    sent = admin_http.post(f"{page}/test-mail", data={"csrf_token": token, "to": "me@customer.example"})
    assert sent.status_code == 200 and "Test message sent" in sent.text, sent.text
    relay.wait_for("me@customer.example")
    refused = admin_http.post(f"{page}/test-mail", data={"csrf_token": token, "to": "nobody"})
    assert refused.status_code == 422 and "Enter the address" in refused.text
    no_csrf = admin_http.post(f"{page}/test-mail", data={"to": "me@customer.example"})
    assert no_csrf.status_code in (400, 403)

    # a blank password keeps the stored one; a wrong one is named at its step
    saved = admin_http.post(page, data={**form, "version": hidden(html, "version"), "smtp_password": "wrong-one"})
    assert saved.status_code == 303, saved.text
    failed = admin_http.post(f"{page}/test-mail", data={"csrf_token": token, "to": "me@customer.example"})
    assert "Test message failed at: Logging in" in failed.text and "wrong-one" not in failed.text


@pytest.mark.browser
def test_the_mailbox_page_with_its_smtp_fields_fits_a_phone_and_a_desktop(
    chromium: Browser,
    stack: Stack,
    api: httpx.Client,
    mail: dict[str, Any],
    notifications: ServiceProcess,
    relay: AuthSink,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    address = f"shown-{uuid.uuid4().hex[:4]}@example.com"
    mailbox = api.post("/api/v1/mailboxes", json=_body(address, relay, name="Sales desk")).json()
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"/admin/mailboxes/{mailbox['id']}")
            expect(page.get_by_role("heading", name="Sending over SMTP")).to_be_visible()
            page.get_by_label("Send to").fill("me@customer.example")
            page.get_by_role("button", name="Send test mail").click()
            expect(page.locator("#test-mail-result")).to_be_visible()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=str(Path(SCREENSHOTS) / f"admin-mailbox-smtp{suffix}.png"), full_page=True)
            assert overflow <= 0, f"the mailbox page scrolls sideways by {overflow}px at {width}px"
