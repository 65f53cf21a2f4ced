"""The REST API v1 against the real cases and reports workers, through `python -m gateway web`."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import ADMIN_EMAIL, Stack, wait_until
from sqlalchemy import select, update

from chassis.testing import EventCollector
from gateway import access
from gateway.db.models import AgentCredential, ApiKey
from gateway.domain import api_keys


def _error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def _new_case(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Case {uuid.uuid4().hex[:8]}", "requester_email": "kari@example.org", **fields}
    resp = api.post("/api/v1/cases", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


# -- documents and auth ------------------------------------------------------------------------


def test_openapi_document_lists_the_paths(stack: Stack) -> None:
    with stack.anonymous() as client:
        doc = client.get("/api/v1/openapi.json")
        assert doc.status_code == 200
        paths = doc.json()["paths"]
        for path in (
            "/api/v1/cases",
            "/api/v1/cases/{case_id}",
            "/api/v1/cases/{case_id}/messages",
            "/api/v1/groups",
            "/api/v1/agents",
            "/api/v1/reports/open-cases",
        ):
            assert path in paths
        assert {"get", "post"} <= set(paths["/api/v1/cases"])
        assert "patch" in paths["/api/v1/cases/{case_id}"]
        assert not any(p.startswith("/login") or p == "/" for p in paths), "UI pages are not part of the API"
        assert "HTTPBearer" in doc.json()["components"]["securitySchemes"]
        docs = client.get("/api/v1/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_requests_without_a_valid_key_are_401(stack: Stack) -> None:
    with stack.anonymous() as client:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {stack.api_key}"}):
            resp = client.get("/api/v1/cases", headers=headers)
            _error(resp, 401, "unauthorized")
            assert resp.headers["www-authenticate"] == "Bearer"
        _error(client.post("/api/v1/cases", json={"title": "x"}), 401, "unauthorized")


def test_revoked_key_stops_working(stack: Stack) -> None:
    """Revoked elsewhere (here: in the database, as another gateway process would): refused within the
    cache bound of decision 0134 (1 s), never later."""
    factory = stack.db()
    key_id, secret = access.create_api_key(factory=factory, name="short-lived")
    with stack.client(secret) as client:
        assert client.get("/api/v1/cases").status_code == 200  # now remembered by the gateway
        assert access.revoke_api_key(factory=factory, key_id=key_id)
        revoked_at = time.monotonic()
        while True:
            sent_at = time.monotonic()
            if client.get("/api/v1/cases?limit=1").status_code == 401:
                break
            assert sent_at - revoked_at < 1.0 + 0.2, "a revoked key still works after the 1 s bound"
            time.sleep(0.05)
        time.sleep(1.1)  # and it stays refused, by every route
        _error(client.get("/api/v1/cases"), 401, "unauthorized")
        _error(client.get("/api/v1/cases?limit=1"), 401, "unauthorized")


def test_key_revoked_through_the_gateway_stops_at_once(stack: Stack) -> None:
    factory = stack.db()
    key_id, secret = access.create_api_key(factory=factory, name="revoked by an admin", scopes=["cases:read"])
    with stack.client(secret) as client, stack.client() as admin:
        for _ in range(3):  # remembered, and used from the cache
            assert client.get("/api/v1/cases?limit=1").status_code == 200
        _error(client.delete(f"/api/v1/api-keys/{key_id}"), 403, "role_forbidden")  # not an admin key
        assert admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 204
        _error(client.get("/api/v1/cases?limit=1"), 401, "unauthorized")  # the next request: refused
        assert admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 204  # again: a no-op
        _error(admin.delete("/api/v1/api-keys/999999"), 404, "not_found")


def test_the_last_admin_credential_cannot_be_revoked(stack: Stack) -> None:
    """An admin key may revoke itself or another while an admin way in is left (another live admin key, or an
    active admin agent with a password, decision 0191); the last one answers 409 and stays."""
    factory = stack.db()
    with factory() as session, session.begin():  # the world to put back: live admin keys, the admin's password
        live = list(session.scalars(select(ApiKey.id).where(ApiKey.is_admin.is_(True), ApiKey.revoked_at.is_(None))))
        session.execute(update(ApiKey).where(ApiKey.id.in_(live)).values(revoked_at=datetime.now(UTC)))
        credential = session.scalar(select(AgentCredential).where(AgentCredential.email == ADMIN_EMAIL))
        assert credential is not None
        saved = (credential.email, credential.password_hash)
        session.delete(credential)
    try:
        last_id, last_secret = access.create_api_key(factory=factory, name="the last admin key", is_admin=True)
        other_id, _ = access.create_api_key(factory=factory, name="another admin key", is_admin=True)
        with stack.client(last_secret) as last:
            assert last.delete(f"/api/v1/api-keys/{other_id}").status_code == 204  # another one was left
            body = _error(last.delete(f"/api/v1/api-keys/{last_id}"), 409, "last_admin_credential")
            assert "last admin credential" in body["message"]
            assert last.get("/api/v1/cases?limit=1").status_code == 200  # still works
            # once the admin agent can sign in with a password, the key may go
            access.set_agent_password(factory=factory, email=ADMIN_EMAIL, password="a long enough password")
            assert last.delete(f"/api/v1/api-keys/{last_id}").status_code == 204
            _error(last.get("/api/v1/cases?limit=1"), 401, "unauthorized")
    finally:
        with factory() as session, session.begin():
            session.execute(update(ApiKey).where(ApiKey.id.in_(live)).values(revoked_at=None))
            found = session.scalar(select(AgentCredential).where(AgentCredential.email == saved[0]))
            if found is None:
                session.add(AgentCredential(email=saved[0], password_hash=saved[1]))
            else:
                found.password_hash = saved[1]


def test_last_used_at_is_still_written_with_the_cache(stack: Stack) -> None:
    factory = stack.db()
    key_id, secret = access.create_api_key(factory=factory, name="noted")
    with stack.client(secret) as client:
        assert client.get("/api/v1/cases?limit=1").status_code == 200
    with factory() as session:
        key = session.get(ApiKey, key_id)
        assert key is not None and key.last_used_at is not None


def test_scopes_limit_what_a_key_may_do(stack: Stack) -> None:
    _, secret = access.create_api_key(factory=stack.db(), name="reader", scopes=[api_keys.SCOPE_CASES_READ])
    with stack.client(secret) as client:
        assert client.get("/api/v1/cases").status_code == 200
        err = _error(client.post("/api/v1/cases", json={"title": "not allowed"}), 403, "forbidden")
        assert err["details"] == {"scope": "cases:write"}
        _error(client.get("/api/v1/reports/open-cases"), 403, "forbidden")


# -- create and idempotency --------------------------------------------------------------------


def test_create_case_is_201_with_location_and_acts_as_the_keys_agent(
    api: httpx.Client, events: EventCollector, admin_agent: dict[str, Any], support_group: dict[str, Any]
) -> None:
    title = f"Printer on fire {uuid.uuid4().hex[:6]}"
    resp = api.post(
        "/api/v1/cases",
        json={
            "title": title,
            "priority": "high",
            "requester_email": "ola@example.org",
            "group_id": support_group["id"],
        },
    )
    assert resp.status_code == 201, resp.text
    case = resp.json()
    assert resp.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert resp.headers["etag"] == f'"{case["version"]}"'
    assert case["title"] == title and case["priority"] == "high" and case["source"] == "api"
    assert case["requester"]["email"] == "ola@example.org"
    assert case["group"] == {"id": support_group["id"], "name": "Support"}
    assert api.get(resp.headers["location"]).json()["id"] == case["id"]
    created = events.wait_for("case_created", case__id=case["id"])[0]["payload"]
    assert created["actor"]["type"] == "agent"
    assert created["actor"]["id"] == admin_agent["id"]
    assert created["actor"]["channel"] == "api"


def test_same_idempotency_key_and_body_gives_the_same_case(api: httpx.Client, events: EventCollector) -> None:
    key = uuid.uuid4().hex
    body = {"title": f"Idempotent {key[:6]}", "description": "retry me"}
    first = api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
    again = api.post("/api/v1/cases", json=dict(reversed(list(body.items()))), headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["location"] == first.headers["location"]
    events.wait_for("case_created", case__id=first.json()["id"])
    matching = [
        e for e in events.events if e["event_type"] == "case_created" and e["payload"]["case"]["title"] == body["title"]
    ]
    assert len(matching) == 1
    listed = api.get("/api/v1/cases", params={"limit": 100}).json()["items"]
    assert [c["id"] for c in listed if c["title"] == body["title"]] == [first.json()["id"]]


def test_same_idempotency_key_with_another_body_is_409(api: httpx.Client) -> None:
    key = uuid.uuid4().hex
    assert api.post("/api/v1/cases", json={"title": "first body"}, headers={"Idempotency-Key": key}).status_code == 201
    resp = api.post("/api/v1/cases", json={"title": "second body"}, headers={"Idempotency-Key": key})
    _error(resp, 409, "idempotency_conflict")


def test_idempotency_keys_belong_to_their_api_key(stack: Stack, api: httpx.Client) -> None:
    key = uuid.uuid4().hex
    body = {"title": "shared key name"}
    mine = api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key}).json()
    _, other_secret = access.create_api_key(factory=stack.db(), name="other client")
    with stack.client(other_secret) as other:
        theirs = other.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]


# -- list, get, patch ----------------------------------------------------------------------------


def test_list_filters_and_cursor_paging(api: httpx.Client, admin_agent: dict[str, Any]) -> None:
    marker = uuid.uuid4().hex[:10]
    mine = {_new_case(api, title=f"Paging {marker} {i}", assignee_id=admin_agent["id"])["id"] for i in range(5)}
    seen: list[int] = []
    params: dict[str, Any] = {"assignee": admin_agent["id"], "limit": 2}
    pages = 0
    while True:
        page = api.get("/api/v1/cases", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= 2
        assert all(c["assignee"]["id"] == admin_agent["id"] for c in body["items"])
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        params["cursor"] = body["next"]
    assert pages >= 3
    assert len(seen) == len(set(seen)), "a case appeared on two pages"
    assert mine <= set(seen)

    found = api.get("/api/v1/cases", params={"q": marker, "limit": 100}).json()["items"]
    assert {c["id"] for c in found} == mine

    unassigned = _new_case(api, title=f"Not mine {marker}")
    filtered = api.get("/api/v1/cases", params={"assignee": admin_agent["id"], "limit": 100}).json()["items"]
    assert unassigned["id"] not in {c["id"] for c in filtered}


def test_list_by_status_and_group(
    api: httpx.Client, admin_agent: dict[str, Any], support_group: dict[str, Any]
) -> None:
    case = _new_case(api, group_id=support_group["id"], assignee_id=admin_agent["id"])
    api.patch(f"/api/v1/cases/{case['id']}", json={"status": "open"}, headers={"If-Match": str(case["version"])})
    by_status = api.get("/api/v1/cases", params={"status": "open", "limit": 100}).json()["items"]
    assert case["id"] in {c["id"] for c in by_status}
    assert all(c["status"] == "open" for c in by_status)
    by_group = api.get("/api/v1/cases", params={"group": support_group["id"], "limit": 100}).json()["items"]
    assert case["id"] in {c["id"] for c in by_group}
    assert all(c["group"]["id"] == support_group["id"] for c in by_group)
    assert api.get("/api/v1/cases", params={"status": "closed", "group": support_group["id"]}).json()["items"] == []


def test_get_case_has_an_etag(api: httpx.Client) -> None:
    case = _new_case(api)
    resp = api.get(f"/api/v1/cases/{case['id']}")
    assert resp.status_code == 200
    assert resp.json() == {**case, "form": None}  # a case no department form opened
    assert resp.headers["etag"] == f'"{case["version"]}"'


def test_patch_needs_if_match(api: httpx.Client) -> None:
    case = _new_case(api)
    _error(api.patch(f"/api/v1/cases/{case['id']}", json={"priority": "urgent"}), 428, "precondition_required")
    _error(
        api.patch(f"/api/v1/cases/{case['id']}", json={"priority": "urgent"}, headers={"If-Match": "yesterday"}),
        422,
        "validation_error",
    )
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == case["priority"]


def test_patch_with_the_current_version_changes_the_case(api: httpx.Client, events: EventCollector) -> None:
    case = _new_case(api)
    etag = api.get(f"/api/v1/cases/{case['id']}").headers["etag"]
    resp = api.patch(
        f"/api/v1/cases/{case['id']}", json={"priority": "urgent", "title": "Renamed"}, headers={"If-Match": etag}
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["version"] == case["version"] + 1
    assert updated["priority"] == "urgent" and updated["title"] == "Renamed"
    assert resp.headers["etag"] == f'"{updated["version"]}"'
    change = events.wait_for("case_updated", case__id=case["id"])[0]["payload"]
    assert change["changes"]["priority"]["new"] == "urgent"
    assert change["actor"]["channel"] == "api"


def test_patch_with_a_stale_version_is_409_with_the_current_case(api: httpx.Client) -> None:
    case = _new_case(api)
    first = api.patch(
        f"/api/v1/cases/{case['id']}", json={"priority": "low"}, headers={"If-Match": f'"{case["version"]}"'}
    )
    assert first.status_code == 200
    stale = api.patch(
        f"/api/v1/cases/{case['id']}", json={"priority": "high"}, headers={"If-Match": f'"{case["version"]}"'}
    )
    err = _error(stale, 409, "version_conflict")
    current = err["details"]["current"]
    assert current["id"] == case["id"]
    assert current["version"] == first.json()["version"]
    assert current["priority"] == "low"
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "low"


# -- messages --------------------------------------------------------------------------------------


def test_public_replies_and_internal_notes(
    api: httpx.Client, events: EventCollector, admin_agent: dict[str, Any]
) -> None:
    case = _new_case(api)
    url = f"/api/v1/cases/{case['id']}/messages"
    reply = api.post(url, json={"body": "We are on it.", "visibility": "public"})
    note = api.post(url, json={"body": "Customer is a VIP", "visibility": "internal"})
    assert reply.status_code == note.status_code == 201, (reply.text, note.text)
    assert reply.json()["visibility"] == "public" and note.json()["visibility"] == "internal"
    assert reply.json()["author_type"] == "agent" and reply.json()["author_id"] == admin_agent["id"]
    assert reply.json()["channel"] == "api"

    listed = api.get(url)
    assert listed.status_code == 200
    items = listed.json()["items"]
    by_id = {m["id"]: m for m in items}
    assert by_id[reply.json()["id"]]["body_text"] == "We are on it."
    assert by_id[note.json()["id"]]["visibility"] == "internal"
    assert all("email_message_id" in m for m in items)

    public_only = api.get(url, params={"visibility": "public"}).json()["items"]
    assert note.json()["id"] not in {m["id"] for m in public_only}
    assert reply.json()["id"] in {m["id"] for m in public_only}
    added = events.wait_for("message_added", 2, case__id=case["id"])
    assert {e["payload"]["message"]["visibility"] for e in added} >= {"public", "internal"}


# -- errors ------------------------------------------------------------------------------------------


def test_unknown_case_is_404(api: httpx.Client) -> None:
    _error(api.get("/api/v1/cases/987654321"), 404, "not_found")
    _error(api.get("/api/v1/cases/987654321/messages"), 404, "not_found")
    _error(api.post("/api/v1/cases/987654321/messages", json={"body": "hi"}), 404, "not_found")
    _error(api.patch("/api/v1/cases/987654321", json={"priority": "low"}, headers={"If-Match": "1"}), 404, "not_found")


def test_bad_input_is_422_with_details(api: httpx.Client) -> None:
    err = _error(api.post("/api/v1/cases", json={"description": "no title"}), 422, "validation_error")
    assert any(d["loc"][-1] == "title" for d in err["details"])
    _error(api.post("/api/v1/cases", json={"title": "x", "colour": "red"}), 422, "validation_error")
    _error(api.post("/api/v1/cases", json={"title": "x", "priority": "whenever"}), 422, "validation_error")
    _error(api.post("/api/v1/cases", json={"title": "x", "requester_email": "not-an-email"}), 422, "validation_error")
    _error(
        api.post("/api/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"}),
        422,
        "validation_error",
    )
    _error(api.get("/api/v1/cases", params={"limit": 1000}), 422, "validation_error")
    _error(api.get("/api/v1/cases", params={"status": "sleeping"}), 422, "validation_error")
    _error(api.get("/api/v1/cases/abc"), 422, "validation_error")
    case = _new_case(api)
    _error(
        api.patch(f"/api/v1/cases/{case['id']}", json={"number": 1}, headers={"If-Match": "*"}), 422, "validation_error"
    )
    _error(api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": ""}), 422, "validation_error")
    _error(
        api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "x", "visibility": "secret"}),
        422,
        "validation_error",
    )


# -- directory and reports ------------------------------------------------------------------------


def test_groups_and_agents(api: httpx.Client) -> None:
    groups = api.get("/api/v1/groups").json()
    agents = api.get("/api/v1/agents").json()
    assert "Support" in {g["name"] for g in groups["items"]}
    assert "admin@example.com" in {a["email"] for a in agents["items"]}


def test_open_cases_report(api: httpx.Client) -> None:
    def open_cases() -> int:
        total, params = 0, {"limit": 100}
        while True:
            body = api.get("/api/v1/cases", params=params).json()
            total += sum(1 for c in body["items"] if c["status"] not in {"resolved", "closed"})
            if not body["next"]:
                return total
            params["cursor"] = body["next"]

    _new_case(api)
    expected = open_cases()

    def report() -> dict[str, Any] | None:
        resp = api.get("/api/v1/reports/open-cases")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return body if body["total"] == expected else None

    body = wait_until(report, timeout=20, what=f"report total == {expected}")
    assert sum(body["by_status"].values()) == expected
    assert sum(g["count"] for g in body["by_group"]) == expected
