"""Search, views and saved searches through the REST API: real gateway, cases worker,
PostgreSQL and RabbitMQ. The calling agent comes from the API key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Stack

from gateway import access
from gateway.domain import api_keys


def _agent_client(stack: Stack, agent: dict[str, Any]) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(),
        name=f"agent {agent['email']}",
        scopes=[api_keys.SCOPE_CASES_READ, api_keys.SCOPE_CASES_WRITE, api_keys.SCOPE_DIRECTORY_READ],
        agent_email=agent["email"],
    )
    return stack.client(secret)


@pytest.fixture(scope="module")
def people(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    ada = api.post("/api/v1/agents", json={"email": f"ada-{tag}@example.com", "name": "Ada"}).json()
    bo = api.post("/api/v1/agents", json={"email": f"bo-{tag}@example.com", "name": "Bo"}).json()
    payroll = api.post("/api/v1/groups", json={"name": f"Lønn {tag}", "restricted": True, "member_ids": [bo["id"]]})
    assert payroll.status_code == 201, payroll.text
    assert payroll.json()["restricted"] is True
    with _agent_client(stack, ada) as ada_api, _agent_client(stack, bo) as bo_api:
        yield {"ada": ada, "bo": bo, "payroll": payroll.json(), "ada_api": ada_api, "bo_api": bo_api, "tag": tag}


def _case(api: httpx.Client, **data: Any) -> dict[str, Any]:
    response = api.post("/api/v1/cases", json=data)
    assert response.status_code == 201, response.text
    return response.json()


def test_search_scoping_snippets_and_fresh_messages(api: httpx.Client, people: dict[str, Any]) -> None:
    tag = people["tag"]
    open_case = _case(
        api,
        title=f"Varmepumpa på hytta {tag} lager støy",
        description="Kunden hører en høy susing fra utedelen",
        requester_email=f"kari-{tag}@fjellhytte.no",
        requester_name="Kari Fjellstad",
        assignee_id=people["ada"]["id"],
        tags=["varme"],
    )
    secret_case = _case(api, title=f"Lønnsslipp {tag} for mars mangler", group_id=people["payroll"]["id"])
    ada, bo = people["ada_api"], people["bo_api"]

    def found(client: httpx.Client, q: str) -> list[int]:
        response = client.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, response.text
        return [hit["case"]["id"] for hit in response.json()["items"]]

    hits = ada.get("/api/v1/search", params={"q": f"varmepump {tag}"}).json()["items"]
    assert [h["case"]["id"] for h in hits] == [open_case["id"]]
    assert "<mark>" in hits[0]["snippet"] and hits[0]["rank"] > 0
    assert found(ada, "fjellstad") == [open_case["id"]]  # the contact's name, a partial word
    assert found(ada, f"lønnsslipp {tag}") == []  # restricted group, Ada is not a member
    assert found(bo, f"lønnsslipp {tag}") == [secret_case["id"]]
    assert found(api, f"lønnsslipp {tag}") == [secret_case["id"]]  # the admin key
    # the case itself: missing for Ada, there for a member
    assert ada.get(f"/api/v1/cases/{secret_case['id']}").status_code == 404
    assert bo.get(f"/api/v1/cases/{secret_case['id']}").status_code == 200
    assert ada.get(f"/api/v1/cases/{secret_case['id']}/messages").status_code == 404
    assert bo.get(f"/api/v1/cases/{secret_case['id']}/messages").status_code == 200
    # a reply is findable as soon as it is stored
    reply = api.post(
        f"/api/v1/cases/{open_case['id']}/messages", json={"body": f"Vi sender en tekniker {tag}x på tirsdag"}
    )
    assert reply.status_code == 201, reply.text
    assert found(ada, f"{tag}x") == [open_case["id"]]
    # contact's cases, scoped to the caller
    requester = open_case["requester"]["id"]
    listed = ada.get(f"/api/v1/contacts/{requester}/cases").json()["items"]
    assert [c["id"] for c in listed] == [open_case["id"]]
    bad = ada.get("/api/v1/search", params={"q": "!!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_filter"


def test_advanced_filters_sorts_and_bad_input(api: httpx.Client, people: dict[str, Any]) -> None:
    tag = people["tag"]
    made = [
        _case(api, title=f"Sort {tag} {n}", priority=p, tags=[f"s{tag}"])
        for n, p in enumerate(["low", "urgent", "medium", "urgent", "high"])
    ]
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"tag": f"s{tag}", "sort": "-priority", "limit": 2}
    while True:
        page = api.get("/api/v1/cases", params=params)
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        if page.json()["next"] is None:
            break
        params["cursor"] = page.json()["next"]
    order = {"urgent": 4, "high": 3, "medium": 2, "low": 1}
    assert sorted(c["id"] for c in seen) == sorted(c["id"] for c in made)
    keys = [(order[c["priority"]], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)
    urgent = api.get("/api/v1/cases", params={"tag": f"s{tag}", "priority": ["urgent", "high"], "sort": "number"})
    assert [c["priority"] for c in urgent.json()["items"]] == ["urgent", "urgent", "high"]
    for query, code in (
        ({"sort": "sideways"}, "validation_error"),
        ({"sla_state": "late"}, "invalid_filter"),
        ({"custom_field": "nonsense"}, "invalid_filter"),
        ({"custom_field": "nope:1"}, "invalid_filter"),
        ({"cursor": "garbage"}, "validation_error"),
        ({"created_from": "2026-01-02T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"}, "invalid_filter"),
    ):
        response = api.get("/api/v1/cases", params=query)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["error"]["code"] == code, query


def test_views_with_counts(stack: Stack, api: httpx.Client, people: dict[str, Any]) -> None:
    ada_id = people["ada"]["id"]
    mine = _case(api, title=f"View {people['tag']}", assignee_id=ada_id)
    resolved = api.patch(
        f"/api/v1/cases/{mine['id']}", json={"status": "resolved"}, headers={"If-Match": str(mine["version"])}
    )
    assert resolved.status_code == 200, resolved.text
    listed = people["ada_api"].get("/api/v1/views")
    assert listed.status_code == 200, listed.text
    counts = {v["key"]: v["count"] for v in listed.json()["items"]}
    for key in ("mine", "resolved", "all", "unanswered", "mentioned", "tasks", "my_groups", "all_cases"):
        cases = people["ada_api"].get(f"/api/v1/views/{key}/cases", params={"limit": 100}).json()["items"]
        assert counts[key] == len(cases), key
        if key in ("mine", "resolved", "all", "unanswered"):
            assert all(c["assignee"]["id"] == ada_id for c in cases), key
    assert mine["id"] in [c["id"] for c in people["ada_api"].get("/api/v1/views/resolved/cases").json()["items"]]
    assert people["ada_api"].get("/api/v1/views/nope/cases").status_code == 404
    # a key without an agent has no personal views
    _, secret = access.create_api_key(factory=stack.db(), name="integration", scopes=[api_keys.SCOPE_CASES_READ])
    with stack.client(secret) as client:
        assert "mine" not in {v["key"] for v in client.get("/api/v1/views").json()["items"]}
        response = client.get("/api/v1/views/mine/cases")
        assert response.status_code == 422 and response.json()["error"]["code"] == "agent_required"


def test_saved_searches(api: httpx.Client, people: dict[str, Any]) -> None:
    tag = people["tag"]
    ada, bo = people["ada_api"], people["bo_api"]
    for n in range(3):
        _case(api, title=f"Saved {tag} {n}", tags=[f"v{tag}"], priority="high" if n else "low")
    created = ada.post(
        "/api/v1/saved-searches", json={"name": "High ones", "filters": {"tags": [f"v{tag}"], "priorities": ["high"]}}
    )
    assert created.status_code == 201, created.text
    mine = created.json()
    assert created.headers["Location"].endswith(f"/saved-searches/{mine['id']}")
    count = ada.get(f"/api/v1/saved-searches/{mine['id']}/count").json()
    assert (count["count"], count["capped"]) == (2, False)
    assert len(ada.get(f"/api/v1/saved-searches/{mine['id']}/cases").json()["items"]) == 2
    assert bo.get(f"/api/v1/saved-searches/{mine['id']}").status_code == 404  # personal
    shared = ada.patch(f"/api/v1/saved-searches/{mine['id']}", json={"shared": True})
    assert shared.status_code == 200 and shared.json()["shared"] is True
    folders = bo.get("/api/v1/saved-searches", params={"counts": "true"}).json()["items"]
    assert [(f["id"], f["count"]) for f in folders if f["id"] == mine["id"]] == [(mine["id"], 2)]
    forbidden = bo.patch(f"/api/v1/saved-searches/{mine['id']}", json={"name": "Bo's now"})
    assert forbidden.status_code == 403
    bad = ada.post("/api/v1/saved-searches", json={"name": "Bad", "filters": {"sla_states": ["late"]}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_filter"
    unknown = ada.post("/api/v1/saved-searches", json={"name": "Bad", "filters": {"colour": "red"}})
    assert unknown.status_code == 422
    assert ada.delete(f"/api/v1/saved-searches/{mine['id']}").status_code == 204
    assert ada.get(f"/api/v1/saved-searches/{mine['id']}").status_code == 404


def test_a_saved_search_shared_with_a_group_is_read_only_to_its_members_and_hidden_from_others(
    api: httpx.Client, people: dict[str, Any]
) -> None:
    ada, bo = people["ada_api"], people["bo_api"]
    payroll = people["payroll"]  # Bo is a member, Ada is not
    made = api.post("/api/v1/saved-searches", json={"name": f"Payroll {people['tag']}", "filters": {"q": "lønn"}})
    assert made.status_code == 201, made.text
    search = made.json()
    assert (search["shared"], search["shared_group_id"]) == (False, None)

    shared = api.patch(f"/api/v1/saved-searches/{search['id']}", json={"shared_group_id": payroll["id"]})
    assert shared.status_code == 200 and shared.json()["shared_group_id"] == payroll["id"], shared.text
    listed = [f["id"] for f in bo.get("/api/v1/saved-searches").json()["items"]]
    assert search["id"] in listed
    assert bo.get(f"/api/v1/saved-searches/{search['id']}/count").status_code == 200
    assert bo.patch(f"/api/v1/saved-searches/{search['id']}", json={"name": "Bo's now"}).status_code == 403
    assert bo.delete(f"/api/v1/saved-searches/{search['id']}").status_code == 403
    # not a member: as if it did not exist
    assert search["id"] not in [f["id"] for f in ada.get("/api/v1/saved-searches").json()["items"]]
    assert ada.get(f"/api/v1/saved-searches/{search['id']}").status_code == 404
    assert ada.get(f"/api/v1/saved-searches/{search['id']}/cases").status_code == 404

    # everyone and one group at once, or a group that does not exist: refused, nothing changed
    both = api.patch(f"/api/v1/saved-searches/{search['id']}", json={"shared": True})
    assert both.status_code == 422 and both.json()["error"]["code"] == "validation_error", both.text
    missing = api.patch(f"/api/v1/saved-searches/{search['id']}", json={"shared_group_id": 99_999_999})
    assert missing.status_code == 422, missing.text
    now = api.get(f"/api/v1/saved-searches/{search['id']}").json()
    assert (now["shared"], now["shared_group_id"]) == (False, payroll["id"])

    # shared with everyone instead; then personal again (null takes the group off)
    team = api.patch(f"/api/v1/saved-searches/{search['id']}", json={"shared": True, "shared_group_id": None})
    assert team.status_code == 200 and (team.json()["shared"], team.json()["shared_group_id"]) == (True, None)
    assert ada.get(f"/api/v1/saved-searches/{search['id']}").status_code == 200
    personal = api.patch(f"/api/v1/saved-searches/{search['id']}", json={"shared": False})
    assert personal.status_code == 200
    assert bo.get(f"/api/v1/saved-searches/{search['id']}").status_code == 404


def test_agent_ui_inbox_sidebar_and_search(stack: Stack, api: httpx.Client, admin_agent: dict[str, Any]) -> None:
    import re

    tag = uuid.uuid4().hex[:6]
    mine = _case(api, title=f"Sidebar {tag} kjøleskap", assignee_id=admin_agent["id"], description="Det lekker")
    with httpx.Client(base_url=stack.base_url, timeout=20) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        login = {"email": "admin@example.com", "password": stack.admin_password, "csrf_token": token.group(1)}
        assert client.post("/login", data={**login, "next": "/"}).status_code == 303
        home = client.get("/")
        assert home.status_code == 200
        assert 'aria-label="Views"' in home.text and "My open cases" in home.text
        mine_page = client.get("/", params={"view": "mine"})
        assert f"/cases/{mine['id']}" in mine_page.text and 'aria-current="page"' in mine_page.text
        found = client.get("/", params={"q": f"kjøleskap {tag}"})
        assert f"/cases/{mine['id']}" in found.text and "<mark>" in found.text
        assert client.get("/", params={"q": "!!"}).status_code == 200  # no word: an empty result, not an error
