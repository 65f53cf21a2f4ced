"""The portal end to end: real cases worker, real portal process, real PostgreSQL, RabbitMQ and Redis."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from portal_testing import PortalClient, Stack, sign_in, wait_for_link

INTERNAL_NOTE = "INTERNAL: customer is on the watch list, do not refund"
AGENT_REPLY = "Hello! We have restarted the router on our side."


@dataclass
class World:
    alice_email: str
    bob_email: str
    alice_case: dict[str, Any]
    bob_case: dict[str, Any]
    alice: PortalClient


@pytest.fixture(scope="module")
def world(stack: Stack) -> Iterator[World]:
    alice_email, bob_email = stack.email("alice"), stack.email("bob")
    alice_case = stack.create_case(email=alice_email, title="Router keeps rebooting", description="Since Monday.")
    bob_case = stack.create_case(email=bob_email, title="Bob's secret invoice question")
    stack.add_message(case_id=alice_case["id"], body=INTERNAL_NOTE, visibility="internal")
    stack.add_message(case_id=alice_case["id"], body=AGENT_REPLY, visibility="public")
    alice = sign_in(stack, alice_email)
    yield World(alice_email, bob_email, alice_case, bob_case, alice)
    alice.close()


def portal_db(stack: Stack) -> psycopg.Connection[Any]:
    return psycopg.connect(stack.portal_db_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def test_health_and_metrics(stack: Stack) -> None:
    health = httpx.get(f"{stack.portal_url}/healthz")
    assert health.status_code == 200
    assert health.json()["checks"] == {"database": "ok", "broker": "ok", "outbox_relay": "ok"}
    metrics = httpx.get(f"{stack.portal_url}/metrics/")
    assert "helpdesk_http_requests_total" in metrics.text


def test_pages_need_sign_in(stack: Stack, world: World) -> None:
    anonymous = stack.client()
    for path in ("/", f"/cases/{world.alice_case['id']}"):
        response = anonymous.http.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    anonymous.close()


def test_magic_link_event_carries_a_link_and_only_its_hash_is_stored(stack: Stack) -> None:
    email = stack.email("erin")
    case = stack.create_case(email=email, title="Printer jam")
    client = stack.client()
    response = client.request_link(email)
    assert response.status_code == 200
    assert "a sign-in link is on its way" in response.text
    payload = wait_for_link(stack, email)
    assert payload["contact_id"] == case["requester"]["id"]
    assert payload["link_url"].startswith(f"{stack.portal_url}/auth/")
    expires = datetime.fromisoformat(payload["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    token = payload["link_url"].rsplit("/", 1)[1]
    with portal_db(stack) as conn:
        rows = conn.execute("SELECT token_hash, contact_id, email, used_at FROM magic_link WHERE email = %s", (email,))
        stored = rows.fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), case["requester"]["id"], email, None)]
    client.close()


def test_sign_in_sets_a_safe_session_cookie(stack: Stack) -> None:
    email = stack.email("frank")
    stack.create_case(email=email, title="VPN drops")
    client = stack.client()
    client.request_link(email)
    redeemed = client.http.get(wait_for_link(stack, email)["link_url"])
    assert redeemed.status_code == 303
    assert redeemed.headers["location"] == "/"
    cookie = redeemed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert redeemed.headers["referrer-policy"] == "no-referrer"
    assert email in client.http.get("/").text
    client.close()


def test_unknown_address_gets_the_same_answer_and_no_event(stack: Stack, world: World) -> None:
    stranger = stack.email("nobody")
    client = stack.client()
    unknown = client.request_link(stranger)
    known = client.request_link(world.alice_email)
    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace(stranger, "X") == known.text.replace(world.alice_email, "X")
    wait_for_link(stack, world.alice_email, count=2)  # the known one did emit: the broker path works
    assert stack.magic_link_events(stranger, settle=1.5) == []
    with portal_db(stack) as conn:
        count = conn.execute("SELECT count(*) FROM magic_link WHERE email = %s", (stranger,)).fetchone()
    assert count == (0,)
    client.close()


def test_my_cases_lists_own_cases_only(world: World) -> None:
    page = world.alice.http.get("/")
    assert page.status_code == 200
    assert "Router keeps rebooting" in page.text
    assert f"/cases/{world.alice_case['id']}" in page.text
    assert "Bob&#39;s secret invoice question" not in page.text
    assert "secret invoice" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_closed_cases_are_listed_apart(stack: Stack, world: World) -> None:
    closed = stack.create_case(email=world.alice_email, title="Old password reset")
    stack.rpc.call(
        "cases",
        "update_case",
        case_id=closed["id"],
        changes={"status": "closed", "assignee_id": stack.agent["id"]},
        expected_version=None,
        actor=stack.agent_actor(),
    )
    page = world.alice.http.get("/").text
    active_part, _, closed_part = page.partition("Resolved and closed")
    assert "Router keeps rebooting" in active_part
    assert "Old password reset" in closed_part


def test_case_page_shows_the_public_conversation_only(world: World) -> None:
    page = world.alice.http.get(f"/cases/{world.alice_case['id']}")
    assert page.status_code == 200
    assert "Router keeps rebooting" in page.text
    assert AGENT_REPLY in page.text
    assert INTERNAL_NOTE not in page.text
    assert "watch list" not in page.text


def test_another_contacts_case_is_a_404_page(world: World) -> None:
    page = world.alice.http.get(f"/cases/{world.bob_case['id']}", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    assert "secret invoice" not in page.text
    assert world.alice.http.get("/cases/999999").status_code == 404
    assert world.alice.http.get("/cases/not-a-number").status_code == 404


@pytest.mark.parametrize("case_id", [str(2**31), str(2**63), str(2**31 - 1), "0", "-1", "99999999999999999999999"])
def test_an_id_no_case_can_have_is_a_404_page_not_an_error(world: World, case_id: str) -> None:
    page = world.alice.http.get(f"/cases/{case_id}", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "Not found" in page.text
    token = world.alice.csrf(f"/cases/{world.alice_case['id']}")
    reply = world.alice.http.post(f"/cases/{case_id}/messages", data={"body": "hello", "csrf_token": token})
    assert reply.status_code == 404


def test_reply_lands_on_the_case(stack: Stack, world: World) -> None:
    case_id = world.alice_case["id"]
    token = world.alice.csrf(f"/cases/{case_id}")
    body = "Thanks, it has been stable since this morning."
    response = world.alice.http.post(f"/cases/{case_id}/messages", data={"body": body, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/cases/{case_id}?sent=1#message-")
    messages = stack.rpc.call("cases", "list_messages", case_id=case_id)
    mine = [m for m in messages if m["body_text"] == body]
    assert len(mine) == 1
    assert mine[0]["author_type"] == "contact"
    assert mine[0]["author_id"] == world.alice_case["requester"]["id"]
    assert mine[0]["visibility"] == "public"
    assert body in world.alice.http.get(f"/cases/{case_id}").text


def test_reply_without_csrf_token_is_refused(stack: Stack, world: World) -> None:
    case_id = world.alice_case["id"]
    before = stack.rpc.call("cases", "list_messages", case_id=case_id)
    response = world.alice.http.post(f"/cases/{case_id}/messages", data={"body": "forged", "csrf_token": "nope"})
    assert response.status_code == 403
    assert stack.rpc.call("cases", "list_messages", case_id=case_id) == before


def test_blank_reply_is_refused_with_a_message(stack: Stack, world: World) -> None:
    case_id = world.alice_case["id"]
    before = stack.rpc.call("cases", "list_messages", case_id=case_id)
    token = world.alice.csrf(f"/cases/{case_id}")
    response = world.alice.http.post(f"/cases/{case_id}/messages", data={"body": "   ", "csrf_token": token})
    assert response.status_code == 422
    assert "Write a message before sending." in response.text
    assert stack.rpc.call("cases", "list_messages", case_id=case_id) == before


def test_reply_to_another_contacts_case_is_refused(stack: Stack, world: World) -> None:
    case_id = world.bob_case["id"]
    before = stack.rpc.call("cases", "list_messages", case_id=case_id)
    token = world.alice.csrf("/")
    response = world.alice.http.post(f"/cases/{case_id}/messages", data={"body": "hijack", "csrf_token": token})
    assert response.status_code == 404
    assert stack.rpc.call("cases", "list_messages", case_id=case_id) == before


def test_a_used_link_is_refused(stack: Stack) -> None:
    email = stack.email("grace")
    stack.create_case(email=email, title="Screen flickers")
    first = stack.client()
    first.request_link(email)
    link = wait_for_link(stack, email)["link_url"]
    assert first.http.get(link).status_code == 303
    second = stack.client()
    again = second.http.get(link)
    assert again.status_code == 400
    assert "expired or was already used" in again.text
    assert second.http.get("/").status_code == 303  # still signed out
    first.close()
    second.close()


def test_an_expired_link_is_refused(stack: Stack) -> None:
    email = stack.email("heidi")
    stack.create_case(email=email, title="Keyboard missing keys")
    client = stack.client()
    client.request_link(email)
    link = wait_for_link(stack, email)["link_url"]
    token_hash = hashlib.sha256(link.rsplit("/", 1)[1].encode()).hexdigest()
    with portal_db(stack) as conn:
        past = datetime.now(UTC) - timedelta(seconds=1)
        conn.execute("UPDATE magic_link SET expires_at = %s WHERE token_hash = %s", (past, token_hash))
    response = client.http.get(link)
    assert response.status_code == 400
    assert "expired or was already used" in response.text
    assert client.http.get("/").status_code == 303
    assert client.http.get("/auth/not-a-real-token").status_code == 400
    client.close()


def test_login_without_csrf_token_is_refused(stack: Stack, world: World) -> None:
    client = stack.client()
    before = len(stack.magic_link_events(world.alice_email))
    response = client.http.post("/login", data={"email": world.alice_email})
    assert response.status_code == 403
    assert len(stack.magic_link_events(world.alice_email, settle=1.0)) == before
    client.close()


def test_invalid_address_is_explained(stack: Stack) -> None:
    client = stack.client()
    token = client.csrf("/login")
    response = client.http.post("/login", data={"email": "not-an-address", "csrf_token": token})
    assert response.status_code == 422
    assert "does not look like an e-mail address" in response.text
    client.close()


def test_links_per_address_are_rate_limited(stack: Stack) -> None:
    email = stack.email("ivan")
    stack.create_case(email=email, title="Mouse double-clicks")
    client = stack.client()
    for _ in range(5):
        assert client.request_link(email).status_code == 200
    limited = client.request_link(email)
    assert limited.status_code == 429
    assert "Please wait" in limited.text
    wait_for_link(stack, email, count=5)
    assert len(stack.magic_link_events(email, settle=1.0)) == 5
    # the limit is per address: unknown addresses are limited the same way (no enumeration)
    stranger = stack.email("ghost")
    statuses = [client.request_link(stranger).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    client.close()


def test_sign_out_ends_the_session(stack: Stack) -> None:
    email = stack.email("judy")
    stack.create_case(email=email, title="Laptop battery")
    client = sign_in(stack, email)
    assert client.http.get("/").status_code == 200
    token = client.csrf("/")
    response = client.http.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.http.get("/").status_code == 303
    client.close()


def test_a_copied_cookie_stops_working_at_sign_out(stack: Stack) -> None:
    """The session lives on the server: signing out ends it for every copy of the cookie."""
    email = stack.email("kari")
    stack.create_case(email=email, title="Monitor flickers")
    client = sign_in(stack, email)
    thief = stack.client()
    thief.http.cookies.update(client.http.cookies)
    assert thief.http.get("/").status_code == 200
    token = client.csrf("/")
    assert client.http.post("/logout", data={"csrf_token": token}).status_code == 303
    stolen = thief.http.get("/")
    assert stolen.status_code == 303 and stolen.headers["location"].startswith("/login")
    client.close()
    thief.close()


def test_json_clients_get_the_shared_error_shape(world: World) -> None:
    response = world.alice.http.get(f"/cases/{world.bob_case['id']}", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
