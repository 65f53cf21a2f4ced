"""The admin audit log, versions (ETag / If-Match) and API keys over HTTP, against the real gateway, cases,
PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from conftest import Stack

from gateway import access


def _entries(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    resp = api.get("/api/v1/audit", params=params)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def _new_type(api: httpx.Client) -> dict[str, Any]:
    resp = api.post("/api/v1/case-types", json={"name": f"Audit {uuid.uuid4().hex[:6]}", "instructions": "first"})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_change_is_logged_with_before_after_and_who(api: httpx.Client) -> None:
    created = _new_type(api)
    read = api.get(f"/api/v1/case-types/{created['id']}")
    assert read.status_code == 200 and read.json() == created
    etag = read.headers["ETag"]
    changed = api.put(
        f"/api/v1/case-types/{created['id']}",
        json={"name": created["name"], "instructions": "second"},
        headers={"If-Match": etag, "X-Request-ID": "req-audit-1"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != etag
    [update, create] = _entries(api, object_type="case_type", object_id=str(created["id"]))
    assert create["action"] == "create" and create["before"] is None and create["after"] == created
    assert update["action"] == "update" and update["outcome"] == "succeeded"
    assert update["before"]["instructions"] == "first" and update["after"]["instructions"] == "second"
    assert update["request_id"] == "req-audit-1"
    assert update["actor"]["channel"] == "api" and update["actor"]["api_key_id"] is not None
    assert update["completed_at"] is not None


def test_a_stale_if_match_is_a_conflict_and_changes_nothing(api: httpx.Client) -> None:
    created = _new_type(api)
    stale = api.get(f"/api/v1/case-types/{created['id']}").headers["ETag"]
    path = f"/api/v1/case-types/{created['id']}"
    assert api.put(path, json={"name": created["name"], "instructions": "theirs"}).status_code == 200
    resp = api.put(path, json={"name": created["name"], "instructions": "mine"}, headers={"If-Match": stale})
    assert resp.status_code == 409, resp.text
    error = resp.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["details"]["current"]["instructions"] == "theirs"
    assert api.get(path).json()["instructions"] == "theirs"
    assert f'"{error["details"]["version"]}"' == api.get(path).headers["ETag"]
    assert [e["after"]["instructions"] for e in _entries(api, object_type="case_type", object_id=str(created["id"]))][
        :1
    ] == ["theirs"]  # the refused change left no entry


def test_a_stale_delete_keeps_the_group(api: httpx.Client) -> None:
    group = api.post("/api/v1/groups", json={"name": f"Audit {uuid.uuid4().hex[:6]}"}).json()
    path = f"/api/v1/groups/{group['id']}"
    resp = api.delete(path, headers={"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "version_conflict"
    assert api.get(path).status_code == 200
    assert api.delete(path, headers={"If-Match": api.get(path).headers["ETag"]}).status_code == 204
    [deleted, _] = _entries(api, object_type="group", object_id=str(group["id"]))
    assert deleted["action"] == "delete" and deleted["before"]["name"] == group["name"] and deleted["after"] is None


def test_a_refused_change_is_logged_as_failed(api: httpx.Client) -> None:
    created = _new_type(api)
    taken = api.put(f"/api/v1/case-types/{created['id']}", json={"name": "Fault"})  # a built-in type's name
    assert taken.status_code in (409, 422), taken.text
    [entry, *_] = _entries(api, object_type="case_type", object_id=str(created["id"]))
    assert entry["outcome"] == "failed" and entry["error_code"] == taken.json()["error"]["code"]
    assert entry["after"] is None


def test_api_keys_are_created_listed_and_revoked_without_their_secret_in_the_log(
    stack: Stack, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    resp = api.post(
        "/api/v1/api-keys",
        json={"name": "ci robot", "scopes": ["cases:read"], "agent_id": admin_agent["id"]},
        headers={"X-Request-ID": "make-key"},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    secret = created["secret"]
    assert created["scopes"] == ["cases:read"] and created["agent_id"] == admin_agent["id"]
    with stack.client(secret) as robot:
        assert robot.get("/api/v1/cases").status_code == 200
        assert robot.get("/api/v1/case-types").status_code == 200
        assert robot.post("/api/v1/groups", json={"name": "nope"}).status_code == 403
    listed = api.get("/api/v1/api-keys").json()["items"]
    mine = next(k for k in listed if k["id"] == created["id"])
    assert "secret" not in mine and "key_hash" not in mine and mine["prefix"] == secret[:12]
    assert secret not in str(listed)
    assert api.delete(f"/api/v1/api-keys/{created['id']}").status_code == 204
    with stack.client(secret) as robot:
        assert robot.get("/api/v1/cases").status_code == 401
    log = api.get("/api/v1/audit", params={"object_type": "api_key", "object_id": str(created["id"])})
    assert secret not in log.text
    revoke, create = log.json()["items"]
    assert create["action"] == "create" and create["after"]["secret"] == "[redacted]"
    assert create["request_id"] == "make-key"
    assert revoke["action"] == "revoke" and revoke["after"]["revoked_at"] is not None


def test_an_agent_manages_only_their_own_keys(stack: Stack, api: httpx.Client) -> None:
    email = f"kim.{uuid.uuid4().hex[:6]}@example.com"
    agent = api.post("/api/v1/agents", json={"email": email, "name": "Kim"}).json()
    other = api.post("/api/v1/api-keys", json={"name": "someone else's", "scopes": ["cases:read"]}).json()
    _, secret = access.create_api_key(
        factory=stack.db(), name="kim", scopes=["cases:read", "cases:write"], agent_id=agent["id"], agent_email=email
    )
    with stack.client(secret) as kim:
        made = kim.post("/api/v1/me/api-keys", json={"name": "laptop", "scopes": ["cases:read"]})
        assert made.status_code == 201, made.text
        assert made.json()["agent_id"] == agent["id"] and made.json()["is_admin"] is False
        refused = kim.post("/api/v1/me/api-keys", json={"name": "root", "is_admin": True})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden"
        wider = kim.post("/api/v1/me/api-keys", json={"name": "reports", "scopes": ["reports:read"]})
        assert wider.status_code == 403
        assert {k["name"] for k in kim.get("/api/v1/me/api-keys").json()["items"]} == {"kim", "laptop"}
        assert kim.delete(f"/api/v1/me/api-keys/{other['id']}").status_code == 404
        assert kim.delete(f"/api/v1/me/api-keys/{made.json()['id']}").status_code == 204
        assert kim.get("/api/v1/api-keys").status_code == 403
    [revoked, _] = _entries(api, object_type="api_key", object_id=str(made.json()["id"]))
    assert revoked["actor"]["agent_id"] == agent["id"] and revoked["actor"]["type"] == "agent"


def test_the_log_filters_by_actor_object_and_time_and_pages(
    stack: Stack, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    made = api.post("/api/v1/api-keys", json={"name": "admin two", "agent_id": admin_agent["id"], "is_admin": True})
    with stack.client(made.json()["secret"]) as admin_two:
        first, second = _new_type(admin_two), _new_type(admin_two)
    by_actor = _entries(api, actor=admin_agent["id"], object_type="case_type")
    assert [e["object_id"] for e in by_actor[:2]] == [str(second["id"]), str(first["id"])]  # newest first
    assert {e["actor"]["agent_id"] for e in by_actor} == {admin_agent["id"]}
    assert _entries(api, since="2999-01-01T00:00:00Z") == []
    assert _entries(api, until="2000-01-01T00:00:00Z") == []
    assert len(_entries(api, since=by_actor[0]["occurred_at"], object_type="case_type")) >= 1
    page = api.get("/api/v1/audit", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next"]
    after = api.get("/api/v1/audit", params={"limit": 1, "cursor": page["next"]}).json()
    assert after["items"][0]["id"] < page["items"][0]["id"]
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "abc"}, {"actor": "false"}, {"object_type": "Robert');"}):
        resp = api.get("/api/v1/audit", params=bad)
        assert resp.status_code == 422, (bad, resp.text)


def test_only_admins_read_the_log_or_change_configuration(stack: Stack, api: httpx.Client) -> None:
    _, secret = access.create_api_key(factory=stack.db(), name="agent key", scopes=["*"])
    type_id = _new_type(api)["id"]
    with stack.client(secret) as agent:
        resp = agent.get("/api/v1/audit")
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "role_forbidden"
        assert agent.put(f"/api/v1/case-types/{type_id}", json={"name": "x"}).status_code == 403
        assert agent.get("/api/v1/api-keys").status_code == 403
        assert agent.post("/api/v1/api-keys", json={"name": "x"}).status_code == 403
