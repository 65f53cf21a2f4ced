"""The whole API against its own OpenAPI document, with generated requests (schemathesis, decision 0194).

Every operation of the live `/api/v1/openapi.json` is called with schema-valid and schema-breaking data under an
admin key, on the real gateway, cases, reports, notifications and mail-gateway processes. No answer may be a server
error, and every answer must be one the document declares: its status code, content type and body schema.

A few operations are left out because of what they would do with generated data, not because they fail:
- the live stream never ends;
- a mailbox made or checked with generated data would have the mail gateway connect to whatever host it names,
  a mailbox's test mail would go to whatever address it names, and a push subscription would have notifications
  send to whatever URL it names (tests reach only this machine);
- revoking API keys by generated ids (an admin's, or the calling agent's own) could revoke the key the run itself
  uses.
The bounded run (a fixed number of examples per operation, derandomized) keeps it to a few minutes and repeatable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import Stack
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway import access

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LEFT_OUT = [
    ("GET", "/api/v1/stream"),
    ("POST", "/api/v1/mailboxes"),
    ("PUT", "/api/v1/mailboxes/{mailbox_id}"),
    ("POST", "/api/v1/mailboxes/{mailbox_id}/verify"),
    ("POST", "/api/v1/mailboxes/{mailbox_id}/test-mail"),
    ("POST", "/api/v1/me/push-subscriptions"),
    ("DELETE", "/api/v1/api-keys/{key_id}"),
    ("DELETE", "/api/v1/me/api-keys/{key_id}"),
]


BEYOND = 2**63  # what a probe sent: an OverflowError deep in the database driver, a 500
PAST_INTEGER = 2**31  # past every primary key (PostgreSQL integer)

# path ids of about every kind, reached by each method the API has for them
ID_ROUTES = [
    ("GET", "/api/v1/cases/{id}"),
    ("PATCH", "/api/v1/cases/{id}"),
    ("GET", "/api/v1/cases/{id}/messages"),
    ("POST", "/api/v1/cases/{id}/messages"),
    ("GET", "/api/v1/cases/{id}/time"),
    ("POST", "/api/v1/cases/{id}/timer/start"),
    ("GET", "/api/v1/agents/{id}/time"),
    ("PATCH", "/api/v1/agents/{id}"),
    ("GET", "/api/v1/contacts/{id}"),
    ("GET", "/api/v1/contacts/{id}/cases"),
    ("GET", "/api/v1/saved-searches/{id}"),
    ("DELETE", "/api/v1/saved-searches/{id}"),
    ("PUT", "/api/v1/custom-fields/{id}"),
    ("DELETE", "/api/v1/canned-replies/{id}"),
    ("DELETE", "/api/v1/api-keys/{id}"),
    ("GET", "/api/v1/groups/{id}"),
    ("GET", "/api/v1/cases/{id}/sla"),
]


@pytest.mark.parametrize("value", [BEYOND, PAST_INTEGER, 0])
@pytest.mark.parametrize(("method", "path"), ID_ROUTES)
def test_an_id_no_row_can_have_is_a_422_in_every_route(api: httpx.Client, method: str, path: str, value: int) -> None:
    body = {"body": "hello"} if method in {"POST", "PATCH", "PUT"} else None
    response = api.request(method, path.format(id=value), json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(detail["loc"][0] == "path" for detail in error["details"]), error


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("group_id", BEYOND),
        ("group_id", False),
        ("parent_id", "1"),
        ("follower_ids", [BEYOND]),
        ("requester_name", "x" * 2_000_000),
        ("tags", [f"tag{i}" for i in range(100_000)]),
        ("tags", ["x" * 101]),
        ("custom_fields", {"note": "x" * 10_001}),
    ],
)
def test_a_case_with_an_unbounded_or_loosely_typed_field_is_refused_and_not_stored(
    api: httpx.Client, field: str, value: Any
) -> None:
    before = api.get("/api/v1/cases", params={"limit": 100}).json()["items"]
    response = api.post("/api/v1/cases", json={"title": "Bounded", field: value})
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(field in detail["loc"] for detail in error["details"])
    assert api.get("/api/v1/cases", params={"limit": 100}).json()["items"] == before


def test_zero_is_no_boolean_and_false_no_id(api: httpx.Client) -> None:
    case = api.post("/api/v1/cases", json={"title": "Strict"}).json()
    reply = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "hi", "send_by_sms": 0})
    assert reply.status_code == 422
    merge = api.post(f"/api/v1/cases/{case['id']}/merge", json={"duplicate_id": False})
    assert merge.status_code == 422
    assert api.post(f"/api/v1/cases/{case['id']}/timer/start", params={"billable": "0"}).status_code == 422
    assert api.get("/api/v1/saved-searches", params={"counts": "1"}).status_code == 422
    # what the API documents still parses: ISO datetimes, enum values, true/false in a query
    task = {"title": "Call back", "due_at": "2030-01-02T09:00:00+01:00"}
    assert api.post(f"/api/v1/cases/{case['id']}/tasks", json=task).status_code == 201
    assert api.get("/api/v1/cases", params={"unassigned": "true", "status": "new"}).status_code == 200


def test_a_body_that_is_not_text_is_a_422(api: httpx.Client) -> None:
    response = api.post("/api/v1/cases", content=b"82y\xff", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.fixture(scope="module")
def api_schema(stack: Stack, notifications: Any, mail: Any) -> Iterator[Any]:
    yield schemathesis.openapi.from_url(f"{stack.base_url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def client_key(stack: Stack) -> str:
    """An admin key that acts as no agent: generated calls may demote or deactivate any agent (once they have
    made a second admin), and a key linked to one would lose its rights halfway through the run."""
    _, secret = access.create_api_key(factory=stack.db(), name="schemathesis", scopes=["*"], is_admin=True)
    return secret


schema = schemathesis.pytest.from_fixture("api_schema")
for _method, _path in LEFT_OUT:
    schema = schema.exclude(method=_method, path=_path)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented(case: Any, stack: Stack, client_key: str) -> None:
    case.call_and_validate(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {client_key}"}, checks=CHECKS, timeout=30
    )
