"""REST API v1 of the SLA (B13) through `python -m gateway web` and a real cases worker."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from conftest import Stack

from gateway import access
from gateway.domain import api_keys


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _code(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] == code and body["message"], resp.text
    return dict(body)


def test_openapi_documents_the_sla_routes(stack: Stack) -> None:
    with stack.anonymous() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/sla-policies"])
    assert {"put", "delete"} <= set(paths["/api/v1/sla-policies/{policy_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/business-calendars"])
    assert {"put", "delete"} <= set(paths["/api/v1/business-calendars/{calendar_id}"])
    assert "get" in paths["/api/v1/cases/{case_id}/sla"]


def test_calendar_policy_and_case_sla(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    calendar = _ok(
        api.post(
            "/api/v1/business-calendars",
            json={
                "name": f"Berlin {tag}",
                "timezone": "Europe/Berlin",
                "country": "DE",
                "subdivision": "BE",
                "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            },
        ),
        201,
    )
    assert calendar["subdivision"] == "BE" and calendar["hours"]["fri"] == [["09:00", "17:00"]]
    _code(
        api.post("/api/v1/business-calendars", json={"name": "Bad", "timezone": "Nowhere/Land"}),
        422,
        "validation_error",
    )
    _code(
        api.post("/api/v1/business-calendars", json={"name": "Bad", "hours": {"mon": [["9", "17:00"]]}}),
        422,
        "validation_error",
    )
    policy = _ok(
        api.post(
            "/api/v1/sla-policies",
            json={
                "name": f"Urgent {tag}",
                "priority": "urgent",
                "first_response_minutes": 60,
                "resolution_minutes": 480,
                "calendar_id": calendar["id"],
            },
        ),
        201,
    )
    listed = {p["id"]: p for p in _ok(api.get("/api/v1/sla-policies"))["items"]}
    # listed as created, with its version (the ETag of the policy read alone)
    version = api.get(f"/api/v1/sla-policies/{policy['id']}").headers["ETag"].strip('"')
    assert listed[policy["id"]] == {**policy, "version": version}
    _code(api.post("/api/v1/sla-policies", json={"name": "Empty"}), 422, "validation_error")
    _code(
        api.post("/api/v1/sla-policies", json={"name": f"Urgent {tag}", "resolution_minutes": 5}),
        422,
        "validation_error",
    )
    case = _ok(api.post("/api/v1/cases", json={"title": f"Server down {tag}", "priority": "urgent"}), 201)
    # the case itself carries its state and nearest due time, for lists and sorting
    assert case["sla_state"] == "ok" and case["sla_due_at"] is not None
    sla = _ok(api.get(f"/api/v1/cases/{case['id']}/sla"))
    assert datetime.fromisoformat(sla["due_at"]) == datetime.fromisoformat(case["sla_due_at"])
    assert sla["policy"] == {"id": policy["id"], "name": policy["name"]}
    assert sla["calendar"] == calendar["name"] and sla["timezone"] == "Europe/Berlin"
    assert [t["metric"] for t in sla["targets"]] == ["first_response", "resolution"]
    first = sla["targets"][0]
    assert first["state"] == "running" and first["target_minutes"] == 60 and first["warning_percent"] == 80
    due = datetime.fromisoformat(first["due_at"])
    assert due > datetime.fromisoformat(case["created_at"]) + timedelta(minutes=59)
    # only open hours count: the due time is at a weekday between 09:00 and 17:00 Berlin time
    from zoneinfo import ZoneInfo

    local = due.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.weekday() < 5 and (9 <= local.hour < 17 or (local.hour, local.minute) == (17, 0))
    assert sla["state"] in ("ok", "warning") and sla["due_at"] == first["due_at"]
    periods = first["periods"]
    assert periods and periods[0]["kind"] == "counted" and periods[0]["status"] == "new"
    _code(api.get("/api/v1/cases/987654/sla"), 404, "not_found")
    # changing the policy re-applies it; deleting it leaves the case without SLA
    changed = _ok(
        api.put(f"/api/v1/sla-policies/{policy['id']}", json={**_write(policy), "first_response_minutes": 120})
    )
    assert changed["first_response_minutes"] == 120
    assert _ok(api.get(f"/api/v1/cases/{case['id']}/sla"))["targets"][0]["target_minutes"] == 120
    _code(api.delete(f"/api/v1/business-calendars/{calendar['id']}"), 422, "validation_error")
    assert api.delete(f"/api/v1/sla-policies/{policy['id']}").status_code == 204
    assert _ok(api.get(f"/api/v1/cases/{case['id']}/sla"))["state"] == "none"
    _code(api.delete(f"/api/v1/sla-policies/{policy['id']}"), 404, "not_found")
    assert api.delete(f"/api/v1/business-calendars/{calendar['id']}").status_code == 204


def _write(policy: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in policy.items() if k not in ("id", "created_at", "updated_at")}


def test_only_admins_change_sla_configuration(stack: Stack, api: httpx.Client) -> None:
    _, secret = access.create_api_key(
        factory=stack.db(), name="plain-sla", scopes=[api_keys.SCOPE_CASES_READ, api_keys.SCOPE_CASES_WRITE]
    )
    with stack.client(secret) as plain:
        sneaky = {"name": "Sneaky", "resolution_minutes": 1}
        _code(plain.post("/api/v1/sla-policies", json=sneaky), 403, "role_forbidden")
        _code(plain.post("/api/v1/business-calendars", json={"name": "Sneaky"}), 403, "role_forbidden")
        assert plain.get("/api/v1/sla-policies").status_code == 200
    with stack.anonymous() as anonymous:
        assert anonymous.get("/api/v1/sla-policies").status_code == 401


def test_a_restricted_groups_case_sla_is_hidden_like_the_case(stack: Stack, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    group = _ok(api.post("/api/v1/groups", json={"name": f"HR {tag}", "restricted": True}), 201)
    outsider = _ok(api.post("/api/v1/agents", json={"email": f"out-{tag}@example.com", "name": "Out"}), 201)
    case = _ok(api.post("/api/v1/cases", json={"title": f"Salary {tag}", "group_id": group["id"]}), 201)
    assert _ok(api.get(f"/api/v1/cases/{case['id']}/sla"))["case_id"] == case["id"]  # admin key
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"outsider {tag}", scopes=[api_keys.SCOPE_CASES_READ], agent_id=outsider["id"]
    )
    with stack.client(secret) as client:
        _code(client.get(f"/api/v1/cases/{case['id']}"), 404, "not_found")
        _code(client.get(f"/api/v1/cases/{case['id']}/sla"), 404, "not_found")
