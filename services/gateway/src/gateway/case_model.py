"""Use cases of the case model and the directory (issue 3 part A): each is one call to the cases service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from chassis.rpc_client import RpcClient


async def call(rpc: RpcClient, method: str, result: Any, **kwargs: Any) -> Any:
    """Call `cases.<method>` with JSON-ready arguments and validate the answer as `result`."""
    payload = {
        k: v.model_dump(mode="json", exclude_unset=True) if isinstance(v, BaseModel) else v for k, v in kwargs.items()
    }
    return _adapter(result).validate_python(await rpc.call("cases", method, **payload))


def _adapter(kind: Any) -> TypeAdapter[Any]:
    """One adapter per result type: building one costs up to a millisecond for a page model (issue 6)."""
    key = repr(kind)  # distinct constraints give distinct reprs (as cases.worker._value)
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        adapter = _ADAPTERS[key] = TypeAdapter(kind)
    return adapter


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}
