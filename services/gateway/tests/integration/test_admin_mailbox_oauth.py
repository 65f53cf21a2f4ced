"""Connecting a mailbox with OAuth2 from the admin console: Chromium goes through the (fake) provider's consent
screen and back; the state is checked; the tokens reach the mail gateway and are stored encrypted; dovecot then
lets the mail gateway in with XOAUTH2. Only the provider is fake (the mail gateway's tests/oauth_provider.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack, agent_page, wait_until
from playwright.sync_api import Browser, expect
from sqlalchemy import text
from test_admin_console import SCREENSHOTS, csrf, signed_in

from chassis.db import make_engine, utcnow
from chassis.settings import repo_root
from chassis.testing import ServiceProcess, free_port, pg_database

sys.path.insert(0, str(repo_root() / "services" / "mail-gateway" / "tests"))
from imap_server import Dovecot, dovecot_server
from oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider

USERS = ["desk-oauth", "desk-state", "desk-revoked"]


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as server:
        yield server


@pytest.fixture(scope="module")
def oauth_imap(provider: FakeProvider) -> Iterator[Dovecot]:
    with dovecot_server(dict.fromkeys(USERS, "unused-password"), introspection_url=provider.introspection_url) as d:
        yield d


@pytest.fixture(scope="module")
def mail_db(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mail gateway's worker on the stack's vhost and secret; its database URL (to look at the stored rows)."""
    tmp = Path(tmp_path_factory.mktemp("mail-gateway-oauth"))
    with pg_database("mail_gateway") as db_url:
        worker_ops = free_port()
        env = {
            **os.environ,
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": stack.amqp_uri,
            "HELPDESK_SECRET_KEY": stack.secret_key,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_OPS_PORT": str(worker_ops),
            "MAIL_GATEWAY_IMAP_TIMEOUT": "5",
        }
        for command in ("migrate", "seed"):
            done = subprocess.run(
                [sys.executable, "-m", "mail_gateway", command], env=env, cwd=repo_root(), capture_output=True
            )
            assert done.returncode == 0, done.stderr
        worker = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{worker_ops}/healthz", tmp / "logs")
        try:
            worker.start()
            yield db_url
        finally:
            worker.stop()


@pytest.fixture(scope="module")
def admin_http(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in(stack, ADMIN_EMAIL, stack.admin_password)) as client:
        yield client


