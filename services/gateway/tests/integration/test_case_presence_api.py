"""Who else has a case open and who is typing (decision 0247), and a case's changes pushed to its open pages
(0248): an open stream on a case makes its agent a viewer, `GET /api/v1/cases/{id}/viewers` lists them, scoped
like reading the case; entries of a vanished page expire; two gateway processes share them."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, wait_until
from redis.asyncio import Redis

from chassis.testing import ServiceProcess, free_port
from gateway import access
from gateway.domain import api_keys
from gateway.presence import Presence
from gateway.settings import GatewaySettings

PASSWORD = "correct horse battery staple 8"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _key(stack: Stack, email: str, base_url: str | None = None) -> httpx.Client:
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"agent {email}", scopes=list(api_keys.ALL_SCOPES), agent_email=email
    )
    client = stack.client(secret)
    if base_url:
        client.base_url = httpx.URL(base_url)
    return client


@pytest.fixture(scope="module")
def team(stack: Stack, api: httpx.Client) -> Iterator[dict[str, Any]]:
    """Ada and Bo with keys acting as them; a case anyone may see and one of a restricted group only Bo is in."""
    tag = uuid.uuid4().hex[:6]
    ada = api.post("/api/v1/agents", json={"email": f"ada-{tag}@example.com", "name": "Ada"}).json()
    bo = api.post("/api/v1/agents", json={"email": f"bo-{tag}@example.com", "name": "Bo"}).json()
    payroll = api.post("/api/v1/groups", json={"name": f"Payroll {tag}", "restricted": True, "member_ids": [bo["id"]]})
    assert payroll.status_code == 201, payroll.text
    open_case = api.post("/api/v1/cases", json={"title": f"Printer {tag}"})
    hidden = api.post("/api/v1/cases", json={"title": f"Salary {tag}", "group_id": payroll.json()["id"]})
    assert open_case.status_code == hidden.status_code == 201, (open_case.text, hidden.text)
    with _key(stack, ada["email"]) as ada_api, _key(stack, bo["email"]) as bo_api:
        yield {
            "ada": ada,
            "bo": bo,
            "case": open_case.json(),
            "hidden": hidden.json(),
            "ada_api": ada_api,
            "bo_api": bo_api,
        }


def _viewers(client: httpx.Client, case_id: int) -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/cases/{case_id}/viewers")
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


def _next_event(lines: Iterator[str], name: str, wanted: Any = None) -> dict[str, Any]:
    """The data of the next `name` event on the stream for which `wanted(data)` holds (the read times out else)."""
    event = ""
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == name:
            data = json.loads(line.removeprefix("data: "))
            if wanted is None or wanted(data):
                return dict(data)
    raise AssertionError(f"the stream ended before a {name} event")


def test_an_open_case_stream_makes_me_a_viewer_who_can_type_and_closing_it_leaves(
    api: httpx.Client, team: dict[str, Any]
) -> None:
    case_id, ada, bo = team["case"]["id"], team["ada"], team["bo"]
    ada_api, bo_api = team["ada_api"], team["bo_api"]
    assert _viewers(bo_api, case_id) == []
    refused = bo_api.post(f"/api/v1/cases/{case_id}/typing")  # typing needs an open page of the case
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_viewing", refused.text

    with ada_api.stream("GET", f"/api/v1/stream?case_id={case_id}", timeout=30) as ada_stream:
        assert ada_stream.status_code == 200
        ada_lines = ada_stream.iter_lines()
        assert _next_event(ada_lines, "viewers") == {"viewers": []}  # nobody else yet
        [seen] = _viewers(bo_api, case_id)
        assert (seen["agent_id"], seen["name"], seen["typing"]) == (ada["id"], "Ada", False)
        assert seen["since"].endswith(("Z", "+00:00"))

        assert ada_api.post(f"/api/v1/cases/{case_id}/typing").status_code == 204
        assert [v["typing"] for v in _viewers(bo_api, case_id)] == [True]

        with bo_api.stream("GET", f"/api/v1/stream?case_id={case_id}", timeout=30) as bo_stream:
            assert bo_stream.status_code == 200
            bo_lines = bo_stream.iter_lines()
            # each sees the other (never themselves), Ada typing included
            mine = _next_event(bo_lines, "viewers")["viewers"]
            assert [(v["name"], v["typing"]) for v in mine] == [("Ada", True)]
            theirs = _next_event(ada_lines, "viewers", lambda d: d["viewers"])["viewers"]
            assert [v["agent_id"] for v in theirs] == [bo["id"]]
            assert bo_api.post(f"/api/v1/cases/{case_id}/typing").status_code == 204
            assert _next_event(ada_lines, "viewers", lambda d: d["viewers"] and d["viewers"][0]["typing"])

            # a change by someone else reaches the open pages: what, by whom, the new version; never the content
            now = api.get(f"/api/v1/cases/{case_id}").json()
            changed = bo_api.patch(
                f"/api/v1/cases/{case_id}", json={"priority": "urgent"}, headers={"If-Match": str(now["version"])}
            )
            assert changed.status_code == 200, changed.text
            push = _next_event(ada_lines, "case")
            assert push == {
                "case_id": case_id,
                "kind": "case_updated",
                "fields": ["priority"],
                "version": changed.json()["version"],
                "by": {"type": "agent", "id": bo["id"], "name": "Bo"},
            }
            note = bo_api.post(
                f"/api/v1/cases/{case_id}/messages", json={"body": "Quiet note", "visibility": "internal"}
            )
            assert note.status_code == 201, note.text
            added = _next_event(ada_lines, "case")
            assert added["kind"] == "message_added" and "Quiet note" not in json.dumps(added)
        # Bo's page closed: Ada's stream says so, and Bo is no viewer any more
        assert _next_event(ada_lines, "viewers", lambda d: d["viewers"] == []) == {"viewers": []}
        assert [v["agent_id"] for v in _viewers(api, case_id)] == [ada["id"]]

    wait_until(lambda: _viewers(bo_api, case_id) == [], timeout=15, what="Ada's closed page to leave")


def test_viewers_are_scoped_like_reading_the_case(api: httpx.Client, team: dict[str, Any]) -> None:
    hidden, ada_api, bo_api = team["hidden"]["id"], team["ada_api"], team["bo_api"]
    as_case = ada_api.get(f"/api/v1/cases/{hidden}")
    assert as_case.status_code == 404
    for answer in (
        ada_api.get(f"/api/v1/cases/{hidden}/viewers"),
        ada_api.post(f"/api/v1/cases/{hidden}/typing"),
        ada_api.get(f"/api/v1/stream?case_id={hidden}"),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json() == as_case.json()  # exactly the answer of reading the case: nothing learnt
    with bo_api.stream("GET", f"/api/v1/stream?case_id={hidden}", timeout=30) as member:
        assert member.status_code == 200
        lines = member.iter_lines()  # held: a dropped line iterator closes the stream
        assert _next_event(lines, "viewers") == {"viewers": []}
        assert [v["name"] for v in _viewers(api, hidden)] == ["Bo"]  # an admin sees every case
        assert [v["name"] for v in _viewers(bo_api, hidden)] == ["Bo"]
    missing = api.get("/api/v1/cases/987654321/viewers")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/stream?case_id=987654321").status_code == 404
    with httpx.Client(base_url=api.base_url) as anonymous:
        assert anonymous.get(f"/api/v1/cases/{hidden}/viewers").status_code == 401


def test_a_page_that_vanished_without_leaving_expires_while_an_open_one_stays() -> None:
    """A tab whose browser or gateway died never says goodbye: its entry goes at the TTL by itself."""
    settings = GatewaySettings()
    prefix = f"test:presence:{uuid.uuid4().hex}"

    async def scenario() -> None:
        redis = Redis.from_url(settings.redis_url)
        presence = Presence(redis, prefix=prefix, ttl_seconds=3, typing_seconds=1)
        try:
            gone = await presence.enter(case_id=5, agent_id=1, name="Gone")
            kept = await presence.enter(case_id=5, agent_id=2, name="Kept")
            await presence.typing(case_id=5, agent_id=1)
            assert [(v.name, v.typing) for v in await presence.viewers(5)] == [("Gone", True), ("Kept", False)]
            await asyncio.sleep(1.5)
            assert [v.typing for v in await presence.viewers(5)] == [False, False]  # typing fades on its own
            await presence.refresh(kept)  # an open page renews its entry, the vanished one does not
            await asyncio.sleep(2.0)
            assert [v.name for v in await presence.viewers(5)] == ["Kept"]
            await presence.leave(kept)
            assert await presence.viewers(5) == []
            await presence.refresh(gone)
            await asyncio.sleep(4.5)  # nothing renews it: the whole key goes, nothing is left behind in Redis
            assert await redis.exists(f"{prefix}:presence:case:5:viewers", f"{prefix}:presence:case:5:typing") == 0
        finally:
            await redis.aclose()

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def second_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another gateway process on the same databases, broker and Redis: the base URL of its web server."""
    port = free_port()
    env = {**stack.processes["gateway"].env, "GATEWAY_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    process = ServiceProcess("gateway", "web", env, f"{url}/healthz", Path(tmp_path_factory.mktemp("gateway-2")))
    process.start()
    try:
        yield url
    finally:
        process.stop()


def test_two_gateway_processes_share_viewers_and_changes(
    stack: Stack, api: httpx.Client, team: dict[str, Any], second_gateway: str
) -> None:
    case_id = team["case"]["id"]
    with (
        _key(stack, team["ada"]["email"], base_url=second_gateway) as ada_elsewhere,
        ada_elsewhere.stream("GET", f"/api/v1/stream?case_id={case_id}", timeout=30) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.iter_lines()
        _next_event(lines, "viewers")
        # Ada is behind the second process; Bo asks the first
        assert [v["name"] for v in _viewers(team["bo_api"], case_id)] == ["Ada"]
        with team["bo_api"].stream("GET", f"/api/v1/stream?case_id={case_id}", timeout=30) as bo_stream:
            assert bo_stream.status_code == 200
            assert [v["name"] for v in _next_event(lines, "viewers", lambda d: d["viewers"])["viewers"]] == ["Bo"]
        now = api.get(f"/api/v1/cases/{case_id}").json()
        started = time.monotonic()
        changed = api.patch(
            f"/api/v1/cases/{case_id}", json={"title": "Printer on fire"}, headers={"If-Match": str(now["version"])}
        )
        assert changed.status_code == 200, changed.text
        push = _next_event(lines, "case", lambda d: d["kind"] == "case_updated")
        assert push["fields"] == ["title"] and push["version"] == changed.json()["version"]
        assert time.monotonic() - started < 30


def test_the_pages_typing_ping_needs_the_csrf_token_and_an_open_page(
    stack: Stack, api: httpx.Client, team: dict[str, Any]
) -> None:
    """The browser's own routes: typing (`POST /cases/{id}/typing`) and the list's "what changed" question."""
    case_id = team["case"]["id"]
    access.set_agent_password(factory=stack.db(), email=team["ada"]["email"], password=PASSWORD)
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        login = browser.get("/login").text
        signed = browser.post(
            "/login",
            data={"email": team["ada"]["email"], "password": PASSWORD, "csrf_token": _csrf(login), "next": "/"},
        )
        assert signed.status_code == 303, signed.text
        token = _csrf(browser.get(f"/cases/{case_id}").text)
        assert browser.post(f"/cases/{case_id}/typing").status_code == 403  # no token: refused, nothing stored
        refused = browser.post(f"/cases/{case_id}/typing", headers={"X-CSRF-Token": token})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_viewing"
        assert _viewers(api, case_id) == []
        with browser.stream("GET", f"/api/v1/stream?case_id={case_id}") as stream:  # the page's stream, by cookie
            lines = stream.iter_lines()
            _next_event(lines, "viewers")
            assert browser.post(f"/cases/{case_id}/typing", headers={"X-CSRF-Token": token}).status_code == 204
            assert [(v["name"], v["typing"]) for v in _viewers(api, case_id)] == [("Ada", True)]

        # the list's question: only an ISO time is taken; the count is of the list as asked
        bad = browser.get("/cases/changed?since=yesterday")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        since = api.get(f"/api/v1/cases/{case_id}").json()["updated_at"]
        title = f"Changed since {uuid.uuid4().hex[:6]}"
        made = api.post("/api/v1/cases", json={"title": title, "priority": "urgent"})
        assert made.status_code == 201, made.text
        counted = browser.get("/cases/changed", params={"since": since, "priority": "urgent", "q": ""})
        assert counted.status_code == 200 and counted.json() == {"count": 1}, counted.text
        none = browser.get("/cases/changed", params={"since": since, "priority": "low"})
        assert none.json() == {"count": 0}
