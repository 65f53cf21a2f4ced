"""RPC replies encoded once by the worker and forwarded as bytes by the web apps (decision 0136)."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from chassis.nameko_rpc import RawJson, reply_body, serialize_domain_error
from chassis.rpc_client import result_json
from contracts import errors


class Page(BaseModel):
    items: list[dict[str, object]]
    next: str | None = None


def test_a_raw_json_result_travels_without_being_decoded() -> None:
    page = Page(items=[{"id": 1, "title": "Skrivaren är trasig ”quoted”", "tags": ["a"]}], next=None)
    body = reply_body(RawJson(page.model_dump_json()))
    assert body is not None
    assert json.loads(body) == {"result": page.model_dump(mode="json"), "error": None}
    assert result_json(body.encode()) == page.model_dump_json().encode()


def test_plain_results_are_encoded_once_and_cut_out_alike() -> None:
    for result in ({"count": 3, "capped": False}, [1, 2], None, "text", 0):
        body = reply_body(result)
        assert body is not None
        assert json.loads(result_json(body.encode())) == result


def test_a_result_plain_json_cannot_encode_is_left_to_nameko() -> None:
    assert reply_body({"when": object()}) is None


def test_an_error_reply_is_never_taken_for_a_result() -> None:
    exc = errors.NotFound(message="case 9 not found", details={"case_id": 9, "error": None})
    body = json.dumps({"result": None, "error": serialize_domain_error(exc)}).encode()
    with pytest.raises(errors.DomainError) as raised:
        result_json(body)
    assert (raised.value.code, raised.value.details) == ("not_found", {"case_id": 9, "error": None})


def test_a_reply_with_other_spacing_is_decoded_and_encoded_again() -> None:
    assert json.loads(result_json(b'{"error":null,"result":{"a":1}}')) == {"a": 1}
