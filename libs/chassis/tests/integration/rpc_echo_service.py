"""A nameko service with `@domain_rpc` and `@typed_rpc` entry points (and one plain `@rpc`), run as its own process by
test_rpc_replies.py: `python rpc_echo_service.py <amqp uri>` until SIGTERM."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

from nameko.cli.run import run  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from chassis.nameko_rpc import RawJson, domain_rpc  # noqa: E402
from chassis.typed_rpc import typed_rpc  # noqa: E402
from contracts.errors import NotFound  # noqa: E402


class Parcel(BaseModel):
    label: str
    weight: int


class EchoService:
    name = "echo"

    @domain_rpc
    def echo(self, value: Any, delay: float = 0.0) -> dict[str, Any]:
        eventlet.sleep(delay)  # replies of concurrent calls go out in another order than their requests came
        return {"value": value}

    @domain_rpc
    def echo_raw(self, value: Any) -> RawJson:
        return RawJson(json.dumps({"value": value}))

    @domain_rpc
    def missing(self, case_id: int) -> None:
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id, "archived": None})

    @typed_rpc
    def weigh(self, *, parcel: Parcel, times: int = 1) -> Parcel:
        return Parcel(label=parcel.label.upper(), weight=parcel.weight * times)

    @rpc
    def plain(self, value: Any) -> Any:
        return {"plain": value}


if __name__ == "__main__":
    run([EchoService], {"AMQP_URI": sys.argv[1], "max_workers": 10, "serializer": "json"})
