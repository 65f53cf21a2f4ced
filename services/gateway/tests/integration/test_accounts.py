"""Agent accounts over HTTP against the real gateway, cases, PostgreSQL and Redis: invitations, password reset,
deactivation, the sign-in throttle and server-side sessions (a copied cookie stops working at sign-out).

The mailed link is read from the gateway's outbox here; the end-to-end test follows it through the SMTP sink.
"""

from __future__ import annotations

import re
import uuid
from contextlib import closing
from datetime import timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack
from sqlalchemy import select

from chassis.db import utcnow
from gateway import access, accounts
from gateway.db.models import OutboxMessage
from gateway.domain.access_links import Purpose

GOOD_PASSWORD = "violet tractor sings at dawn"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _links(stack: Stack, event_type: str, email: str) -> list[str]:
    """The links the gateway queued for mailing to `email`, oldest first."""
    with stack.db()() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)
        ).all()
    return [r.envelope["payload"]["link_url"] for r in rows if r.envelope["payload"]["email"] == email]


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _sign_in(stack: Stack, email: str, password: str) -> tuple[httpx.Client, httpx.Response]:
    client = stack.anonymous()
    token = _csrf(client.get("/login").text)
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    return client, resp


def _set_password(client: httpx.Client, path: str, password: str, confirm: str | None = None) -> httpx.Response:
    token = _csrf(client.get(path).text)
    form = {"password": password, "confirm": password if confirm is None else confirm, "csrf_token": token}
    return client.post(path, data=form)


def _invite(api: httpx.Client, name: str) -> dict[str, Any]:
    email = f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.com"
    resp = api.post("/api/v1/agents", json={"email": email, "name": name, "invite": True})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _agent_with_password(stack: Stack, api: httpx.Client, name: str) -> dict[str, Any]:
    agent = _invite(api, name)
    [link] = _links(stack, "agent_invited", agent["email"])
    with stack.anonymous() as client:
        assert _set_password(client, _path(link), GOOD_PASSWORD).status_code == 303
    return agent


def test_an_invited_agent_sets_a_password_once_and_signs_in(stack: Stack, api: httpx.Client) -> None:
    agent = _invite(api, "Ingrid")
    [link] = _links(stack, "agent_invited", agent["email"])
    assert link.startswith(stack.base_url + "/set-password/")
    path = _path(link)
    with stack.anonymous() as client:
        page = client.get(path)
        assert page.status_code == 200 and "Welcome to the help desk" in page.text and agent["email"] in page.text
        for weak, reason in (("short", "at least 12"), ("password2024!", "too common")):
            resp = _set_password(client, path, weak)
            assert resp.status_code == 422 and reason in resp.text
        assert _set_password(client, path, GOOD_PASSWORD, "something else entirely").status_code == 422
        done = _set_password(client, path, GOOD_PASSWORD)
        assert done.status_code == 303 and done.headers["location"].startswith("/login?email=")
        used = client.get(path)
        assert used.status_code == 410 and "already been used" in used.text
    signed_in, resp = _sign_in(stack, agent["email"], GOOD_PASSWORD)
    with closing(signed_in):
        assert resp.status_code == 303
        assert signed_in.get("/").status_code == 200


def test_invitation_errors_are_4xx_with_a_code(stack: Stack, api: httpx.Client, partner: httpx.Client) -> None:
    no_email = api.post("/api/v1/agents", json={"name": "Nameless", "invite": True})
    assert no_email.status_code == 422 and no_email.json()["error"]["code"] == "validation_error"
    strict = api.post("/api/v1/agents", json={"email": "x@example.com", "name": "X", "invite": "yes please"})
    assert strict.status_code == 422
    # today's body without `invite` still adds an agent, and mails nothing
    plain = api.post("/api/v1/agents", json={"email": f"plain.{uuid.uuid4().hex[:6]}@example.com", "name": "Plain"})
    assert plain.status_code == 201 and _links(stack, "agent_invited", plain.json()["email"]) == []
    refused = partner.post("/api/v1/agents", json={"email": "y@example.com", "name": "Y", "invite": True})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden"


def test_dead_links_get_a_clear_page(stack: Stack, api: httpx.Client) -> None:
    agent = _invite(api, "Erik")
    with stack.anonymous() as client:
        assert client.get("/set-password/not-a-token").status_code == 404
        forged = client.get("/set-password/" + "A" * 43 + "." + "B" * 22)
        assert forged.status_code == 404 and "not valid" in forged.text
        # issued 25 hours ago: an invitation lasts 24
        accounts.issue_link(
            factory=stack.db(),
            purpose=Purpose.INVITE,
            email=agent["email"],
            agent_id=agent["id"],
            name="Erik",
            secret=stack.secret_key,
            public_url=stack.base_url,
            now=utcnow() - timedelta(hours=25),
        )
        expired = client.get(_path(_links(stack, "agent_invited", agent["email"])[-1]))
        assert expired.status_code == 410 and "expired" in expired.text
        # a new invitation works; it voided the earlier one
        assert api.post(f"/api/v1/agents/{agent['id']}/invite").status_code == 202
        first, newest = (
            _links(stack, "agent_invited", agent["email"])[0],
            _links(stack, "agent_invited", agent["email"])[-1],
        )
        assert client.get(_path(newest)).status_code == 200
        assert client.get(_path(first)).status_code == 410


