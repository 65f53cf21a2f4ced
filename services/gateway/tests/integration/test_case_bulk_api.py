"""Bulk changes (C3, decision 0237): `POST /api/v1/cases/bulk` changes each case on its own and answers a result
per case; more than 500 cases, and a light agent, are refused whole and change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Stack

from gateway import access
from gateway.domain import api_keys

MISSING = 987_654_321


def _key(stack: Stack, email: str) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"key of {email}", scopes=list(api_keys.ALL_SCOPES), agent_email=email
    )
    return stack.client(secret)


def _made(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def world(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    agent = _made(api.post("/api/v1/agents", json={"email": f"ag-{tag}@example.com", "name": "Agnes", "role": "agent"}))
    light = _made(
        api.post("/api/v1/agents", json={"email": f"li-{tag}@example.com", "name": "Lise", "role": "light_agent"})
    )
    field = _made(api.post("/api/v1/groups", json={"name": f"Field {tag}", "member_ids": [agent["id"], light["id"]]}))
    secret = _made(api.post("/api/v1/groups", json={"name": f"Secret {tag}", "restricted": True, "member_ids": []}))
    with _key(stack, agent["email"]) as agent_api, _key(stack, light["email"]) as light_api:
        yield {
            "tag": tag,
            "agent": agent,
            "light": light,
            "field": field,
            "secret": secret,
            "agent_api": agent_api,
            "light_api": light_api,
        }


def _cases(api: httpx.Client, n: int, tag: str, **extra: Any) -> list[dict[str, Any]]:
    return [
        _made(api.post("/api/v1/cases", json={"title": f"Bulk {i} {tag}", "tags": ["keep", "old"], **extra}))
        for i in range(n)
    ]


def _get(api: httpx.Client, case_id: int) -> dict[str, Any]:
    resp = api.get(f"/api/v1/cases/{case_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_each_case_answers_its_own_result(api: httpx.Client, world: dict[str, Any]) -> None:
    """Assign, group, priority and tags on three visible cases; a hidden case and an unknown id fail alone."""
    cases = _cases(api, 3, world["tag"])
    hidden = _made(
        api.post("/api/v1/cases", json={"title": f"Hidden {world['tag']}", "group_id": world["secret"]["id"]})
    )
    ids = [c["id"] for c in cases]
    body = {
        "case_ids": [*ids, hidden["id"], MISSING, ids[0]],  # a repeated id is changed once
        "changes": {
            "assignee_id": world["agent"]["id"],
            "group_id": world["field"]["id"],
            "priority": "urgent",
            "add_tags": ["billing", "Keep"],
            "remove_tags": ["old"],
        },
    }
    resp = world["agent_api"].post("/api/v1/cases/bulk", json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert [r["case_id"] for r in answer["results"]] == [*ids, hidden["id"], MISSING]
    assert (answer["changed"], answer["failed"]) == (3, 2)
    for result, case in zip(answer["results"][:3], cases, strict=True):
        assert result["outcome"] == "ok" and result["error"] is None, result
        assert result["number"] == case["number"]
        now = _get(api, case["id"])
        assert result["version"] == now["version"] > case["version"]
        assert now["assignee"]["id"] == world["agent"]["id"]
        assert now["group"]["id"] == world["field"]["id"]
        assert now["priority"] == "urgent"
        assert sorted(now["tags"]) == ["billing", "keep"]  # "Keep" is the tag it has, "old" is gone
    # the hidden case answers exactly as the missing one does, and is unchanged
    hidden_result, missing_result = answer["results"][3:]
    assert hidden_result["outcome"] == missing_result["outcome"] == "error"
    assert hidden_result["error"]["code"] == missing_result["error"]["code"] == "not_found"
    assert hidden_result["number"] is None
    assert hidden_result["error"]["message"] == f"case {hidden['id']} not found"
    assert _get(api, hidden["id"])["priority"] == hidden["priority"]


def test_a_stale_version_or_a_refused_change_fails_that_case_only(api: httpx.Client, world: dict[str, Any]) -> None:
    first, second = _cases(api, 2, world["tag"])
    api.patch(f"/api/v1/cases/{first['id']}", json={"priority": "low"}, headers={"If-Match": "*"})
    body = {
        "case_ids": [first["id"], second["id"]],
        "changes": {"priority": "high"},
        "versions": {str(first["id"]): first["version"], str(second["id"]): second["version"]},
    }
    answer = api.post("/api/v1/cases/bulk", json=body).json()
    stale, fresh = answer["results"]
    assert stale["outcome"] == "error" and stale["error"]["code"] == "version_conflict", stale
    assert fresh["outcome"] == "ok", fresh
    assert _get(api, first["id"])["priority"] == "low"  # someone else's change stays
    assert _get(api, second["id"])["priority"] == "high"
    # a light agent cannot be given cases: each case says so
    refused = api.post(
        "/api/v1/cases/bulk", json={"case_ids": [second["id"]], "changes": {"assignee_id": world["light"]["id"]}}
    ).json()["results"][0]
    assert refused["outcome"] == "error"
    assert refused["error"]["code"] == "light_agent_not_assignable", refused
    assert _get(api, second["id"])["assignee"] is None


def test_status_and_close(api: httpx.Client, world: dict[str, Any]) -> None:
    cases = _cases(api, 2, world["tag"])
    ids = [c["id"] for c in cases]
    # a new case needs an assignee to move on: the workflow's refusal is that case's result
    refused = api.post("/api/v1/cases/bulk", json={"case_ids": ids[:1], "changes": {"status": "open"}}).json()
    assert refused["results"][0]["error"]["code"] == "invalid_transition", refused
    assert _get(api, ids[0])["status"] == "new"
    changes = {"status": "open", "assignee_id": world["agent"]["id"]}
    answer = api.post("/api/v1/cases/bulk", json={"case_ids": ids, "changes": changes}).json()
    assert answer["changed"] == 2, answer
    assert {_get(api, i)["status"] for i in ids} == {"open"}
    answer = api.post("/api/v1/cases/bulk", json={"case_ids": ids, "changes": {"close": True}}).json()
    assert answer["changed"] == 2, answer
    assert {_get(api, i)["status"] for i in ids} == {"closed"}


def test_merge_several_cases_into_one(api: httpx.Client, world: dict[str, Any]) -> None:
    keep, *dupes = _cases(api, 3, world["tag"])
    ids = [keep["id"], *(d["id"] for d in dupes)]
    answer = api.post("/api/v1/cases/bulk", json={"case_ids": ids, "changes": {"merge_into": keep["id"]}}).json()
    assert [r["outcome"] for r in answer["results"]] == ["ok", "ok", "ok"], answer
    for dupe in dupes:
        assert _get(api, dupe["id"])["status"] == "closed"
    links = api.get(f"/api/v1/cases/{keep['id']}/links").json()
    assert sorted(links["merged_from"]) == sorted(d["id"] for d in dupes)
    hidden = _made(
        api.post("/api/v1/cases", json={"title": f"Hidden {world['tag']}", "group_id": world["secret"]["id"]})
    )
    resp = world["agent_api"].post(
        "/api/v1/cases/bulk", json={"case_ids": [keep["id"]], "changes": {"merge_into": hidden["id"]}}
    )
    assert resp.status_code == 404, resp.text  # a target the caller may not see is like a missing one
    assert resp.json()["error"] == {
        "code": "not_found",
        "message": f"case {hidden['id']} not found",
        "details": {"case_id": hidden["id"]},
    }


def test_more_than_500_cases_are_refused_whole(api: httpx.Client, world: dict[str, Any]) -> None:
    (case,) = _cases(api, 1, world["tag"])
    body = {"case_ids": [case["id"], *range(1_000_000, 1_000_500)], "changes": {"priority": "urgent"}}
    resp = api.post("/api/v1/cases/bulk", json=body)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "too_many_cases"
    assert error["details"] == {"max": 500, "given": 501}
    assert _get(api, case["id"])["priority"] == case["priority"]  # nothing changed


def test_bad_bodies_answer_validation_errors(api: httpx.Client) -> None:
    for body in (
        {"case_ids": [], "changes": {"priority": "high"}},
        {"case_ids": [1], "changes": {}},
        {"case_ids": [1], "changes": {"priority": "extreme"}},
        {"case_ids": [1], "changes": {"merge_into": 1, "priority": "high"}},
        {"case_ids": [1], "changes": {"close": True, "status": "open"}},
        {"case_ids": ["1; drop"], "changes": {"priority": "high"}},
        {"case_ids": [1], "changes": {"priority": "high"}, "extra": 1},
    ):
        resp = api.post("/api/v1/cases/bulk", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"]["code"] == "validation_error", body


def test_a_light_agent_may_not_make_bulk_changes(api: httpx.Client, world: dict[str, Any]) -> None:
    (case,) = _cases(api, 1, world["tag"], group_id=world["field"]["id"])
    resp = world["light_api"].post(
        "/api/v1/cases/bulk", json={"case_ids": [case["id"]], "changes": {"priority": "low"}}
    )
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "role_forbidden"
    assert error["details"] == {"role": "light_agent", "needed": "agent"}
    assert _get(api, case["id"])["priority"] == case["priority"]
