"""DELETE /api/v1/groups/{id} (decision 0144): refused while cases use the group; otherwise the group and its
SLA policies are gone."""

from __future__ import annotations

import uuid

import httpx


def test_delete_group_refused_while_used_then_takes_its_policies(api: httpx.Client) -> None:
    used = api.post("/api/v1/groups", json={"name": f"Used {uuid.uuid4().hex[:6]}"}).json()
    made = api.post("/api/v1/cases", json={"title": "In the group", "group_id": used["id"]})
    assert made.status_code == 201, made.text
    refused = api.delete(f"/api/v1/groups/{used['id']}")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "validation_error" and error["details"]["cases"] == 1
    assert api.get(f"/api/v1/groups/{used['id']}").status_code == 200

    empty = api.post("/api/v1/groups", json={"name": f"Empty {uuid.uuid4().hex[:6]}"}).json()
    policy = api.post(
        "/api/v1/sla-policies",
        json={"name": f"Team {empty['id']}", "group_id": empty["id"], "first_response_minutes": 60},
    )
    assert policy.status_code == 201, policy.text
    assert api.delete(f"/api/v1/groups/{empty['id']}").status_code == 204
    assert api.get(f"/api/v1/groups/{empty['id']}").status_code == 404
    policies = api.get("/api/v1/sla-policies").json()["items"]
    assert policy.json()["id"] not in [p["id"] for p in policies]
    assert api.delete(f"/api/v1/groups/{empty['id']}").status_code == 404
