"""Roles (decisions 0195, 0196): admin, agent and light agent through the API and the agent UI.

An admin runs the desk; an agent works the cases; a light agent reads the cases of their own groups and writes
internal notes only. A key acts with at most its agent's role, and the last active admin stays one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack
from playwright.sync_api import Browser, expect

from gateway import access
from gateway.domain import api_keys

MISSING = 987_654_321
PASSWORD = "correct horse battery staple 7"
# a plain form (no htmx) with the note form's fields, but public: what a light agent could forge in devtools
CRAFT_PUBLIC_REPLY = """note => {
    const forged = document.createElement("form");
    forged.method = "post";
    forged.action = note.action;
    for (const [name, value] of new FormData(note)) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = name === "visibility" ? "public" : name === "body" ? "Crafted public reply" : value;
        forged.appendChild(input);
    }
    document.body.appendChild(forged);
    forged.submit();
}"""


def _key(stack: Stack, email: str | None, *, is_admin: bool = False) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(),
        name=f"key of {email}",
        scopes=list(api_keys.ALL_SCOPES),
        is_admin=is_admin,
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


def _forbidden(resp: httpx.Response, needed: str) -> None:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "role_forbidden", error
    assert error["details"]["needed"] == needed, error
    assert f"needs an {needed}" in error["message"], error


@pytest.fixture(scope="module")
def world(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]

    def made(resp: httpx.Response) -> dict[str, Any]:
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    agent = made(api.post("/api/v1/agents", json={"email": f"ag-{tag}@example.com", "name": "Agnes", "role": "agent"}))
    light = made(
        api.post("/api/v1/agents", json={"email": f"li-{tag}@example.com", "name": "Lise", "role": "light_agent"})
    )
    field = made(api.post("/api/v1/groups", json={"name": f"Field {tag}", "member_ids": [light["id"], agent["id"]]}))
    other = made(api.post("/api/v1/groups", json={"name": f"Other {tag}", "member_ids": [agent["id"]]}))
    requester = f"kari-{tag}@example.no"
    cases = {
        name: made(api.post("/api/v1/cases", json={"title": f"{name} {tag}", "requester_email": requester, **extra}))
        for name, extra in (
            ("in field", {"group_id": field["id"]}),
            ("in other", {"group_id": other["id"]}),
            ("in no group", {}),
        )
    }
    with (
        _key(stack, agent["email"]) as agent_api,
        _key(stack, light["email"]) as light_api,
        _key(stack, agent["email"], is_admin=True) as capped_api,
    ):
        yield {
            "tag": tag,
            "agent": agent,
            "light": light,
            "field": field,
            "cases": cases,
            "agent_api": agent_api,
            "light_api": light_api,
            "capped_api": capped_api,
        }


def test_role_replaces_is_admin_and_is_admin_stays_readable(api: httpx.Client, world: dict[str, Any]) -> None:
    light = world["light"]
    assert (light["role"], light["is_admin"]) == ("light_agent", False)
    listed = {a["id"]: a for a in api.get("/api/v1/agents").json()["items"]}
    assert listed[light["id"]]["role"] == "light_agent"
    assert {a["is_admin"] for a in listed.values() if a["role"] == "admin"} == {True}
    # the deprecated flag is still accepted on writes while it says something unambiguous
    tag = uuid.uuid4().hex[:6]
    old_style = api.post("/api/v1/agents", json={"email": f"old-{tag}@example.com", "name": "Old", "is_admin": True})
    assert old_style.status_code == 201, old_style.text
    assert (old_style.json()["role"], old_style.json()["is_admin"]) == ("admin", True)
    demoted = api.patch(f"/api/v1/agents/{old_style.json()['id']}", json={"is_admin": False})
    assert demoted.status_code == 200 and demoted.json()["role"] == "agent", demoted.text
    contradiction = api.patch(f"/api/v1/agents/{light['id']}", json={"role": "agent", "is_admin": True})
    assert contradiction.status_code == 422, contradiction.text
    assert contradiction.json()["error"]["code"] == "validation_error"
    unknown = api.patch(f"/api/v1/agents/{light['id']}", json={"role": "owner"})
    assert unknown.status_code == 422, unknown.text
    assert {a["id"]: a["role"] for a in api.get("/api/v1/agents").json()["items"]}[light["id"]] == "light_agent"


def test_the_openapi_document_names_the_roles_and_the_403(api: httpx.Client) -> None:
    spec = api.get("/api/v1/openapi.json").json()
    assert "light_agent" in spec["info"]["description"]
    assert spec["components"]["schemas"]["AgentRole"]["enum"] == ["admin", "agent", "light_agent"]
    create = spec["paths"]["/api/v1/agents"]["post"]
    assert "403" in create["responses"]
    assert create["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    read = spec["components"]["schemas"]["AgentRead"]["properties"]
    assert read["is_admin"]["deprecated"] is True and "role" in read


def test_every_admin_call_by_a_non_admin_answers_403(api: httpx.Client, world: dict[str, Any]) -> None:
    """An agent's key, a light agent's key, and an admin key linked to a non-admin agent are refused alike."""
    light_id = world["light"]["id"]
    calls = [
        ("POST", "/api/v1/groups", {"name": f"Not made {world['tag']}"}),
        ("POST", "/api/v1/agents", {"email": f"no-{world['tag']}@example.com", "name": "No"}),
        ("PATCH", f"/api/v1/agents/{light_id}", {"role": "admin"}),
        ("POST", f"/api/v1/agents/{light_id}/deactivate", None),
        ("POST", "/api/v1/case-statuses", {"name": "Nope", "category": "open"}),
        ("GET", "/api/v1/deliveries", None),
        ("GET", "/api/v1/mailboxes", None),
        ("POST", "/api/v1/sla-policies", {"name": "Nope"}),
        ("DELETE", "/api/v1/api-keys/1", None),
    ]
    for client in (world["agent_api"], world["capped_api"]):
        for method, path, body in calls:
            _forbidden(client.request(method, path, json=body), "admin")
    for method, path, body in calls:
        resp = world["light_api"].request(method, path, json=body)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "role_forbidden", (path, resp.text)
    # nothing changed
    assert {a["id"]: a["role"] for a in api.get("/api/v1/agents").json()["items"]}[light_id] == "light_agent"
    assert f"Not made {world['tag']}" not in str(api.get("/api/v1/groups").json())


def test_an_agent_renames_an_organisation_but_only_an_admin_sets_its_mail_domains(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    """The domains decide whose replies join a member's case publicly, so they are an admin's to set."""
    agent_api = world["agent_api"]
    made = agent_api.post("/api/v1/organisations", json={"name": f"Acme {world['tag']}"})
    assert made.status_code == 201, made.text
    org = made.json()
    renamed = agent_api.put(f"/api/v1/organisations/{org['id']}", json={"name": f"Acme AS {world['tag']}"})
    assert renamed.status_code == 200 and renamed.json()["name"] == f"Acme AS {world['tag']}", renamed.text

    trusted = {"name": f"Acme AS {world['tag']}", "domains": ["acme.example"], "colleagues_join_publicly": True}
    _forbidden(agent_api.put(f"/api/v1/organisations/{org['id']}", json=trusted), "admin")
    _forbidden(agent_api.post("/api/v1/organisations", json={**trusted, "name": f"Other {world['tag']}"}), "admin")
    unchanged = api.get(f"/api/v1/organisations/{org['id']}").json()
    assert unchanged["domains"] == [] and unchanged["colleagues_join_publicly"] is False
    assert f"Other {world['tag']}" not in str(api.get("/api/v1/organisations").json())

    set_by_admin = api.put(f"/api/v1/organisations/{org['id']}", json=trusted)
    assert set_by_admin.status_code == 200 and set_by_admin.json()["domains"] == ["acme.example"], set_by_admin.text
    # the agent may still rename it, keeping what the admin set
    again = agent_api.put(f"/api/v1/organisations/{org['id']}", json={**trusted, "name": f"Acme {world['tag']}"})
    assert again.status_code == 200 and again.json()["domains"] == ["acme.example"], again.text


def test_a_key_acts_with_at_most_its_agents_role(api: httpx.Client, world: dict[str, Any]) -> None:
    capped = world["capped_api"]
    group = {"name": f"Capped {world['tag']}"}
    _forbidden(capped.post("/api/v1/groups", json=group), "admin")
    promoted = api.patch(f"/api/v1/agents/{world['agent']['id']}", json={"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    try:
        made = capped.post("/api/v1/groups", json=group)  # the agent is an admin now: so is the key
        assert made.status_code == 201, made.text
        # an agent's key that is no admin key stays no admin, whatever the agent's role
        _forbidden(world["agent_api"].post("/api/v1/groups", json={"name": f"Plain {world['tag']}"}), "admin")
    finally:
        back = api.patch(f"/api/v1/agents/{world['agent']['id']}", json={"role": "agent"})
        assert back.status_code == 200, back.text
    _forbidden(capped.post("/api/v1/groups", json={"name": f"Again {world['tag']}"}), "admin")


def test_the_last_active_admin_keeps_the_role_and_stays_active(stack: Stack, api: httpx.Client) -> None:
    agents = api.get("/api/v1/agents").json()["items"]
    admins = [a for a in agents if a["role"] == "admin"]
    seeded = next(a for a in admins if a["email"] == ADMIN_EMAIL)
    tag = uuid.uuid4().hex[:6]
    # a second admin may lose the role while the seeded one remains
    second = api.post("/api/v1/agents", json={"email": f"ad-{tag}@example.com", "name": "Ad", "role": "admin"}).json()
    assert api.patch(f"/api/v1/agents/{second['id']}", json={"role": "agent"}).json()["role"] == "agent"
    for others in [a for a in admins if a["id"] != seeded["id"]]:  # earlier tests' admins, if any
        assert api.patch(f"/api/v1/agents/{others['id']}", json={"role": "agent"}).status_code == 200
    for body in ({"role": "agent"}, {"role": "light_agent"}, {"is_admin": False}, {"active": False}):
        resp = api.patch(f"/api/v1/agents/{seeded['id']}", json=body)
        assert resp.status_code == 409, (body, resp.text)
        assert resp.json()["error"]["code"] == "last_admin", resp.text
        assert "last active admin" in resp.json()["error"]["message"]
    with _key(stack, None, is_admin=True) as keyholder:  # an admin key of no agent may deactivate agents
        resp = keyholder.post(f"/api/v1/agents/{seeded['id']}/deactivate")
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "last_admin", resp.text
    after = {a["id"]: a for a in api.get("/api/v1/agents").json()["items"]}
    assert after[seeded["id"]]["role"] == "admin"  # still there (active) and still an admin


def test_a_light_agent_sees_only_their_groups_cases(api: httpx.Client, world: dict[str, Any]) -> None:
    light = world["light_api"]
    cases = world["cases"]
    mine = cases["in field"]["id"]
    assert light.get(f"/api/v1/cases/{mine}").status_code == 200
    assert light.get(f"/api/v1/cases/{mine}/messages").status_code == 200
    for name in ("in other", "in no group"):
        hidden_id = cases[name]["id"]
        hidden = light.get(f"/api/v1/cases/{hidden_id}")
        missing = light.get(f"/api/v1/cases/{MISSING}")
        assert hidden.status_code == 404 == missing.status_code, hidden.text
        assert hidden.text.replace(str(hidden_id), "N") == missing.text.replace(str(MISSING), "N")
        assert light.get(f"/api/v1/cases/{hidden_id}/history").status_code == 404
        assert world["agent_api"].get(f"/api/v1/cases/{hidden_id}").status_code == 200  # an agent sees them
    listed = light.get("/api/v1/cases", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    assert {c["id"] for c in listed.json()["items"]} == {mine}
    found = light.get("/api/v1/search", params={"q": world["tag"]})
    assert found.status_code == 200, found.text
    assert {hit["case"]["id"] for hit in found.json()["items"]} <= {mine}


def test_a_light_agent_writes_internal_notes_only(api: httpx.Client, world: dict[str, Any]) -> None:
    light = world["light_api"]
    case = world["cases"]["in field"]
    path = f"/api/v1/cases/{case['id']}"
    note = light.post(f"{path}/messages", json={"body": "Checked the site", "visibility": "internal"})
    assert note.status_code == 201, note.text
    _forbidden(light.post(f"{path}/messages", json={"body": "Dear customer", "visibility": "public"}), "agent")
    _forbidden(light.patch(path, json={"priority": "urgent"}), "agent")
    _forbidden(light.post("/api/v1/cases", json={"title": "Mine", "group_id": world["field"]["id"]}), "agent")
    _forbidden(light.post(f"{path}/tasks", json={"title": "A task"}), "agent")
    _forbidden(light.post(f"{path}/time", json={"minutes": 5}), "agent")
    _forbidden(light.get("/api/v1/reports/open-cases"), "agent")
    # their own saved searches are theirs to keep
    saved = light.post("/api/v1/saved-searches", json={"name": f"Field {world['tag']}", "filters": {}})
    assert saved.status_code == 201, saved.text
    # only the internal note reached the case, and the case is unchanged
    bodies = [(m["visibility"], m["body_text"]) for m in api.get(f"{path}/messages").json()["items"]]
    assert bodies == [("internal", "Checked the site")]
    assert api.get(path).json()["priority"] == case["priority"]


def test_a_case_cannot_be_assigned_to_a_light_agent(api: httpx.Client, world: dict[str, Any]) -> None:
    case = world["cases"]["in field"]
    resp = api.patch(
        f"/api/v1/cases/{case['id']}", json={"assignee_id": world["light"]["id"]}, headers={"If-Match": "*"}
    )
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "light_agent_not_assignable" and "light agent" in error["message"], error
    new = {"title": "Assigned", "requester_email": "x@example.no", "assignee_id": world["light"]["id"]}
    assert api.post("/api/v1/cases", json=new).json()["error"]["code"] == "light_agent_not_assignable"
    assert api.get(f"/api/v1/cases/{case['id']}").json()["assignee"] is None


def test_a_light_agents_pages_offer_the_internal_note_only(stack: Stack, world: dict[str, Any]) -> None:
    case = world["cases"]["in field"]
    with closing(_browser(stack, world["light"]["email"])) as light:
        page = light.get(f"/cases/{case['id']}")
        assert page.status_code == 200, page.text
        assert 'value="internal"' in page.text and "Add note" in page.text
        assert 'value="public"' not in page.text and "Send reply" not in page.text
        assert "Save changes" not in page.text and 'action="/cases/new"' not in page.text
        token = _csrf(page.text)
        reply = light.post(
            f"/cases/{case['id']}/messages", data={"csrf_token": token, "body": "Crafted", "visibility": "public"}
        )
        assert reply.status_code == 403 and "Not allowed for your role" in reply.text, reply.text
        change = light.post(f"/cases/{case['id']}", data={"csrf_token": token, "priority": "urgent"})
        assert change.status_code == 403, change.text
        assert light.get("/dashboard").status_code == 403
        assert light.get(f"/cases/{world['cases']['in other']['id']}").status_code == 404
        form = {"csrf_token": token, "body": "Seen on site", "visibility": "internal"}
        note = light.post(f"/cases/{case['id']}/messages", data=form)
        assert note.status_code == 303, note.text


@pytest.mark.browser
def test_a_light_agent_in_the_browser_has_the_internal_note_and_a_crafted_reply_is_refused(
    stack: Stack, chromium: Browser, world: dict[str, Any]
) -> None:
    case = world["cases"]["in field"]
    access.set_agent_password(factory=stack.db(), email=world["light"]["email"], password=PASSWORD)
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=stack.base_url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(world["light"]["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        expect(page.get_by_role("link", name="New case")).to_have_count(0)
        page.goto(f"/cases/{case['id']}")
        expect(page.get_by_role("tab", name="Internal note")).to_be_visible()
        expect(page.get_by_role("form", name="Reply to the requester")).to_have_count(0)
        expect(page.get_by_role("tab", name="Reply")).to_have_count(0)
        expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
        page.get_by_label("Note (agents only, never sent to the requester)").fill("Browser note from Lise")
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_text("Browser note from Lise")).to_be_visible()
        # a public reply crafted from the page's own form (its CSRF token, visibility switched) is refused
        with page.expect_navigation():
            page.eval_on_selector('form[action$="/messages"]', CRAFT_PUBLIC_REPLY)
        expect(page.get_by_role("heading", name="Not allowed for your role")).to_be_visible()
        expect(page.get_by_text("needs an agent or an admin")).to_be_visible()
        page.goto(f"/cases/{case['id']}")
        expect(page.get_by_text("Crafted public reply")).to_have_count(0)
    finally:
        context.close()


def test_an_agents_time_counts_only_cases_the_caller_may_see(api: httpx.Client, world: dict[str, Any]) -> None:
    agent_api, agent_id = world["agent_api"], world["agent"]["id"]
    cases = world["cases"]
    for name, minutes in (("in field", 10), ("in other", 20), ("in no group", 40)):
        logged = agent_api.post(f"/api/v1/cases/{cases[name]['id']}/time", json={"minutes": minutes})
        assert logged.status_code == 201, logged.text
    assert api.get(f"/api/v1/agents/{agent_id}/time").json()["minutes"] == 70  # an admin sees every case
    assert agent_api.get(f"/api/v1/agents/{agent_id}/time").json()["minutes"] == 70
    seen_by_light = world["light_api"].get(f"/api/v1/agents/{agent_id}/time")
    assert seen_by_light.status_code == 200, seen_by_light.text
    assert seen_by_light.json()["minutes"] == 10  # only the case of the light agent's group


def test_deactivating_an_agent_ends_their_open_live_stream(stack: Stack, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    leaving = api.post("/api/v1/agents", json={"email": f"leaving-{tag}@example.com", "name": "Leaving"}).json()
    with _key(stack, leaving["email"]) as client, client.stream("GET", "/api/v1/stream") as stream:
        assert stream.status_code == 200, stream.read()
        lines = stream.iter_lines()
        assert next(lines) == "event: unread"
        deactivated = api.post(f"/api/v1/agents/{leaving['id']}/deactivate")
        assert deactivated.status_code == 200, deactivated.text
        rest = list(lines)  # returns once the server ends the stream (a read timeout would fail the test)
    assert not any(line.startswith("event: notification") for line in rest), rest
    with _key(stack, leaving["email"]) as client:
        assert client.get("/api/v1/stream").status_code == 401  # and it cannot be opened again
