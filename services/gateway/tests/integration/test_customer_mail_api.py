"""/api/v1/settings/customer-mail and /api/v1/organisations/{id}/customer-mail (E3), against real cases and
notifications workers: admin only, validated, an organisation overrides the workspace field by field."""

from __future__ import annotations

import uuid

import httpx
from conftest import Stack

from chassis.testing import ServiceProcess
from gateway import access

WORKSPACE = "/api/v1/settings/customer-mail"


def test_an_organisation_overrides_the_workspace_default_field_by_field(
    api: httpx.Client, notifications: ServiceProcess
) -> None:
    org = api.post("/api/v1/organisations", json={"name": f"Acme {uuid.uuid4().hex[:6]}"})
    assert org.status_code == 201, org.text
    org_path = f"/api/v1/organisations/{org.json()['id']}/customer-mail"

    fresh = api.get(org_path)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["effective"]["conversation"] == "full"  # nothing set anywhere: the full conversation

    workspace = api.put(
        WORKSPACE,
        json={"conversation": "link", "sender_address": "Help@Example.com", "closing_greeting": "Regards,"},
    )
    assert workspace.status_code == 200, workspace.text
    assert workspace.json()["stored"]["sender_address"] == "help@example.com"
    override = api.put(org_path, json={"conversation": "full", "cc_followers": True, "closing_greeting": "Hälsningar,"})
    assert override.status_code == 200, override.text
    body = override.json()
    assert body["stored"]["sender_address"] is None  # not set here: inherited
    assert body["effective"] == {
        "conversation": "full",
        "sender_address": "help@example.com",
        "sender_name": body["effective"]["sender_name"],
        "closing_greeting": "Hälsningar,",
        "cc_followers": True,
    }
    # a later workspace change reaches the organisation where it did not override
    api.put(WORKSPACE, json={"conversation": "never", "sender_address": "desk@example.com"})
    after = api.get(org_path).json()["effective"]
    assert (after["conversation"], after["sender_address"], after["closing_greeting"]) == (
        "full",
        "desk@example.com",
        "Hälsningar,",
    )
    assert api.get(WORKSPACE).json()["effective"]["closing_greeting"] == ""
    api.put(WORKSPACE, json={})  # back to the defaults for the other tests of this module


def test_bad_input_is_a_clear_error(api: httpx.Client, notifications: ServiceProcess) -> None:
    wrong = api.put(WORKSPACE, json={"conversation": "sometimes"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"]["code"] == "validation_error"
    unknown = api.put(WORKSPACE, json={"bcc_everyone": True})
    assert unknown.status_code == 422, unknown.text
    missing = api.put("/api/v1/organisations/987654/customer-mail", json={"conversation": "never"})
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["code"] == "not_found"


def test_only_admin_keys_change_what_customers_receive(stack: Stack) -> None:
    _, secret = access.create_api_key(factory=stack.db(), name="agent key", scopes=["*"])
    with stack.client(secret) as client:
        assert client.get(WORKSPACE).status_code == 403
        resp = client.put(WORKSPACE, json={"conversation": "never"})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "role_forbidden"
    with stack.anonymous() as client:
        assert client.get(WORKSPACE).status_code == 401


def test_a_contact_can_prefer_sms_only_with_a_phone(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    refused = api.post("/api/v1/contacts", json={"emails": [f"s{tag}@c.example"], "preferred_channel": "sms"})
    assert refused.status_code == 422, refused.text
    assert "phone" in refused.json()["error"]["message"]
    made = api.post(
        "/api/v1/contacts",
        json={"emails": [f"t{tag}@c.example"], "phone": "+4790000002", "preferred_channel": "sms"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["preferred_channel"] == "sms"
    assert api.get(f"/api/v1/contacts/{made.json()['id']}").json()["preferred_channel"] == "sms"
