"""Department forms through the API (A3): create, read, list, replace, change, unpublish, delete; every unsound
definition gets 422 with its code and the path of the bad part, and changes nothing; only admins write."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from conftest import Stack

from gateway import access


def _definition(group_id: int | None, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Laptops, phones, accounts",
        "group_id": group_id,
        "published": True,
        "pages": [
            {
                "title": "Your problem",
                "fields": [
                    {"key": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"},
                    {"key": "device", "label": "Device", "type": "select", "options": ["Laptop", "Phone"]},
                    {
                        "key": "serial",
                        "label": "Serial number",
                        "type": "text",
                        "help": "On the sticker underneath",
                        "show_if": {"key": "device", "equals": "Laptop"},
                    },
                ],
            },
            {
                "title": "Details",
                "show_if": {"key": "device"},
                "fields": [
                    {
                        "key": "urgency",
                        "label": "Urgency",
                        "type": "select",
                        "options": ["low", "high"],
                        "maps_to": "priority",
                    },
                    {"key": "details", "label": "Details", "type": "textarea", "maps_to": "description"},
                    {"key": "photo", "label": "Photo", "type": "file"},
                    {"key": "apps", "label": "Apps", "type": "multi-select", "options": ["Mail", "Chat"]},
                    {"key": "ok", "label": "I may be called", "type": "checkbox"},
                    {"key": "mail", "label": "Mail", "type": "email"},
                    {"key": "phone", "label": "Phone", "type": "phone"},
                    {"key": "count", "label": "Machines", "type": "number"},
                    {"key": "since", "label": "Since", "type": "date"},
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def form(api: httpx.Client, support_group: dict[str, Any]) -> dict[str, Any]:
    created = api.post("/api/v1/forms", json=_definition(support_group["id"], f"IT help {uuid.uuid4().hex[:6]}"))
    assert created.status_code == 201, created.text
    return created.json()


def test_a_form_is_created_read_listed_and_documented(api: httpx.Client, form: dict[str, Any]) -> None:
    assert form["id"] > 0 and form["published"] is True and form["version"] == 1
    assert form["pages"][0]["fields"][2]["show_if"] == {"key": "device", "equals": "Laptop"}
    assert form["pages"][0]["fields"][2]["help"] == "On the sticker underneath"
    one = api.get(f"/api/v1/forms/{form['id']}")
    assert one.status_code == 200 and one.json() == form and one.headers["ETag"]
    assert form["id"] in [f["id"] for f in api.get("/api/v1/forms").json()["items"]]
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/forms"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/forms/{form_id}"])
    assert "form" in api.get("/api/v1/openapi.json").json()["components"]["schemas"]["CaseDetail"]["properties"]


def _broken(base: dict[str, Any], change: Any) -> dict[str, Any]:
    body = copy.deepcopy(base)
    change(body)
    return body


def _field(body: dict[str, Any], page: int, index: int) -> dict[str, Any]:
    field: dict[str, Any] = body["pages"][page]["fields"][index]
    return field


BROKEN = [
    (lambda b: _field(b, 1, 0).update(maps_to="status"), "form_unknown_maps_to", "pages[1].fields[0].maps_to"),
    (
        lambda b: _field(b, 1, 0).update(maps_to="custom_fields.nope"),
        "form_unknown_maps_to",
        "pages[1].fields[0].maps_to",
    ),
    (lambda b: _field(b, 1, 1).update(maps_to="title"), "form_maps_to_mismatch", "pages[1].fields[1].maps_to"),
    (
        lambda b: _field(b, 0, 1).update(show_if={"key": "serial"}),
        "form_show_if_invalid",
        "pages[0].fields[1].show_if.key",
    ),
    (
        lambda b: _field(b, 0, 2).update(show_if={"key": "nobody"}),
        "form_show_if_invalid",
        "pages[0].fields[2].show_if.key",
    ),
    (
        lambda b: _field(b, 0, 2).update(show_if={"key": "device", "equals": "Fax"}),
        "form_show_if_invalid",
        "pages[0].fields[2].show_if.equals",
    ),
    (lambda b: _field(b, 1, 3).update(key="subject"), "form_duplicate_key", "pages[1].fields[3].key"),
    (lambda b: _field(b, 0, 1).update(options=[]), "form_options_invalid", "pages[0].fields[1].options"),
    (lambda b: _field(b, 1, 1).update(options=["x"]), "form_options_invalid", "pages[1].fields[1].options"),
    (lambda b: b.update(group_id=999_999), "form_unknown_group", "group_id"),
]


@pytest.mark.parametrize(("change", "code", "path"), BROKEN)
def test_an_unsound_definition_is_refused_with_its_code_and_path(
    api: httpx.Client, form: dict[str, Any], change: Any, code: str, path: str
) -> None:
    before = api.get("/api/v1/forms").json()["items"]
    body = _broken(_definition(form["group_id"], "Broken"), change)
    refused = api.post("/api/v1/forms", json=body)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["details"]["path"]) == (code, path), error
    replaced = api.put(f"/api/v1/forms/{form['id']}", json=body)
    assert replaced.status_code == 422 and replaced.json()["error"]["code"] == code
    assert api.get("/api/v1/forms").json()["items"] == before  # nothing changed


def test_a_malformed_body_names_the_bad_part(api: httpx.Client, form: dict[str, Any]) -> None:
    body = _broken(_definition(None, "Bad type"), lambda b: _field(b, 0, 0).update(type="colour"))
    refused = api.post("/api/v1/forms", json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
    assert "pages" in refused.text and "type" in refused.text
    empty = api.post("/api/v1/forms", json={"name": "No pages", "pages": []})
    assert empty.status_code == 422


def test_replace_change_unpublish_and_delete(api: httpx.Client, support_group: dict[str, Any]) -> None:
    created = api.post("/api/v1/forms", json=_definition(support_group["id"], "Facilities"))
    assert created.status_code == 201, created.text
    form_id = created.json()["id"]
    etag = api.get(f"/api/v1/forms/{form_id}").headers["ETag"]
    replaced = api.put(
        f"/api/v1/forms/{form_id}",
        json={**_definition(None, "Facilities desk"), "published": False},
        headers={"If-Match": etag},
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["group_id"], replaced.json()["version"]) == (
        "Facilities desk",
        None,
        2,
    )
    stale = api.patch(f"/api/v1/forms/{form_id}", json={"published": True}, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    published = api.patch(f"/api/v1/forms/{form_id}", json={"published": True})
    assert published.status_code == 200 and published.json()["published"] is True
    assert published.json()["pages"] == replaced.json()["pages"]
    unpublished = api.patch(f"/api/v1/forms/{form_id}", json={"published": False, "name": None})
    assert unpublished.status_code == 200, unpublished.text
    assert (unpublished.json()["published"], unpublished.json()["name"]) == (False, "Facilities desk")
    bad_patch = api.patch(
        f"/api/v1/forms/{form_id}",
        json={
            "pages": [{"title": "x", "fields": [{"key": "a", "label": "A", "type": "text", "show_if": {"key": "a"}}]}]
        },
    )
    assert bad_patch.status_code == 422 and bad_patch.json()["error"]["code"] == "form_show_if_invalid"
    assert api.delete(f"/api/v1/forms/{form_id}").status_code == 204
    assert api.get(f"/api/v1/forms/{form_id}").status_code == 404
    assert api.delete(f"/api/v1/forms/{form_id}").status_code == 404
    audit = api.get("/api/v1/audit", params={"object_type": "form"}).json()["items"]
    assert {"create", "update", "delete"} <= {a["action"] for a in audit}


def test_only_admins_write_forms(stack: Stack, form: dict[str, Any]) -> None:
    _, secret = access.create_api_key(
        factory=stack.db(), name=f"reader {uuid.uuid4().hex[:6]}", scopes=["cases:read", "cases:write"]
    )
    with stack.client(secret) as client:
        assert client.get(f"/api/v1/forms/{form['id']}").status_code == 200
        refused = client.post("/api/v1/forms", json=_definition(None, "Sneaky"))
        assert refused.status_code == 403, refused.text
        assert client.delete(f"/api/v1/forms/{form['id']}").status_code == 403
    with stack.anonymous() as anonymous:
        assert anonymous.get("/api/v1/forms").status_code == 401