def new_mailbox(api: httpx.Client, imap: Dovecot, user: str) -> dict[str, Any]:
    resp = api.post(
        "/api/v1/mailboxes",
        json={
            "address": f"{user}@example.com",
            "name": user,
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_security": "none",
            "imap_user": user,
            "imap_poll_seconds": 1,
            "use_idle": False,
        },
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def custom_form(provider: FakeProvider, **changes: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authorize_url": provider.authorize_url,
        "token_url": provider.token_url,
        "scopes": "imap smtp offline_access",
        **changes,
    }


def consent_url(html: str) -> str:
    """The provider's consent URL the "Opening … sign-in page" interstitial sends the browser to."""
    match = re.search(r'href="([^"]+)" id="consent-link"', html)
    assert match and match.group(1), "no consent link on the page"
    return unescape(match.group(1))


def stored_oauth(db_url: str, mailbox_id: int) -> dict[str, Any] | None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM mailbox_oauth WHERE mailbox_id = :id"), {"id": mailbox_id})
            found = row.mappings().first()
            return dict(found) if found is not None else None
    finally:
        engine.dispose()


def mailbox(api: httpx.Client, mailbox_id: int) -> dict[str, Any]:
    return next(m for m in api.get("/api/v1/mailboxes").json() if m["id"] == mailbox_id)


@pytest.mark.browser
def test_an_admin_connects_a_mailbox_through_the_consent_screen(
    chromium: Browser, stack: Stack, api, mail_db, provider, oauth_imap
):
    mid = "oauth-console-1@customer.test"
    oauth_imap.append(
        "desk-oauth", f"From: kari@customer.test\r\nSubject: Over XOAUTH2\r\nMessage-ID: <{mid}>\r\n\r\nHi\r\n".encode()
    )
    box = new_mailbox(api, oauth_imap, "desk-oauth")
    with agent_page(chromium, stack) as page:
        page.goto(f"/admin/mailboxes/{box['id']}")
        expect(page.get_by_role("button", name="Connect with Microsoft")).to_be_visible()
        page.get_by_text("App registration (client id and secret)").click()
        page.get_by_label("Client (application) id").fill(CLIENT_ID)
        page.get_by_label("Client secret").fill(CLIENT_SECRET)
        page.get_by_text("Another provider").click()
        page.get_by_label("Authorize URL").fill(provider.authorize_url)
        page.get_by_label("Token URL").fill(provider.token_url)
        page.get_by_label("Scopes").fill("imap smtp offline_access")
        # off to the provider's consent screen, which sends the browser back to the callback at once
        page.get_by_role("button", name="Connect with this provider").click()
        expect(page.get_by_text(f"Mailbox {box['address']} is connected with the provider.")).to_be_visible()
        assert page.url.endswith(f"/admin/mailboxes/{box['id']}")
        expect(page.locator("#oauth-status")).to_contain_text("Connected")
        html = page.content()

    row = stored_oauth(mail_db, box["id"])
    assert row is not None and row["status"] == "connected"
    tokens = [t for t, g in provider.access.items() if g.user == "desk-oauth"]
    refresh = [t for t, g in provider.refresh.items() if g.user == "desk-oauth"]
    assert tokens and refresh
    for column in ("access_token", "refresh_token", "client_secret", "code_verifier"):
        value = row[column] or ""
        assert all(t not in value for t in tokens + refresh) and CLIENT_SECRET not in value
    assert row["access_token"].startswith("fernet:") and row["client_secret"].startswith("fernet:")
    assert row["state_sha256"] is None  # used once
    assert CLIENT_SECRET not in html and all(t not in html for t in tokens + refresh)

    # the mail gateway signs in to dovecot with the token: the mail is fetched
    with closing(make_engine(mail_db).connect()) as conn:
        wait_until(
            lambda: conn.execute(text("SELECT 1 FROM inbound_mail WHERE message_id = :m"), {"m": mid}).first(),
            timeout=30,
            what="the mail fetched over XOAUTH2",
        )
    assert "user=<desk-oauth>, method=XOAUTH2" in (oauth_imap.root / "dovecot.log").read_text()
    shown = mailbox(api, box["id"])["oauth"]
    assert shown["status"] == "connected" and shown["client_secret_set"] is True and "access_token" not in shown


def test_an_answer_with_another_state_is_refused_and_changes_nothing(
    stack: Stack, api, admin_http, mail_db, provider, oauth_imap
):
    box = new_mailbox(api, oauth_imap, "desk-state")
    page = f"/admin/mailboxes/{box['id']}"
    token = csrf(admin_http.get(page).text)

    # a form without its CSRF token is refused; a custom provider without a token URL names the field
    assert admin_http.post(f"{page}/oauth", data={"provider": "custom", **custom_form(provider)}).status_code == 403
    bad = admin_http.post(
        f"{page}/oauth", data={"csrf_token": token, "provider": "custom", **custom_form(provider, token_url="")}
    )
    assert bad.status_code == 422 and "needs its token url" in bad.text
    assert CLIENT_SECRET not in bad.text
    assert stored_oauth(mail_db, box["id"]) is None

    started = admin_http.post(
        f"{page}/oauth", data={"csrf_token": token, "provider": "custom", **custom_form(provider)}
    )
    assert started.status_code == 200 and "Opening the provider's sign-in page" in unescape(started.text)
    link = consent_url(started.text)
    assert link.startswith(provider.authorize_url)
    answer = httpx.get(link)  # the provider's consent screen (not following its redirect)
    assert answer.status_code == 302
    callback = httpx.URL(answer.headers["location"])
    assert callback.path == "/admin/mailboxes/oauth/callback"
    code, state = callback.params["code"], callback.params["state"]

    forged = admin_http.get("/admin/mailboxes/oauth/callback", params={"code": code, "state": "forged-" + state})
    assert forged.status_code == 400
    assert "oauth_state_invalid" in forged.text and "Sign-in answer refused" in forged.text
    row = stored_oauth(mail_db, box["id"])
    assert row is not None and row["status"] == "pending" and row["access_token"] is None

    # the genuine answer in another admin's browser (no consent started there) is refused too
    with closing(signed_in(stack, ADMIN_EMAIL, stack.admin_password)) as other:
        elsewhere = other.get("/admin/mailboxes/oauth/callback", params={"code": code, "state": state})
    assert elsewhere.status_code == 400 and "oauth_state_invalid" in elsewhere.text
    # and a refused answer ends the consent in this browser as well: start again
    again = admin_http.get("/admin/mailboxes/oauth/callback", params={"code": code, "state": state})
    assert again.status_code == 400
    assert stored_oauth(mail_db, box["id"])["access_token"] is None  # type: ignore[index]
    assert not any(r.get("code") == code for r in provider.grants("authorization_code"))


@pytest.mark.browser
def test_a_revoked_consent_shows_on_the_mailbox_page(
    chromium: Browser, stack: Stack, api, admin_http, mail_db, provider, oauth_imap
):
    box = new_mailbox(api, oauth_imap, "desk-revoked")
    page_path = f"/admin/mailboxes/{box['id']}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, suffix in ((1400, ""), (390, "-phone")):  # before it is connected: what an admin sees first
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(page_path)
            # a password mailbox keeps its form first; the way to OAuth2 is named on the first screen
            expect(page.get_by_role("link", name="Microsoft 365 or Gmail?")).to_be_in_viewport()
            page.get_by_role("link", name="Microsoft 365 or Gmail?").click()
            expect(page.get_by_role("button", name="Connect with Google")).to_be_in_viewport()
            page.screenshot(path=str(SCREENSHOTS / f"admin-mailbox-connect{suffix}.png"), full_page=False)
    token = csrf(admin_http.get(page_path).text)
    started = admin_http.post(
        f"{page_path}/oauth", data={"csrf_token": token, "provider": "custom", **custom_form(provider)}
    )
    back = httpx.URL(httpx.get(consent_url(started.text)).headers["location"])
    done = admin_http.get(back.path, params=dict(back.params))
    assert done.status_code == 303, done.text

    provider.fail_refresh["desk-revoked"] = "consent revoked"
    engine = make_engine(mail_db)
    with engine.begin() as conn:  # the token expires in a minute: the worker refreshes it now
        conn.execute(
            text("UPDATE mailbox_oauth SET expires_at = :at WHERE mailbox_id = :id"),
            {"at": utcnow() + timedelta(seconds=60), "id": box["id"]},
        )
    engine.dispose()
    failed = wait_until(lambda: (m := mailbox(api, box["id"]))["oauth"]["status"] == "failed" and m, timeout=30)
    assert failed["oauth"]["error"] == "invalid_grant: consent revoked"

    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(page_path)
            alert = page.locator("#oauth-status")
            expect(alert).to_contain_text("invalid_grant: consent revoked")
            expect(page.get_by_role("button", name="Connect with Microsoft")).to_be_visible()
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"the page scrolls sideways at {width} px"
            page.screenshot(path=str(SCREENSHOTS / f"admin-mailbox-oauth{suffix}.png"), full_page=False)
    listed = admin_http.get("/admin/mailboxes").text
    assert "invalid_grant: consent revoked" in listed
