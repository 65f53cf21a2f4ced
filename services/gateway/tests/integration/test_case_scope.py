"""Restricted-group scoping of every route that reaches a case by id (decision 0115).

An agent who may not see a case gets exactly the answer of a missing case on every read and write
route, API and UI; members and admins reach it. The API routes are taken from the OpenAPI document,
so a route added later is tested without touching this file."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from conftest import Stack

from gateway import access
from gateway.domain import api_keys

MISSING = 987_654_321
PASSWORD = "correct horse battery staple 6"
METHODS = ("get", "post", "put", "patch", "delete")
OTHER_PARAMS = {"task_id": "1", "attachment_id": "1", "message_id": "1", "sha256": "0" * 64}
UI_ROUTES = [
    ("get", "/cases/{id}"),
    ("get", "/cases/{id}/history"),
    ("post", "/cases/{id}"),
    ("post", "/cases/{id}/messages"),
    ("get", "/cases/{id}/attachments/1"),
    ("get", "/cases/{id}/messages/1/attachments/" + "0" * 64),
    ("post", "/cases/{id}/tasks"),
    ("post", "/cases/{id}/tasks/1/done"),
    ("post", "/cases/{id}/time"),
    ("post", "/cases/{id}/timer/start"),
    ("post", "/cases/{id}/attachments"),
    ("post", "/cases/{id}/merge"),
    ("post", "/cases/{id}/links"),
    ("post", "/cases/{id}/forwards"),
]


def _key(stack: Stack, email: str) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(),
        name=f"agent {email}",
        scopes=list(api_keys.ALL_SCOPES),
        agent_email=email,
    )
    return stack.client(secret)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _browser(stack: Stack, email: str) -> httpx.Client:
    access.set_agent_password(factory=stack.db(), email=email, password=PASSWORD)
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    token = _csrf(client.get("/login").text)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert resp.status_code == 303, resp.text
    return client


@pytest.fixture(scope="module")
def world(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    ada = api.post("/api/v1/agents", json={"email": f"ada-{tag}@example.com", "name": "Ada"}).json()
    bo = api.post("/api/v1/agents", json={"email": f"bo-{tag}@example.com", "name": "Bo"}).json()
    payroll = api.post("/api/v1/groups", json={"name": f"Lønn {tag}", "restricted": True, "member_ids": [bo["id"]]})
    assert payroll.status_code == 201, payroll.text
    made = api.post(
        "/api/v1/cases",
        json={
            "title": f"Lønnsslipp {tag}",
            "requester_email": f"kari-{tag}@example.no",
            "group_id": payroll.json()["id"],
        },
    )
    assert made.status_code == 201, made.text
    with _key(stack, ada["email"]) as ada_api, _key(stack, bo["email"]) as bo_api:
        yield {"ada": ada, "bo": bo, "case": made.json(), "ada_api": ada_api, "bo_api": bo_api}


def _api_routes(api: httpx.Client) -> list[tuple[str, str]]:
    spec = api.get("/api/v1/openapi.json").json()
    found = []
    for path, item in spec["paths"].items():
        if "{case_id}" not in path:
            continue
        for method in METHODS:
            if method in item:
                for name, value in OTHER_PARAMS.items():
                    path = path.replace("{" + name + "}", value)
                found.append((method, path))
    return found


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    if method in ("get", "delete"):
        return client.request(method.upper(), path)
    return client.request(method.upper(), path, **kwargs)


def test_every_api_route_of_a_hidden_case_answers_like_a_missing_case(api: httpx.Client, world: dict[str, Any]) -> None:
    routes = _api_routes(api)
    assert len(routes) >= 20, routes  # the case, messages, history, tasks, attachments, time, links, SLA, ...
    case_id = world["case"]["id"]
    ada, bo = world["ada_api"], world["bo_api"]
    for method, template in routes:
        hidden = _call(ada, method, template.replace("{case_id}", str(case_id)), json={})
        missing = _call(ada, method, template.replace("{case_id}", str(MISSING)), json={})
        assert hidden.status_code == 404, (method, template, hidden.status_code, hidden.text)
        assert missing.status_code == 404, (method, template, missing.status_code, missing.text)
        assert hidden.json() == {
            "error": {
                **missing.json()["error"],
                "message": f"case {case_id} not found",
                "details": {"case_id": case_id},
            }
        }, (method, template)
        assert missing.json()["error"]["code"] == "not_found"
    # the member (Bo) and the admin key reach the case's reads
    for tail in ("", "/messages", "/history", "/tasks", "/attachments", "/time", "/links", "/sla"):
        path = f"/api/v1/cases/{case_id}{tail}"
        assert ("get", f"/api/v1/cases/{{case_id}}{tail}") in routes
        assert bo.get(path).status_code == 200, (path, bo.get(path).text)
        assert api.get(path).status_code == 200, path
    # writes by a member go through
    note = bo.post(f"/api/v1/cases/{case_id}/messages", json={"body": "checked", "visibility": "internal"})
    assert note.status_code == 201, note.text
    task = bo.post(f"/api/v1/cases/{case_id}/tasks", json={"title": "Ring Kari"})
    assert task.status_code == 201, task.text
    # and the hidden case was not changed by Ada's attempts
    messages = api.get(f"/api/v1/cases/{case_id}/messages").json()["items"]
    assert [m["body_text"] for m in messages] == ["checked"]
    assert [t["title"] for t in api.get(f"/api/v1/cases/{case_id}/tasks").json()["items"]] == ["Ring Kari"]


def test_every_ui_route_of_a_hidden_case_answers_like_a_missing_case(stack: Stack, world: dict[str, Any]) -> None:
    case_id = world["case"]["id"]
    with closing(_browser(stack, world["ada"]["email"])) as ada, closing(_browser(stack, world["bo"]["email"])) as bo:
        token = _csrf(ada.get("/").text)
        for method, template in UI_ROUTES:
            form = {"csrf_token": token, "body": "sneaky", "visibility": "internal", "title": "sneaky"}
            hidden = _call(ada, method, template.replace("{id}", str(case_id)), data=form)
            missing = _call(ada, method, template.replace("{id}", str(MISSING)), data=form)
            assert hidden.status_code == 404, (method, template, hidden.status_code)
            assert missing.status_code == 404, (method, template, missing.status_code)
            assert "Case not found" in hidden.text
            assert world["case"]["title"] not in hidden.text
        hidden_page = ada.get(f"/cases/{case_id}").text.replace(f"id {case_id}.", "id N.")
        assert hidden_page == ada.get(f"/cases/{MISSING}").text.replace(f"id {MISSING}.", "id N.")
        page = bo.get(f"/cases/{case_id}")
        assert page.status_code == 200 and world["case"]["title"] in page.text
        assert bo.get(f"/cases/{case_id}/history").status_code == 200


def test_a_hidden_case_cannot_be_merged_or_linked_from_a_visible_one(
    stack: Stack, api: httpx.Client, world: dict[str, Any]
) -> None:
    hidden_id = world["case"]["id"]
    mine = api.post("/api/v1/cases", json={"title": "Ada's own", "assignee_id": world["ada"]["id"]}).json()
    ada = world["ada_api"]

    def body(resp: httpx.Response, other: int) -> Any:
        return resp.status_code, resp.text.replace(str(other), "N")

    for tail, field in (("merge", "duplicate_id"), ("links", "other_case_id")):
        hidden = ada.post(f"/api/v1/cases/{mine['id']}/{tail}", json={field: hidden_id})
        missing = ada.post(f"/api/v1/cases/{mine['id']}/{tail}", json={field: MISSING})
        assert hidden.status_code == 404, (tail, hidden.text)
        assert body(hidden, hidden_id) == body(missing, MISSING), tail
    with closing(_browser(stack, world["ada"]["email"])) as browser:
        token = _csrf(browser.get(f"/cases/{mine['id']}").text)
        for tail, field in (("merge", "duplicate_id"), ("links", "other_case_id")):
            form = {"csrf_token": token, field: str(hidden_id)}
            hidden = browser.post(f"/cases/{mine['id']}/{tail}", data=form)
            missing = browser.post(f"/cases/{mine['id']}/{tail}", data={**form, field: str(MISSING)})
            assert hidden.status_code != 303, (tail, hidden.status_code)
            assert body(hidden, hidden_id) == body(missing, MISSING), tail
    # the hidden case is untouched: open, not merged, no links
    assert api.get(f"/api/v1/cases/{hidden_id}").json()["status"] != "closed"
    links = api.get(f"/api/v1/cases/{hidden_id}/links").json()
    assert (links["related"], links["merged_into"], links["parent_id"]) == ([], None, None), links
    # a member may link it (both cases visible to Bo)
    linked = world["bo_api"].post(f"/api/v1/cases/{hidden_id}/links", json={"other_case_id": mine["id"]})
    assert linked.status_code == 201, linked.text
    assert api.get(f"/api/v1/cases/{hidden_id}/links").json()["related"] == [mine["id"]]


def test_links_and_close_with_children_leave_out_cases_the_caller_may_not_see(
    stack: Stack, api: httpx.Client, world: dict[str, Any]
) -> None:
    """Decision 0125: a visible case's links name no hidden case, and closing a visible master closes only the
    children the caller may see (the others are counted, not named); members and admins see every link."""
    group_id = world["case"]["group"]["id"]
    tag = uuid.uuid4().hex[:6]

    def case(title: str, **extra: Any) -> dict[str, Any]:
        made = api.post(
            "/api/v1/cases", json={"title": f"{title} {tag}", "requester_email": f"p-{tag}@example.no", **extra}
        )
        assert made.status_code == 201, made.text
        return dict(made.json())

    def link(case_id: int, other: int, kind: str) -> None:
        resp = api.post(f"/api/v1/cases/{case_id}/links", json={"other_case_id": other, "kind": kind})
        assert resp.status_code == 201, resp.text

    master = case("Master", assignee_id=world["ada"]["id"])
    seen_child, hidden_child = case("Seen child"), case("Hidden child", group_id=group_id)
    seen_related, hidden_related = case("Seen related"), case("Hidden related", group_id=group_id)
    for child in (seen_child, hidden_child):
        link(child["id"], master["id"], "parent")
    for related in (seen_related, hidden_related):
        link(master["id"], related["id"], "related")
    ada, bo = world["ada_api"], world["bo_api"]
    path = f"/api/v1/cases/{master['id']}/links"

    everything = {
        "children": sorted([seen_child["id"], hidden_child["id"]]),
        "related": sorted([seen_related["id"], hidden_related["id"]]),
    }
    for client in (api, bo):  # the admin key and the group's member
        links = client.get(path).json()
        assert {k: links[k] for k in everything} == everything, links
    links = ada.get(path)
    assert links.status_code == 200, links.text
    assert (links.json()["children"], links.json()["related"]) == ([seen_child["id"]], [seen_related["id"]])
    # a visible master is still named from a visible child
    assert ada.get(f"/api/v1/cases/{seen_child['id']}/links").json()["parent_id"] == master["id"]
    # the UI case page's links panel names no hidden case either
    with closing(_browser(stack, world["ada"]["email"])) as browser:
        page = browser.get(f"/cases/{master['id']}").text
        assert f'href="/cases/{seen_child["id"]}"' in page and f'href="/cases/{seen_related["id"]}"' in page
        for hidden in (hidden_child, hidden_related):
            assert f'href="/cases/{hidden["id"]}"' not in page

    closed = ada.post(f"/api/v1/cases/{master['id']}/close-with-children")
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["case"]["status"] == "closed"
    assert [c["id"] for c in result["closed_children"]] == [seen_child["id"]]
    assert result["hidden_children_left_open"] == 1
    assert hidden_child["title"] not in closed.text and f'"id":{hidden_child["id"]},' not in closed.text
    assert api.get(f"/api/v1/cases/{seen_child['id']}").json()["status"] == "closed"
    assert api.get(f"/api/v1/cases/{hidden_child['id']}").json()["status"] != "closed"
    history = api.get(f"/api/v1/cases/{hidden_child['id']}/history").json()
    assert "closed_with_master" not in str(history), history
    # a member closing it again closes the child left open (nothing hidden from Bo)
    again = bo.post(f"/api/v1/cases/{master['id']}/close-with-children")
    assert again.status_code == 200, again.text
    assert [c["id"] for c in again.json()["closed_children"]] == [hidden_child["id"]]
    assert again.json()["hidden_children_left_open"] == 0


def test_a_hidden_case_cannot_be_made_a_master_and_answers_like_a_missing_one(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    """`parent_id` naming a hidden case, on create and on change, answers exactly as an unknown id."""
    hidden_id = world["case"]["id"]
    ada = world["ada_api"]

    def body(resp: httpx.Response, other: int) -> Any:
        return resp.status_code, resp.text.replace(str(other), "N")

    new = {"title": "Ada's child", "requester_email": "per@example.no"}
    hidden = ada.post("/api/v1/cases", json={**new, "parent_id": hidden_id})
    missing = ada.post("/api/v1/cases", json={**new, "parent_id": MISSING})
    assert hidden.status_code == 422, hidden.text
    assert body(hidden, hidden_id) == body(missing, MISSING)
    assert missing.json()["error"]["message"] == f"no parent {MISSING}"

    mine = api.post("/api/v1/cases", json={"title": "Ada's own", "assignee_id": world["ada"]["id"]}).json()
    hidden = ada.patch(f"/api/v1/cases/{mine['id']}", json={"parent_id": hidden_id})
    missing = ada.patch(f"/api/v1/cases/{mine['id']}", json={"parent_id": MISSING})
    assert hidden.status_code == 422, hidden.text
    assert body(hidden, hidden_id) == body(missing, MISSING)
    assert api.get(f"/api/v1/cases/{mine['id']}").json()["parent_id"] is None
    assert api.get(f"/api/v1/cases/{hidden_id}/links").json()["children"] == []
    # the member may make it the master
    child = world["bo_api"].post("/api/v1/cases", json={**new, "parent_id": hidden_id})
    assert child.status_code == 201, child.text
    assert child.json()["parent_id"] == hidden_id


def test_the_open_cases_report_leaves_out_groups_the_caller_may_not_see(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    """The report counts only cases the caller may see: no restricted group's name or count for a non-member."""
    group_id = world["case"]["group"]["id"]

    def restricted_rows(client: httpx.Client) -> list[dict[str, Any]]:
        resp = client.get("/api/v1/reports/open-cases")
        assert resp.status_code == 200, resp.text
        return [g for g in resp.json()["by_group"] if g["group_id"] == group_id]

    deadline = time.monotonic() + 15
    while not restricted_rows(api):  # the report is built from events
        assert time.monotonic() < deadline, "the restricted group never reached the report"
        time.sleep(0.2)
    assert restricted_rows(world["bo_api"]) == restricted_rows(api)
    ada = world["ada_api"].get("/api/v1/reports/open-cases").json()
    assert restricted_rows(world["ada_api"]) == []
    assert world["case"]["group"]["name"] not in str(ada)
    assert sum(ada["by_status"].values()) == ada["total"]
    while True:  # the totals of a quiet moment (events of the tests before may still arrive)
        before = api.get("/api/v1/reports/open-cases").json()
        ada = world["ada_api"].get("/api/v1/reports/open-cases").json()
        if before == api.get("/api/v1/reports/open-cases").json():
            break
        assert time.monotonic() < deadline + 15, "the report never settled"
        time.sleep(0.2)
    hidden_count = next(g["count"] for g in before["by_group"] if g["group_id"] == group_id)
    assert ada["total"] == before["total"] - hidden_count
