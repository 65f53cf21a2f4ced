"""Typed RPC clients: a service's methods declared once, called from asyncio processes and nameko workers alike.

A declaration is a class of stubs, one per remote method, each marked `@rpc` (or `@rpc_json` for a hot read
whose reply a caller may forward as it came). A stub states the method's name, its keyword-only parameters
with their contract types, and its result type; it has no body. The same declaration serves two clients
(decision 0175):

- an `AsyncRpcClient` subclass, over an `AsyncTransport` (`chassis.rpc_client.RpcClient`), used by the
  FastAPI processes: `await cases.get_case(case_id=1)`, or `await cases.get_case.json(case_id=1)` for
  the reply's JSON bytes;
- a `SyncRpcClient` subclass, over a `SyncTransport` (`chassis.timed_rpc.TimedRpc`), used inside nameko
  workers: `cases.get_case(case_id=1)`.

Arguments that are pydantic models travel as `model_dump(mode="json", exclude_unset=True)`: only the
fields the caller set, so the service parses them into the same model with the same defaults, and a patch
(`CaseUpdate`, `TaskUpdate`, ...) keeps "leave as is" apart from an explicit null. Only the arguments the
caller passed are sent: the service's own defaults apply to the others. Replies are validated into the
declared result type. This module imports nothing but pydantic: contracts stay free of I/O.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from pydantic import BaseModel, TypeAdapter

P = ParamSpec("P")
R = TypeVar("R")


class AsyncTransport(Protocol):
    """What an asyncio process calls another service with (`chassis.rpc_client.RpcClient`)."""

    async def call(self, service: str, method: str, **kwargs: Any) -> Any: ...

    async def call_json(self, service: str, method: str, **kwargs: Any) -> bytes: ...


class SyncTransport(Protocol):
    """What a nameko worker calls one service with (`chassis.timed_rpc.TimedRpc`: the service is its own)."""

    def call(self, method: str, **kwargs: Any) -> Any: ...


def encode(value: Any) -> Any:
    """An argument as JSON-ready data: a model as the fields its caller set, an enum as its value."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


class Rpc(Generic[P, R]):
    """One remote method: its name, its parameters (the stub's signature) and its result type."""

    def __init__(self, stub: Callable[Concatenate[Any, P], R]) -> None:
        self.stub = stub
        self.name = stub.__name__
        self.__doc__ = stub.__doc__
        self._adapter: TypeAdapter[Any] | None = None
        self._returns_none: bool | None = None

    def parameters(self) -> dict[str, inspect.Parameter]:
        """The keyword parameters the remote method takes, by name."""
        return {n: p for n, p in inspect.signature(self.stub).parameters.items() if n != "self"}

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if args:
            raise TypeError(f"{self.name}() takes keyword arguments only")
        return {k: encode(v) for k, v in kwargs.items()}

    def result(self, reply: Any) -> R:
        """The reply validated into the declared result type (one adapter per method, built on first use)."""
        adapter = self._adapter
        if adapter is None:
            kind = typing.get_type_hints(self.stub)["return"]
            self._returns_none = kind is type(None)
            adapter = self._adapter = TypeAdapter(kind)
        if self._returns_none:
            return None  # type: ignore[return-value]
        return adapter.validate_python(reply)

    @overload
    def __get__(self, obj: None, owner: Any) -> Rpc[P, R]: ...

    @overload
    def __get__(self, obj: AsyncRpcClient, owner: Any) -> AsyncMethod[P, R]: ...

    @overload
    def __get__(self, obj: SyncRpcClient, owner: Any) -> SyncMethod[P, R]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        bound = obj.bind(self)
        obj.__dict__[self.name] = bound  # later look-ups find it on the instance: no descriptor call
        return bound


class JsonRpc(Rpc[P, R]):
    """A hot read: the service sends its reply encoded once, and an asyncio caller may take it as bytes."""

    @overload
    def __get__(self, obj: None, owner: Any) -> JsonRpc[P, R]: ...

    @overload
    def __get__(self, obj: AsyncRpcClient, owner: Any) -> AsyncJsonMethod[P, R]: ...

    @overload
    def __get__(self, obj: SyncRpcClient, owner: Any) -> SyncMethod[P, R]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        return super().__get__(obj, owner)


def rpc(stub: Callable[Concatenate[Any, P], R]) -> Rpc[P, R]:
    """Declare a remote method: the stub's name, keyword parameters and return type are the contract."""
    return Rpc(stub)


def rpc_json(stub: Callable[Concatenate[Any, P], R]) -> JsonRpc[P, R]:
    """Declare a hot read, whose reply an asyncio caller may also take as JSON bytes (`.json(...)`)."""
    return JsonRpc(stub)


def declared(cls: type) -> dict[str, Rpc[Any, Any]]:
    """Every remote method a declaration (or a client built on it) has, by name."""
    found: dict[str, Rpc[Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        found.update({k: v for k, v in vars(klass).items() if isinstance(v, Rpc)})
    return found


class AsyncMethod(Generic[P, R]):
    """A declared method bound to an asyncio transport."""

    def __init__(self, method: Rpc[P, R], transport: AsyncTransport, service: str) -> None:
        self.method = method
        self.transport = transport
        self.service = service

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        arguments = self.method.arguments(args, kwargs)
        return self.method.result(await self.transport.call(self.service, self.method.name, **arguments))


class AsyncJsonMethod(AsyncMethod[P, R]):
    def json(self, *args: P.args, **kwargs: P.kwargs) -> Awaitable[bytes]:
        """The reply's result as the JSON bytes it travelled as, for a caller that only forwards it."""
        return self.transport.call_json(self.service, self.method.name, **self.method.arguments(args, kwargs))


class SyncMethod(Generic[P, R]):
    """A declared method bound to a synchronous transport (a nameko worker's time-limited proxy)."""

    def __init__(self, method: Rpc[P, R], transport: SyncTransport) -> None:
        self.method = method
        self.transport = transport

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.method.result(self.transport.call(self.method.name, **self.method.arguments(args, kwargs)))


class AsyncRpcClient:
    """Base of the asyncio client of one service; subclass it together with the service's declaration."""

    service: str

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport = transport

    def bind(self, method: Rpc[Any, Any]) -> AsyncMethod[Any, Any]:
        kind = AsyncJsonMethod if isinstance(method, JsonRpc) else AsyncMethod
        return kind(method, self.transport, self.service)


class SyncRpcClient:
    """Base of the synchronous client of one service; subclass it together with the service's declaration."""

    def __init__(self, transport: SyncTransport) -> None:
        self.transport = transport

    def bind(self, method: Rpc[Any, Any]) -> SyncMethod[Any, Any]:
        return SyncMethod(method, self.transport)
