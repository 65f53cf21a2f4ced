"""Bad input leaves as a 422 with the shared error body, whatever part of the request is bad."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path
from fastapi.testclient import TestClient
from pydantic import BaseModel

from chassis.web import install_error_handlers
from contracts.bounds import Flag, Id, LaxId


class Body(BaseModel):
    owner_id: Id
    urgent: Flag = False


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/items/{item_id}")
    async def item(item_id: Annotated[LaxId, Path()], body: Body) -> dict[str, int]:
        return {"id": item_id, "owner": body.owner_id}

    return TestClient(app, raise_server_exceptions=False)


def _refused(response: object) -> dict[str, object]:
    assert getattr(response, "status_code", None) == 422, getattr(response, "text", "")
    error: dict[str, object] = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "validation_error" and error["message"]
    return error


def test_an_id_past_the_database_range_is_a_422_in_the_path_and_in_the_body() -> None:
    client = _client()
    assert client.post("/items/1", json={"owner_id": 1}).json() == {"id": 1, "owner": 1}
    _refused(client.post(f"/items/{2**63}", json={"owner_id": 1}))
    _refused(client.post("/items/1", json={"owner_id": 2**63}))


def test_loose_types_are_refused() -> None:
    client = _client()
    _refused(client.post("/items/1", json={"owner_id": False}))
    _refused(client.post("/items/1", json={"owner_id": "1"}))
    _refused(client.post("/items/1", json={"owner_id": 1, "urgent": 0}))


def test_a_body_that_is_not_even_text_is_a_422_like_malformed_json() -> None:
    client = _client()
    headers = {"content-type": "application/json"}
    _refused(client.post("/items/1", content=b"{not json", headers=headers))
    error = _refused(client.post("/items/1", content=b"82y\xff", headers=headers))
    assert error["details"] == [
        {"loc": ["body"], "msg": "the body could not be read (not UTF-8 JSON)", "type": "json_invalid"}
    ]