def test_password_reset_never_tells_who_has_an_account(stack: Stack, api: httpx.Client) -> None:
    agent = _agent_with_password(stack, api, "Sara")
    with stack.anonymous() as client:
        answers = []
        for email in (agent["email"], f"ghost.{uuid.uuid4().hex[:6]}@example.com"):
            token = _csrf(client.get("/password-reset").text)
            resp = client.post("/password-reset", data={"email": email, "csrf_token": token})
            assert resp.status_code == 200
            answers.append(resp.text.replace(email, "EMAIL"))
        assert answers[0] == answers[1]
        [link] = _links(stack, "agent_password_reset_requested", agent["email"])
        new_password = "purple kettle hums quietly"
        assert _set_password(client, _path(link), new_password).status_code == 303
    _, old = _sign_in(stack, agent["email"], GOOD_PASSWORD)
    assert old.status_code == 401
    signed_in, new = _sign_in(stack, agent["email"], new_password)
    signed_in.close()
    assert new.status_code == 303


def test_password_reset_requests_are_throttled(stack: Stack) -> None:
    email = f"someone.{uuid.uuid4().hex[:6]}@example.com"
    with stack.anonymous() as client:
        codes = []
        for _ in range(4):
            token = _csrf(client.get("/password-reset").text)
            codes.append(client.post("/password-reset", data={"email": email, "csrf_token": token}).status_code)
        assert codes == [200, 200, 200, 429]


def test_twelve_wrong_passwords_lock_the_account_for_a_while(stack: Stack, api: httpx.Client) -> None:
    agent = _agent_with_password(stack, api, "Ola")
    codes = []
    for _ in range(12):
        client, resp = _sign_in(stack, agent["email"], "not the right password")
        client.close()
        codes.append(resp.status_code)
    assert codes == [401] * 10 + [429] * 2
    client, right = _sign_in(stack, agent["email"], GOOD_PASSWORD)
    client.close()
    assert right.status_code == 429
    assert "Too many attempts, try again in 15 minutes" in right.text
    assert int(right.headers["retry-after"]) > 0
    # another account from the same address is not locked by it
    client, admin = _sign_in(stack, ADMIN_EMAIL, stack.admin_password)
    client.close()
    assert admin.status_code == 303


def test_sign_out_ends_the_session_on_the_server(stack: Stack) -> None:
    agent, resp = _sign_in(stack, ADMIN_EMAIL, stack.admin_password)
    assert resp.status_code == 303
    with closing(agent), stack.anonymous() as thief:
        thief.cookies.update(agent.cookies)  # a copy of the cookie, taken before sign-out
        assert thief.get("/").status_code == 200
        token = _csrf(agent.get("/").text)
        assert agent.post("/logout", data={"csrf_token": token}).status_code == 303
        assert agent.get("/").status_code == 303
        stolen = thief.get("/")
        assert stolen.status_code == 303 and stolen.headers["location"].startswith("/login")


def test_sign_out_everywhere_ends_every_session_of_the_agent(stack: Stack) -> None:
    laptop, _ = _sign_in(stack, ADMIN_EMAIL, stack.admin_password)
    phone, _ = _sign_in(stack, ADMIN_EMAIL, stack.admin_password)
    with closing(laptop), closing(phone):
        assert phone.get("/").status_code == 200
        token = _csrf(laptop.get("/").text)
        assert laptop.post("/logout/everywhere", data={"csrf_token": token}).status_code == 303
        assert laptop.get("/").status_code == 303
        assert phone.get("/").status_code == 303


def test_deactivation_ends_sessions_and_keys_at_once_and_reactivation_restores_them(
    stack: Stack, api: httpx.Client
) -> None:
    agent = _agent_with_password(stack, api, "Nora")
    _, secret = access.create_api_key(factory=stack.db(), name="nora's key", agent_id=agent["id"], scopes=["*"])
    browser, resp = _sign_in(stack, agent["email"], GOOD_PASSWORD)
    with closing(browser), stack.client(secret) as key:
        assert resp.status_code == 303 and browser.get("/").status_code == 200
        assert key.get("/api/v1/groups").status_code == 200
        done = api.post(f"/api/v1/agents/{agent['id']}/deactivate")
        assert done.status_code == 200 and done.json()["active"] is False
        assert browser.get("/").status_code == 303  # the open session, on its next request
        assert key.get("/api/v1/groups").status_code == 401
        _, again = _sign_in(stack, agent["email"], GOOD_PASSWORD)
        assert again.status_code == 401
        assert agent["id"] not in [a["id"] for a in api.get("/api/v1/agents").json()["items"]]
        # an invitation to a deactivated agent is refused
        invited = api.post(f"/api/v1/agents/{agent['id']}/invite")
        assert invited.status_code == 409 and invited.json()["error"]["code"] == "agent_deactivated"
        back = api.post(f"/api/v1/agents/{agent['id']}/reactivate")
        assert back.status_code == 200 and back.json()["active"] is True
        assert key.get("/api/v1/groups").status_code == 200
        signed_in, resp = _sign_in(stack, agent["email"], GOOD_PASSWORD)
        signed_in.close()
        assert resp.status_code == 303


def test_deactivation_refuses_yourself_unknown_agents_and_non_admins(
    stack: Stack, api: httpx.Client, admin_agent: dict[str, Any], partner: httpx.Client
) -> None:
    self_ = api.post(f"/api/v1/agents/{admin_agent['id']}/deactivate")
    assert self_.status_code == 409 and self_.json()["error"]["code"] == "deactivate_self"
    assert api.post("/api/v1/agents/987654/deactivate").status_code == 404
    assert api.post(f"/api/v1/agents/{2**63}/deactivate").status_code == 422
    assert partner.post(f"/api/v1/agents/{admin_agent['id']}/deactivate").status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/agents/1/reactivate", "/api/v1/agents/1/invite"])
def test_account_routes_need_an_admin_key(partner: httpx.Client, path: str) -> None:
    assert partner.post(path).status_code == 403
