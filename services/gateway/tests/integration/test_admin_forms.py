"""The admin console's department forms over HTTP: admins only, CSRF on every POST, a refused save keeps what
was typed and names the bad part, "Add a question" saves nothing, an unknown form is a 404 page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from conftest import ADMIN_EMAIL, Stack

from gateway import access

PASSWORD = "amber kettle hums at noon"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _signed_in(stack: Stack, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    token = _csrf(client.get("/login").text)
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    assert resp.status_code == 303, resp.text
    return client


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    client = _signed_in(stack, ADMIN_EMAIL, stack.admin_password)
    yield client
    client.close()


def _builder(token: str, name: str, key: str, maps_to: str = "", action: str = "save") -> dict[str, str]:
    return {
        "csrf_token": token,
        "name": name,
        "pages": "1",
        "p0_title": "Page 1",
        "p0_fields": "1",
        "p0_f0_label": "Which room?",
        "p0_f0_key": key,
        "p0_f0_type": "text",
        "p0_f0_maps_to": maps_to,
        "action": action,
    }


def test_the_builder_refuses_keeps_and_saves(admin: httpx.Client, api: httpx.Client) -> None:
    name = f"Rooms {uuid.uuid4().hex[:6]}"
    assert 'href="/admin/forms"' in admin.get("/admin").text
    token = _csrf(admin.get("/admin/forms/new").text)
    before = api.get("/api/v1/forms").json()["items"]
    refused = admin.post("/admin/forms", data=_builder(token, name, "room", maps_to="custom_fields.nope"))
    assert refused.status_code == 422
    assert "there is no custom field" in refused.text and "pages[0].fields[0].maps_to" in refused.text
    assert f'value="{name}"' in refused.text and 'value="Which room?"' in refused.text
    added = admin.post("/admin/forms", data=_builder(token, name, "room", action="add_field:0"))
    assert added.status_code == 200 and 'name="p0_f1_label"' in added.text
    assert api.get("/api/v1/forms").json()["items"] == before  # nothing saved by either
    missing = admin.post("/admin/forms", data={**_builder(token, name, "room"), "csrf_token": "forged"})
    assert missing.status_code == 403
    saved = admin.post("/admin/forms", data=_builder(token, name, "room", maps_to="title"), follow_redirects=False)
    assert saved.status_code == 303, saved.text
    [form] = [f for f in api.get("/api/v1/forms").json()["items"] if f["name"] == name]
    assert form["pages"][0]["fields"][0] == {
        "key": "room",
        "label": "Which room?",
        "type": "text",
        "required": False,
        "help": "",
        "options": [],
        "maps_to": "title",
        "show_if": None,
    }
    assert saved.headers["location"] == f"/admin/forms/{form['id']}"
    assert name in admin.get("/admin/forms").text
    assert admin.get("/admin/forms/999999").status_code == 404


def test_an_agent_who_is_not_admin_is_refused(stack: Stack, api: httpx.Client) -> None:
    email = f"forms-{uuid.uuid4().hex[:6]}@example.com"
    assert api.post("/api/v1/agents", json={"email": email, "name": "Plain"}).status_code == 201
    access.set_agent_password(factory=stack.db(), email=email, password=PASSWORD)
    agent = _signed_in(stack, email, PASSWORD)
    try:
        assert agent.get("/admin/forms").status_code == 403
        token = _csrf(agent.get("/").text)
        assert agent.post("/admin/forms", data=_builder(token, "Sneaky", "room")).status_code == 403
    finally:
        agent.close()
    assert "Sneaky" not in [f["name"] for f in api.get("/api/v1/forms").json()["items"]]
