"""/api/v1/settings/portal-branding and /api/v1/organisations/{id}/portal-branding (D1), and the console page,
against the real cases worker: admin only, validated, the logo checked by size and type, in the audit log
without the logo's bytes; an organisation's sharing setting is admin-only too (D10)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
from conftest import Stack, agent_page
from playwright.sync_api import Browser, expect

from gateway import access

DEFAULT = "/api/v1/settings/portal-branding"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _organisation(api: httpx.Client) -> dict[str, Any]:
    made = api.post("/api/v1/organisations", json={"name": f"Brand {uuid.uuid4().hex[:6]}"})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_texts_colours_and_logo_of_the_default_and_an_organisation(api: httpx.Client) -> None:
    read = api.get(DEFAULT)
    assert read.status_code == 200, read.text
    body = {"title": "Helpline", "welcome": "Hello", "footer": "Open 8-16", "accent_colour": "#5A2D82"}
    saved = api.put(DEFAULT, json=body, headers={"If-Match": read.headers["ETag"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["accent_colour"] == "#5a2d82" and saved.json()["logo"] is None

    logo = api.put(f"{DEFAULT}/logo", content=PNG, headers={"Content-Type": "image/png"})
    assert logo.status_code == 200, logo.text
    assert logo.json()["logo"] == {"content_type": "image/png", "size": len(PNG)}
    assert logo.json()["title"] == "Helpline"  # texts stay as they were

    org = _organisation(api)
    path = f"/api/v1/organisations/{org['id']}/portal-branding"
    own = api.put(path, json={"title": "Brand desk", "header_colour": "#102040"})
    assert own.status_code == 200 and own.json()["organisation_id"] == org["id"]
    assert api.get(path).json()["title"] == "Brand desk"
    assert api.delete(f"{DEFAULT}/logo").json()["logo"] is None

    [entry, *_] = api.get("/api/v1/audit", params={"object_type": "portal_branding"}).json()["items"]
    assert entry["outcome"] == "succeeded" and entry["after"]["logo"] is None
    logged = api.get("/api/v1/audit", params={"object_type": "portal_branding", "limit": 10}).json()["items"]
    assert any(e["after"] and e["after"]["logo"] == {"content_type": "image/png", "size": len(PNG)} for e in logged)
    assert all("data_base64" not in str(e) for e in logged)  # never the bytes


def test_bad_input_is_a_clear_error_and_changes_nothing(api: httpx.Client) -> None:
    before = api.get(DEFAULT).json()
    for body in ({"accent_colour": "#ffee00"}, {"accent_colour": "blue"}, {"title": "x" * 81}, {"css": "x"}):
        refused = api.put(DEFAULT, json=body)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error", body
    for kind, data, status, code in (
        ("image/svg+xml", b"<svg/>", 415, "unsupported_media_type"),
        ("image/png", b"GIF89a not a png", 415, "unsupported_media_type"),
        ("image/png", PNG + b"\0" * (256 * 1024), 413, "payload_too_large"),
    ):
        refused = api.put(f"{DEFAULT}/logo", content=data, headers={"Content-Type": kind})
        assert refused.status_code == status and refused.json()["error"]["code"] == code, refused.text
    assert api.get(DEFAULT).json() == before
    missing = api.put("/api/v1/organisations/987654/portal-branding", json={"title": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    stale = api.put(DEFAULT, json={"title": "x"}, headers={"If-Match": '"stale"'})
    assert stale.status_code in (409, 412), stale.text


def test_only_admins_brand_the_portal_or_let_an_organisation_share_its_cases(stack: Stack, api: httpx.Client) -> None:
    org = _organisation(api)
    _, secret = access.create_api_key(factory=stack.db(), name="agent branding key", scopes=["*"])
    with stack.client(secret) as client:
        assert client.get(DEFAULT).status_code == 403
        refused = client.put(DEFAULT, json={"title": "Mine"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden"
        share = client.put(f"/api/v1/organisations/{org['id']}", json={"name": org["name"], "members_see_cases": True})
        assert share.status_code == 403 and share.json()["error"]["code"] == "role_forbidden"
    shared = api.put(f"/api/v1/organisations/{org['id']}", json={"name": org["name"], "members_see_cases": True})
    assert shared.status_code == 200 and shared.json()["members_see_cases"] is True


def test_the_console_page_saves_texts_and_a_logo(stack: Stack, chromium: Browser, tmp_path: Any) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    with agent_page(chromium, stack) as page:
        page.goto("/admin/portal-branding")
        expect(page.get_by_role("heading", name="Portal branding")).to_be_visible()
        page.get_by_label("Portal name").fill("Console desk")
        page.get_by_label("Accent colour").fill("#ffee00")
        page.get_by_role("button", name="Save branding").click()
        expect(page.get_by_text("hard to read")).to_be_visible()
        expect(page.get_by_label("Portal name")).to_have_value("Console desk")  # nothing typed is lost
        page.get_by_label("Accent colour").fill("#0b5cad")
        page.get_by_label("Logo").set_input_files(str(logo))
        page.get_by_role("button", name="Save branding").click()
        expect(page.get_by_text("Portal branding saved.")).to_be_visible()
        expect(page.get_by_role("img", name="Current logo")).to_be_visible()
        expect(page.get_by_label("Portal name")).to_have_value("Console desk")
