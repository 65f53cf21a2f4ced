"""The admin console's people, mailboxes, API keys and audit log against the real gateway, cases, mail gateway,
dovecot and PostgreSQL: over HTTP for each change and its errors, in Chromium for one path per area."""

from __future__ import annotations

import re
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
from sqlalchemy import select
from test_admin_console import PASSWORD, SCREENSHOTS, csrf, hidden, signed_in

from chassis.settings import repo_root
from chassis.testing import free_port
from gateway import access
from gateway.db.models import OutboxMessage

# the mail gateway's tests keep the real IMAP server (Debian's dovecot, unprivileged) these tests log in to
sys.path.insert(0, str(repo_root() / "services" / "mail-gateway" / "tests"))
from imap_server import Dovecot, dovecot_server

IMAP_USER, IMAP_PASSWORD = "desk", "imap-secret-9f2"


@pytest.fixture(scope="module")
def admin_http(stack: Stack) -> Iterator[httpx.Client]:
    """The seeded admin, signed in to the agent UI."""
    with closing(signed_in(stack, ADMIN_EMAIL, stack.admin_password)) as client:
        yield client


@pytest.fixture(scope="module")
def imap() -> Iterator[Dovecot]:
    with dovecot_server({IMAP_USER: IMAP_PASSWORD}) as server:
        yield server


def invitation_links(stack: Stack, email: str) -> list[str]:
    """The invitation links the gateway queued for mailing to `email`, oldest first (its outbox)."""
    with stack.db()() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == "agent_invited").order_by(OutboxMessage.id)
        ).all()
    return [r.envelope["payload"]["link_url"] for r in rows if r.envelope["payload"]["email"] == email]


def set_password_from(stack: Stack, link: str, password: str) -> None:
    path = "/" + link.split("/", 3)[3]
    with stack.anonymous() as client:
        token = csrf(client.get(path).text)
        done = client.post(path, data={"password": password, "confirm": password, "csrf_token": token})
        assert done.status_code == 303, done.text


def agent_by_email(api: httpx.Client, email: str) -> dict[str, Any] | None:
    return next((a for a in api.get("/api/v1/agents").json()["items"] if a["email"] == email), None)


def invite(admin_http: httpx.Client, name: str, **extra: str) -> str:
    email = f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.com"
    token = csrf(admin_http.get("/admin/agents").text)
    resp = admin_http.post("/admin/agents", data={"csrf_token": token, "name": name, "email": email, **extra})
    assert resp.status_code == 303, resp.text
    return email


def error_next_to(html: str, field: str) -> str:
    match = re.search(rf'id="f-{field}-help">([^<]+)<', html)
    assert match and f'id="f-{field}"' in html, f"no error next to {field}"
    return match.group(1)


# -- agents ------------------------------------------------------------------------------------------------


def test_an_invited_agent_sets_a_password_and_signs_in(
    stack: Stack, admin_http: httpx.Client, api: httpx.Client, support_group: dict[str, Any]
) -> None:
    email = invite(admin_http, "Ingrid", group_ids=str(support_group["id"]))
    agent = agent_by_email(api, email)
    assert agent is not None and agent["group_ids"] == [support_group["id"]] and agent["is_admin"] is False
    listed = admin_http.get("/admin/agents").text
    assert email in listed and "Invited, not signed up yet" in listed
    [link] = invitation_links(stack, email)
    set_password_from(stack, link, PASSWORD)
    with closing(signed_in(stack, email, PASSWORD)) as ingrid:
        assert ingrid.get("/").status_code == 200
    assert "Password set" in admin_http.get(f"/admin/agents/{agent['id']}").text


def test_an_invitation_with_a_bad_or_taken_email_shows_it_next_to_the_field(
    stack: Stack, admin_http: httpx.Client, api: httpx.Client
) -> None:
    before = api.get("/api/v1/agents").json()["items"]
    token = csrf(admin_http.get("/admin/agents").text)
    bad = admin_http.post("/admin/agents", data={"csrf_token": token, "name": "Typo", "email": "not-an-address"})
    assert bad.status_code == 422
    assert "email address" in error_next_to(bad.text, "email")
    taken = admin_http.post("/admin/agents", data={"csrf_token": token, "name": "Again", "email": ADMIN_EMAIL})
    assert taken.status_code == 422 and "already exists" in error_next_to(taken.text, "email")
    assert api.get("/api/v1/agents").json()["items"] == before


