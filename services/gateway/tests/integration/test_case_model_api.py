"""REST API v1 of the case model and directory, through `python -m gateway web` and real workers."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack

from chassis.testing import CHROMIUM_ARGS, CHROMIUM_PATH, EventCollector
from gateway import access
from gateway.domain import api_keys


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _code(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code, resp.text
    return dict(resp.json()["error"])


def _new_case(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Case {uuid.uuid4().hex[:8]}", "requester_email": "liv@example.org", **fields}
    return dict(_ok(api.post("/api/v1/cases", json=body), 201))


def _patch(api: httpx.Client, case: dict[str, Any], **changes: Any) -> httpx.Response:
    return api.patch(f"/api/v1/cases/{case['id']}", json=changes, headers={"If-Match": str(case["version"])})


def test_openapi_documents_the_case_model(stack: Stack) -> None:
    with stack.anonymous() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/cases/{case_id}/history",
        "/api/v1/case-types",
        "/api/v1/case-statuses",
        "/api/v1/custom-fields",
        "/api/v1/field-config/{field}",
        "/api/v1/settings/cases",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/{contact_id}/cases",
        "/api/v1/organisations",
        "/api/v1/groups/{group_id}",
        "/api/v1/agents/{agent_id}",
    ):
        assert path in paths, path
    assert {"post", "get"} <= set(paths["/api/v1/groups"])


def test_fields_history_and_events(api: httpx.Client, events: EventCollector) -> None:
    org = _ok(api.post("/api/v1/organisations", json={"name": f"Acme {uuid.uuid4().hex[:4]}"}), 201)
    _ok(api.post("/api/v1/custom-fields", json={"key": "seats", "label": "Seats", "type": "number"}), 201)
    order = next(t for t in _ok(api.get("/api/v1/case-types"))["items"] if t["name"] == "Order")
    case = _new_case(api, type_id=order["id"], tags=["Urgent"])
    changed = _ok(
        _patch(
            api,
            case,
            organisation_id=org["id"],
            external_ref="SO-1",
            custom_fields={"seats": 4},
            tags=["urgent", "billing"],
        )
    )
    assert changed["organisation"]["id"] == org["id"] and changed["custom_fields"] == {"seats": "4"}
    assert changed["tags"] == ["billing", "urgent"] and changed["type"]["name"] == "Order"
    assert api.get(f"/api/v1/cases/{case['id']}").headers["etag"] == f'"{changed["version"]}"'

    history = _ok(api.get(f"/api/v1/cases/{case['id']}/history"))["items"]
    rows = {(h["field"], h["old_value"], h["new_value"]) for h in history}
    assert {
        ("external_ref", None, "SO-1"),
        ("custom_fields.seats", None, "4"),
        ("tags", "urgent", "billing, urgent"),
    } <= rows
    assert all(h["channel"] == "api" for h in history)
    event = events.wait_for("case_updated", case__id=case["id"])[0]
    assert event["payload"]["changes"]["custom_fields.seats"] == {"old": None, "new": "4"}
    _code(api.get("/api/v1/cases/987654/history"), 404, "not_found")


def test_bad_input_gets_a_specific_code_and_changes_nothing(api: httpx.Client) -> None:
    case = _new_case(api)
    _code(_patch(api, case, status_id=999999), 422, "unknown_status")
    _code(_patch(api, case, status="open"), 422, "invalid_transition")  # no owner
    _code(_patch(api, case, custom_fields={"nope": 1}), 422, "invalid_custom_field")
    _code(_patch(api, case, status="sleeping"), 422, "validation_error")
    stale = {**case, "version": case["version"] + 5}
    _code(_patch(api, stale, title="x"), 409, "version_conflict")
    assert _ok(api.get(f"/api/v1/cases/{case['id']}")) == {**case, "form": None}  # not one field changed
    assert [h["field"] for h in _ok(api.get(f"/api/v1/cases/{case['id']}/history"))["items"]] == ["created"]


def test_statuses_and_dormancy(api: httpx.Client, admin_agent: dict[str, Any]) -> None:
    status = _ok(
        api.post("/api/v1/case-statuses", json={"name": f"Parked {uuid.uuid4().hex[:4]}", "category": "dormant"}), 201
    )
    case = _ok(_patch(api, _new_case(api), assignee_id=admin_agent["id"]))
    parked = _ok(_patch(api, case, status_id=status["id"], dormant={"mode": "for_period", "days": 3}))
    assert parked["status"] == "dormant" and parked["status_name"] == status["name"] and parked["dormant_until"]
    renamed = _ok(api.put(f"/api/v1/case-statuses/{status['id']}", json={"name": "Parked!", "category": "dormant"}))
    assert _ok(api.get(f"/api/v1/cases/{case['id']}"))["status_name"] == renamed["name"] == "Parked!"


def test_types_custom_fields_and_field_config(api: httpx.Client) -> None:
    kind = _ok(api.post("/api/v1/case-types", json={"name": f"Visit {uuid.uuid4().hex[:4]}"}), 201)
    changed = _ok(
        api.put(f"/api/v1/case-types/{kind['id']}", json={"name": kind["name"], "instructions": "Call first"})
    )
    assert changed["instructions"] == "Call first"
    case = _new_case(api, type_id=kind["id"])
    assert case["type"]["instructions"] == "Call first"
    _code(api.post("/api/v1/case-types", json={"name": kind["name"]}), 422, "validation_error")

    key = f"f{uuid.uuid4().hex[:6]}"
    field = _ok(
        api.post("/api/v1/custom-fields", json={"key": key, "label": "Size", "type": "select", "options": ["S"]}), 201
    )
    _code(
        api.post("/api/v1/custom-fields", json={"key": "x1", "label": "X", "type": "select"}), 422, "validation_error"
    )
    _ok(
        api.put(
            f"/api/v1/custom-fields/{field['id']}",
            json={**{k: field[k] for k in ("key", "label", "type")}, "options": ["S", "M"], "required": True},
        )
    )
    err = _code(api.post("/api/v1/cases", json={"title": "needs size"}), 422, "required_field_missing")
    assert err["details"]["missing"] == [f"custom_fields.{key}"]
    assert _new_case(api, custom_fields={key: "M"})["custom_fields"] == {key: "M"}
    _ok(
        api.put(
            f"/api/v1/custom-fields/{field['id']}",
            json={**{k: field[k] for k in ("key", "label", "type")}, "options": ["S", "M"], "used": False},
        )
    )

    _ok(api.put("/api/v1/field-config/external_ref", json={"used": False}))
    try:
        _code(api.post("/api/v1/cases", json={"title": "x", "external_ref": "R-1"}), 422, "validation_error")
        configs = {c["field"]: c for c in _ok(api.get("/api/v1/field-config"))["items"]}
        assert configs["external_ref"]["used"] is False and configs["category"]["used"] is True
    finally:
        _ok(api.put("/api/v1/field-config/external_ref", json={"used": True}))
    _code(api.put("/api/v1/field-config/title", json={"used": False}), 422, "validation_error")


def test_admin_only_changes(stack: Stack, api: httpx.Client) -> None:
    _, secret = access.create_api_key(
        factory=stack.db(), name="plain", scopes=[api_keys.SCOPE_CASES_READ, api_keys.SCOPE_CASES_WRITE]
    )
    with stack.client(secret) as plain:
        _code(plain.post("/api/v1/case-types", json={"name": "Sneaky"}), 403, "role_forbidden")
        _code(plain.patch("/api/v1/settings/cases", json={"concurrency": "field"}), 403, "role_forbidden")
        assert plain.get("/api/v1/settings/cases").json()["concurrency"] == "strict"


def test_directory(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    org = _ok(api.post("/api/v1/organisations", json={"name": f"Org {tag}"}), 201)
    contact = _ok(
        api.post(
            "/api/v1/contacts",
            json={
                "name": "Åse",
                "emails": [f"ase{tag}@a.example", f"ase{tag}@b.example"],
                "phone": "123",
                "organisation_id": org["id"],
            },
        ),
        201,
    )
    assert (
        contact["emails"] == [f"ase{tag}@a.example", f"ase{tag}@b.example"]
        and contact["organisation"]["id"] == org["id"]
    )
    assert _ok(api.get(f"/api/v1/contacts/{contact['id']}")) == contact
    assert _ok(api.get("/api/v1/contacts", params={"q": f"ase{tag}@b"}))["items"] == [contact]
    case = _new_case(api, requester_email=f"ase{tag}@b.example")
    assert [c["id"] for c in _ok(api.get(f"/api/v1/contacts/{contact['id']}/cases"))["items"]] == [case["id"]]
    _code(api.get("/api/v1/contacts/9999999/cases"), 404, "not_found")
    assert any(o["id"] == org["id"] for o in _ok(api.get("/api/v1/organisations"))["items"])

    agent = _ok(api.post("/api/v1/agents", json={"email": f"agent{tag}@example.com", "name": "Agent"}), 201)
    group = _ok(api.post("/api/v1/groups", json={"name": f"L2 {tag}", "member_ids": [agent["id"]]}), 201)
    assert _ok(api.get(f"/api/v1/groups/{group['id']}"))["member_ids"] == [agent["id"]]
    agent = _ok(api.patch(f"/api/v1/agents/{agent['id']}", json={"group_ids": []}))
    assert agent["group_ids"] == [] and _ok(api.get(f"/api/v1/groups/{group['id']}"))["member_ids"] == []


def _race(
    api: httpx.Client, case: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> list[httpx.Response]:
    """Send two PATCHes from the same read version at the same moment."""
    barrier = threading.Barrier(2)
    results: list[httpx.Response] = []

    def send(changes: dict[str, Any]) -> None:
        barrier.wait()
        results.append(_patch(api, case, **changes))

    threads = [threading.Thread(target=send, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_patches_never_lose_a_change(stack: Stack, api: httpx.Client) -> None:
    """B11 in both modes: each concurrent write is either applied or refused with 409, never silently lost."""
    try:
        for mode in ("strict", "field"):
            _ok(api.patch("/api/v1/settings/cases", json={"concurrency": mode}))
            for _ in range(3):
                case = _new_case(api)
                with stack.client() as other:
                    results = _race(api, case, {"title": "Title from A"}, {"priority": "urgent"})
                    same = _race(
                        other, _ok(api.get(f"/api/v1/cases/{case['id']}")), {"category": "A"}, {"category": "B"}
                    )
                codes = sorted(r.status_code for r in results)
                final = _ok(api.get(f"/api/v1/cases/{case['id']}"))
                applied = [r for r in results if r.status_code == 200]
                refused = [r for r in results if r.status_code == 409]
                assert len(applied) + len(refused) == 2, codes
                if mode == "field":
                    assert codes == [200, 200], codes  # different fields merge
                else:
                    assert codes == [200, 409], codes
                for r in refused:
                    assert r.json()["error"]["code"] == "version_conflict"
                    assert r.json()["error"]["details"]["current"]["version"] >= case["version"] + 1
                # whatever was applied is in the final state
                if any("title" in r.request.content.decode() for r in applied):
                    assert final["title"] == "Title from A"
                if any("priority" in r.request.content.decode() for r in applied):
                    assert final["priority"] == "urgent"
                # the same field from the same version: exactly one wins, the other hears about it
                assert sorted(r.status_code for r in same) == [200, 409]
                winner = next(r for r in same if r.status_code == 200).json()
                assert final_category(api, case) == winner["category"]
    finally:
        _ok(api.patch("/api/v1/settings/cases", json={"concurrency": "strict"}))


def final_category(api: httpx.Client, case: dict[str, Any]) -> str:
    return str(_ok(api.get(f"/api/v1/cases/{case['id']}"))["category"])


def _signed_in(stack: Stack) -> httpx.Client:
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    resp = client.post(
        "/login",
        data={
            "email": "admin@example.com",
            "password": stack.admin_password,
            "csrf_token": token.group(1),
            "next": "/",
        },
    )
    assert resp.status_code == 303, resp.text
    return client


def test_agent_ui_shows_the_case_model_and_history(stack: Stack, api: httpx.Client) -> None:
    org = _ok(api.post("/api/v1/organisations", json={"name": f"<Org> {uuid.uuid4().hex[:4]}"}), 201)
    case = _new_case(api, tags=["vip"], external_ref="PO-<9>", organisation_id=org["id"], category="Network")
    _ok(_patch(api, case, tags=["vip", "printer"]))
    agent = _signed_in(stack)
    try:
        page = agent.get(f"/cases/{case['id']}")
        assert page.status_code == 200
        for text in ("PO-&lt;9&gt;", "&lt;Org&gt;", "Network", ">printer<", ">vip<", f"/cases/{case['id']}/history"):
            assert text in page.text, text
        history = agent.get(f"/cases/{case['id']}/history")
        assert history.status_code == 200
        assert "printer, vip" in history.text and "created" in history.text
        assert agent.get("/cases/9999999/history").status_code == 404
    finally:
        agent.close()
    with stack.anonymous() as anonymous:
        assert anonymous.get(f"/cases/{case['id']}/history").status_code in (303, 307)


@pytest.mark.browser
def test_case_page_in_chromium(stack: Stack, api: httpx.Client) -> None:
    """The case model as a person sees it: details on the case page, the history page behind a link."""
    from playwright.sync_api import expect, sync_playwright

    kind = _ok(
        api.post("/api/v1/case-types", json={"name": f"Move {uuid.uuid4().hex[:4]}", "instructions": "Book the van"}),
        201,
    )
    case = _new_case(api, tags=["vip", "printer"], category="Hardware", external_ref="PO-42", type_id=kind["id"])
    shots = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="case-model-"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.base_url).new_page()
            page.goto(f"/cases/{case['id']}")
            page.get_by_label("Email").fill("admin@example.com")
            page.get_by_label("Password").fill(stack.admin_password)
            page.get_by_role("button", name="Sign in").click()
            side = page.locator("#case-side")
            # the side panel edits the fields in place: their values are in the controls named as in the API
            expect(side.locator("[name=external_ref]")).to_have_value("PO-42")
            expect(side.locator("[name=category]")).to_have_value("Hardware")
            expect(side.get_by_text("Book the van")).to_be_visible()
            page.screenshot(path=str(shots / "case-model.png"), full_page=True)
            page.get_by_role("link", name="History of changes").click()
            expect(page.get_by_role("heading", name=re.compile("History of"))).to_be_visible()
            expect(page.get_by_role("cell", name="created")).to_be_visible()
            page.screenshot(path=str(shots / "case-history.png"), full_page=True)
        finally:
            browser.close()
