"""`typed_rpc` parses each argument from its annotation and dumps the result once, without a broker: the
decorated method is called as nameko's worker calls it."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from pydantic import BaseModel

from chassis.nameko_rpc import RawJson
from chassis.typed_rpc import typed_rpc
from contracts.errors import ValidationFailed


class Thing(BaseModel):
    name: str
    size: int = 1


class Service:
    name = "things"

    @typed_rpc
    def make(self, *, thing: Thing, count: int, note: str | None = None) -> Thing:
        assert isinstance(thing, Thing) and isinstance(count, int)
        return Thing(name=f"{thing.name}{note or ''}", size=thing.size * count)

    @typed_rpc
    def many(self, *, count: int) -> list[Thing]:
        return [Thing(name=str(i)) for i in range(count)]

    @typed_rpc
    def plain(self, *, raw: Any, flag: bool = False) -> dict[str, Any]:
        return {"raw": raw, "flag": flag}

    @typed_rpc
    def nothing(self, *, case_id: int) -> None:
        return None

    @typed_rpc
    def positional(self, case_id: int) -> int:
        assert isinstance(case_id, int)
        return case_id


def test_arguments_are_parsed_into_their_annotated_types_and_a_model_reply_is_its_json():
    reply = Service().make(thing={"name": "box", "size": 2}, count="3")
    assert isinstance(reply, RawJson)
    assert json.loads(reply) == {"name": "box", "size": 6}


def test_an_invalid_argument_names_itself_and_the_field_in_the_error():
    with pytest.raises(ValidationFailed) as caught:
        Service().make(thing={"size": "big"}, count=1)
    assert caught.value.message == "thing is invalid"
    locs = sorted(tuple(d["loc"]) for d in caught.value.details)
    assert locs == [("thing", "name"), ("thing", "size")]


def test_a_scalar_argument_that_does_not_parse_is_refused_too():
    with pytest.raises(ValidationFailed) as caught:
        Service().make(thing={"name": "x"}, count="many")
    assert caught.value.message == "count is invalid"
    assert caught.value.details[0]["loc"] == ["count"]


def test_a_list_of_models_is_dumped_with_the_return_annotation():
    reply = Service().many(count=2)
    assert isinstance(reply, RawJson)
    assert json.loads(reply) == [{"name": "0", "size": 1}, {"name": "1", "size": 1}]


def test_any_passes_through_and_plain_json_results_are_left_to_nameko():
    reply = Service().plain(raw={"x": [1, "2"]})
    assert reply == {"raw": {"x": [1, "2"]}, "flag": False}
    assert not isinstance(reply, RawJson)
    assert Service().nothing(case_id="5") is None


def test_a_positional_argument_is_parsed_under_its_parameter_name():
    assert Service().positional("7") == 7
    with pytest.raises(ValidationFailed, match="case_id is invalid"):
        Service().positional("seven")


def test_nameko_sees_the_method_signature_so_unknown_arguments_are_refused_before_a_worker_runs():
    signature = inspect.signature(Service.make, follow_wrapped=False)
    assert list(signature.parameters) == ["self", "thing", "count", "note"]
    with pytest.raises(TypeError):
        signature.bind(None, thing={}, count=1, colour="red")


def test_the_method_is_a_nameko_entrypoint():
    entrypoints = getattr(Service.make, "nameko_entrypoints", set())
    assert any(type(e).__name__ == "DomainRpc" for e in entrypoints)