def test_edit_an_agent_and_a_stale_form_is_a_conflict(admin_http: httpx.Client, api: httpx.Client) -> None:
    email = invite(admin_http, "Petra")
    agent = agent_by_email(api, email)
    assert agent is not None
    form = admin_http.get(f"/admin/agents/{agent['id']}").text
    token, version = csrf(form), hidden(form, "version")
    saved = admin_http.post(
        f"/admin/agents/{agent['id']}",
        data={"csrf_token": token, "version": version, "name": "Petra Lund", "role": "admin"},
    )
    assert saved.status_code == 303, saved.text
    stored = agent_by_email(api, email)
    assert stored is not None and (stored["name"], stored["role"]) == ("Petra Lund", "admin")
    stale = admin_http.post(
        f"/admin/agents/{agent['id']}",
        data={"csrf_token": token, "version": version, "name": "Petra Old", "role": "agent"},
    )
    assert stale.status_code == 409 and "Another admin changed this agent" in stale.text
    stored = agent_by_email(api, email)
    assert stored is not None and stored["name"] == "Petra Lund"
    blank = admin_http.post(
        f"/admin/agents/{agent['id']}",
        data={"csrf_token": token, "version": hidden(stale.text, "version"), "name": "x" * 201, "role": "admin"},
    )
    assert blank.status_code == 422 and error_next_to(blank.text, "name")


def test_deactivation_refuses_the_open_session_and_reactivation_lets_them_back(
    stack: Stack, admin_http: httpx.Client, api: httpx.Client
) -> None:
    email = invite(admin_http, "Dag")
    agent = agent_by_email(api, email)
    assert agent is not None
    set_password_from(stack, invitation_links(stack, email)[-1], PASSWORD)
    with closing(signed_in(stack, email, PASSWORD)) as dag:
        assert dag.get("/").status_code == 200
        token = csrf(admin_http.get(f"/admin/agents/{agent['id']}").text)
        done = admin_http.post(f"/admin/agents/{agent['id']}/deactivate", data={"csrf_token": token})
        assert done.status_code == 303
        assert dag.get("/").status_code == 303  # the open session is refused on its next request
    page = admin_http.get(f"/admin/agents/{agent['id']}").text
    assert "Deactivated" in page and "Reactivate" in page
    listed = admin_http.get("/admin/agents").text
    assert email in listed  # deactivated agents stay listed
    refused = admin_http.post(f"/admin/agents/{agent['id']}/invite", data={"csrf_token": token})
    assert refused.status_code == 409 and "reactivate them" in refused.text
    back = admin_http.post(f"/admin/agents/{agent['id']}/reactivate", data={"csrf_token": token})
    assert back.status_code == 303
    with closing(signed_in(stack, email, PASSWORD)) as again:
        assert again.get("/").status_code == 200


def test_an_admin_cannot_deactivate_themselves(admin_http: httpx.Client, admin_agent: dict[str, Any]) -> None:
    token = csrf(admin_http.get(f"/admin/agents/{admin_agent['id']}").text)
    resp = admin_http.post(f"/admin/agents/{admin_agent['id']}/deactivate", data={"csrf_token": token})
    assert resp.status_code == 409 and "You cannot deactivate yourself" in resp.text
    assert admin_http.get("/admin").status_code == 200  # still signed in, still admin


def test_resend_invitation_and_end_sessions(stack: Stack, admin_http: httpx.Client, api: httpx.Client) -> None:
    email = invite(admin_http, "Rune")
    agent = agent_by_email(api, email)
    assert agent is not None
    token = csrf(admin_http.get(f"/admin/agents/{agent['id']}").text)
    assert admin_http.post(f"/admin/agents/{agent['id']}/invite", data={"csrf_token": token}).status_code == 303
    first, second = invitation_links(stack, email)
    set_password_from(stack, second, PASSWORD)
    with closing(signed_in(stack, email, PASSWORD)) as rune:
        ended = admin_http.post(f"/admin/agents/{agent['id']}/sessions", data={"csrf_token": token})
        assert ended.status_code == 303
        assert rune.get("/").status_code == 303
    assert first != second


def test_agents_pages_need_csrf(admin_http: httpx.Client, api: httpx.Client) -> None:
    before = api.get("/api/v1/agents").json()["items"]
    resp = admin_http.post("/admin/agents", data={"name": "Forged", "email": "forged@example.com"})
    assert resp.status_code == 403
    assert api.get("/api/v1/agents").json()["items"] == before


# -- groups ------------------------------------------------------------------------------------------------


def test_groups_create_edit_and_a_group_in_use_is_not_deleted(
    admin_http: httpx.Client, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    token = csrf(admin_http.get("/admin/groups").text)
    empty = admin_http.post("/admin/groups", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 422 and error_next_to(empty.text, "name")
    name = f"Billing {uuid.uuid4().hex[:4]}"
    made = admin_http.post(
        "/admin/groups",
        data={"csrf_token": token, "name": name, "member_ids": str(admin_agent["id"]), "restricted": "1"},
    )
    assert made.status_code == 303, made.text
    group = next(g for g in api.get("/api/v1/groups").json()["items"] if g["name"] == name)
    detail = api.get(f"/api/v1/groups/{group['id']}").json()
    assert detail["member_ids"] == [admin_agent["id"]] and detail["restricted"] is True
    form = admin_http.get(f"/admin/groups/{group['id']}").text
    renamed = admin_http.post(
        f"/admin/groups/{group['id']}",
        data={"csrf_token": token, "version": hidden(form, "version"), "name": name + " EU"},
    )
    assert renamed.status_code == 303
    detail = api.get(f"/api/v1/groups/{group['id']}").json()
    assert (detail["name"], detail["member_ids"], detail["restricted"]) == (name + " EU", [], False)
    case = api.post("/api/v1/cases", json={"title": "Invoice twice", "group_id": group["id"]})
    assert case.status_code == 201, case.text
    form = admin_http.get(f"/admin/groups/{group['id']}").text
    refused = admin_http.post(
        f"/admin/groups/{group['id']}/delete", data={"csrf_token": token, "version": hidden(form, "version")}
    )
    assert refused.status_code == 422
    assert "still used by 1 cases" in refused.text and 'class="alert alert-danger"' in refused.text
    assert api.get(f"/api/v1/groups/{group['id']}").status_code == 200


# -- mailboxes ---------------------------------------------------------------------------------------------


def mailbox_form(imap: Dovecot, **changes: str | None) -> dict[str, str]:
    """The mailbox form for the test dovecot; a change to None leaves the field out (an unticked checkbox)."""
    form = {
        "name": "Desk",
        "default_group": "Support",
        "active": "1",
        "imap_host": imap.host,
        "imap_port": str(imap.port),
        "imap_security": "none",
        "imap_user": IMAP_USER,
        "imap_folder": "INBOX",
        "imap_poll_seconds": "60",
        **changes,
    }
    return {k: v for k, v in form.items() if v is not None}


def test_a_mailbox_is_configured_and_verify_names_the_failing_step(
    stack: Stack, admin_http: httpx.Client, api: httpx.Client, mail: dict[str, Any], imap: Dovecot
) -> None:
    token = csrf(admin_http.get("/admin/mailboxes").text)
    address = f"desk-{uuid.uuid4().hex[:4]}@example.com"
    bad_port = admin_http.post(
        "/admin/mailboxes", data={"csrf_token": token, "address": address, **mailbox_form(imap, imap_port="imap")}
    )
    assert bad_port.status_code == 422 and "1 to 65535" in error_next_to(bad_port.text, "imap_port")
    assert address not in api.get("/api/v1/mailboxes").text
    wrong = "not-the-password"
    created = admin_http.post(
        "/admin/mailboxes",
        data={"csrf_token": token, "address": address, **mailbox_form(imap, imap_password=wrong, active=None)},
    )
    assert created.status_code == 303, created.text
    stored = next(m for m in api.get("/api/v1/mailboxes").json() if m["address"] == address)
    assert (stored["default_group"], stored["imap_password_set"], stored["active"]) == ("Support", True, False)
    page = f"/admin/mailboxes/{stored['id']}"
    form = admin_http.get(page).text
    assert wrong not in form
    version = hidden(form, "version")

    # the stored (wrong) password: the login step fails, and the page says so
    failed = admin_http.post(f"{page}/verify", data={"csrf_token": token, "address": address, **mailbox_form(imap)})
    assert failed.status_code == 200
    assert "Verification failed at: Logging in" in failed.text and wrong not in failed.text
    closed = admin_http.post(
        f"{page}/verify",
        data={"csrf_token": token, "address": address, **mailbox_form(imap, imap_port=str(free_port()))},
    )
    assert "Verification failed at: Connecting to the server" in closed.text
    # the right password, typed in the form, before saving it
    works = admin_http.post(
        f"{page}/verify",
        data={"csrf_token": token, "address": address, **mailbox_form(imap, imap_password=IMAP_PASSWORD)},
    )
    assert "Connection works" in works.text and IMAP_PASSWORD not in works.text
    saved = admin_http.post(
        page,
        data={
            "csrf_token": token,
            "version": version,
            "address": address,
            **mailbox_form(imap, imap_password=IMAP_PASSWORD, outsider_reply="public_follower"),
        },
    )
    assert saved.status_code == 303, saved.text
    stored = next(m for m in api.get("/api/v1/mailboxes").json() if m["address"] == address)
    assert stored["outsider_reply"] == "public_follower"
    assert 'value="public_follower" selected' in admin_http.get(page).text
    # a blank password keeps the stored one: verify with the stored settings now succeeds
    again = admin_http.post(f"{page}/verify", data={"csrf_token": token, "address": address, **mailbox_form(imap)})
    assert "Connection works" in again.text
    check = api.post(f"/api/v1/mailboxes/{stored['id']}/verify").json()
    assert check["ok"] is True


# -- API keys ----------------------------------------------------------------------------------------------


def test_a_key_is_shown_once_works_and_stops_working_when_revoked(
    stack: Stack, admin_http: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    token = csrf(admin_http.get("/admin/api-keys").text)
    nameless = admin_http.post("/admin/api-keys", data={"csrf_token": token, "name": "", "scopes": "cases:read"})
    assert nameless.status_code == 422 and "name" in error_next_to(nameless.text, "name")
    no_scope = admin_http.post("/admin/api-keys", data={"csrf_token": token, "name": "Nothing"})
    assert no_scope.status_code == 422 and "may do" in error_next_to(no_scope.text, "scopes")
    name = f"Reporting {uuid.uuid4().hex[:4]}"
    created = admin_http.post(
        "/admin/api-keys",
        data={"csrf_token": token, "name": name, "scopes": ["directory:read"], "agent_id": str(admin_agent["id"])},
    )
    assert created.status_code == 201, created.text
    match = re.search(r'id="new-secret" type="text" readonly value="([^"]+)"', created.text)
    assert match, "the secret is not on the answer page"
    secret = match.group(1)
    assert secret not in admin_http.get("/admin/api-keys").text  # never again
    with stack.client(secret) as key:
        assert key.get("/api/v1/groups").status_code == 200
        assert key.get("/api/v1/cases").status_code == 403  # only the scopes it was given
        key_id = next(k["id"] for k in stack.client().get("/api/v1/api-keys").json()["items"] if k["name"] == name)
        revoked = admin_http.post(f"/admin/api-keys/{key_id}/revoke", data={"csrf_token": token})
        assert revoked.status_code == 303
        assert key.get("/api/v1/groups").status_code == 401
    listed = admin_http.get("/admin/api-keys").text
    assert name in listed and "Revoked" in listed


# -- audit log ---------------------------------------------------------------------------------------------


def test_the_audit_log_shows_console_changes_as_old_and_new(
    admin_http: httpx.Client, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    email = invite(admin_http, "Audun")
    agent = agent_by_email(api, email)
    assert agent is not None
    form = admin_http.get(f"/admin/agents/{agent['id']}").text
    admin_http.post(
        f"/admin/agents/{agent['id']}",
        data={"csrf_token": csrf(form), "version": hidden(form, "version"), "name": "Audun Berg", "role": "agent"},
    )
    page = admin_http.get("/admin/audit", params={"object_type": "agent", "object_id": str(agent["id"])})
    assert page.status_code == 200
    assert "Update agent" in page.text and "Invite agent" in page.text
    assert re.search(r"name:</dt>\s*<dd[^>]*><del[^>]*>Audun</del> → <ins>Audun Berg</ins>", page.text)
    assert page.text.index("Update agent") < page.text.index("Invite agent")  # newest first
    mine = admin_http.get("/admin/audit", params={"actor": str(admin_agent["id"]), "since": "2000-01-01"}).text
    assert "Audun Berg" in mine
    none = admin_http.get("/admin/audit", params={"object_type": "agent", "until": "2000-01-01"}).text
    assert "No change matches these filters" in none
    bad = admin_http.get("/admin/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "2026-12-07" in error_next_to(bad.text, "since")


def test_every_page_is_for_admins_only(stack: Stack, api: httpx.Client) -> None:
    email = f"plain-{uuid.uuid4().hex[:6]}@example.com"
    assert api.post("/api/v1/agents", json={"email": email, "name": "Plain"}).status_code == 201
    access.set_agent_password(factory=stack.db(), email=email, password=PASSWORD)
    with closing(signed_in(stack, email, PASSWORD)) as plain:
        for path in ("/admin/agents", "/admin/groups", "/admin/mailboxes", "/admin/api-keys", "/admin/audit"):
            assert plain.get(path).status_code == 403, path


# -- in the browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_invite_an_agent_in_the_browser(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    email = f"brita.{uuid.uuid4().hex[:6]}@example.com"
    with agent_page(chromium, stack) as page:
        page.goto("/admin")
        page.get_by_role("link", name="Agents").first.click()
        page.get_by_label("Name").fill("Brita")
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"Brita is invited: a link to choose a password is on its way to {email}"
        )
        expect(page.get_by_role("cell", name=re.compile(email))).to_be_visible()
    assert invitation_links(stack, email)


@pytest.mark.browser
def test_verify_a_mailbox_and_create_a_key_in_the_browser(
    chromium: Browser, stack: Stack, mail: dict[str, Any], imap: Dovecot
) -> None:
    address = f"web-{uuid.uuid4().hex[:4]}@example.com"
    with agent_page(chromium, stack) as page:
        page.goto("/admin/mailboxes")
        page.get_by_label("Address").fill(address)
        page.get_by_label("IMAP server").fill(imap.host)
        page.get_by_label("Port", exact=True).fill(str(imap.port))  # "SMTP port" is another field
        page.select_option("#f-imap_security", "none")  # the select behind the Tom Select picker
        page.get_by_label("User name", exact=True).fill(IMAP_USER)
        page.get_by_label("Password", exact=True).fill("wrong-password")
        page.get_by_role("button", name="Add mailbox").click()
        expect(page.get_by_role("heading", name=f"Edit mailbox “{address}”")).to_be_visible()
        page.get_by_role("button", name="Verify connection").click()
        expect(page.locator("#verify-result")).to_contain_text("Verification failed at: Logging in")

        page.goto("/admin/api-keys")
        page.get_by_label("Name", exact=True).fill("Browser key")
        page.get_by_role("button", name="Create key").click()
        secret = page.get_by_label("The key").input_value()
        assert len(secret) > 20
        page.goto("/admin/api-keys")
        assert secret not in page.content()


def wider(page: Any) -> list[str]:
    """The innermost elements that reach past the right edge of the window (what makes a page scroll sideways)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))"""
    )
    return found


@pytest.mark.browser
def test_the_pages_fit_a_phone_and_a_desktop(chromium: Browser, stack: Stack, mail: dict[str, Any]) -> None:
    """Each page at 1400 px and 390 px: nothing scrolls sideways (screenshots to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mailbox = stack.client().get("/api/v1/mailboxes").json()[0]
    agent = stack.client().get("/api/v1/agents").json()["items"][0]
    paths = {
        "admin-agents": "/admin/agents",
        "admin-agent": f"/admin/agents/{agent['id']}",
        "admin-groups": "/admin/groups",
        "admin-mailboxes": "/admin/mailboxes",
        "admin-mailbox": f"/admin/mailboxes/{mailbox['id']}",
        "admin-api-keys": "/admin/api-keys",
        "admin-audit": "/admin/audit",
    }
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in paths.items():
                page.goto(path)
                expect(page.get_by_role("main")).to_be_visible()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}{suffix}.png"), full_page=False)
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px: {wider(page)}"
