"""`@typed_rpc`: a nameko RPC entrypoint whose arguments are parsed from its annotations and whose reply is
dumped in one place (nameko workers only).

A method written as

    @typed_rpc
    def create_case(self, *, data: CaseCreate, actor: Actor, idempotency_key: str | None = None) -> CaseRead:

receives `data` as a `CaseCreate`, not the dict that crossed the wire. An argument that does not parse answers
`ValidationFailed("data is invalid")` with pydantic's error details, each `loc` starting with the argument's
name, so a caller sees which argument and which field. Parameters annotated `Any` (or not at all) pass through
untouched. The reply of a pydantic model is its own JSON (`RawJson`: encoded once, decision 0136); other values
are dumped with the return annotation. DomainErrors keep their JSON details as with `domain_rpc`.

Adapters are built once per method on its first call: building a TypeAdapter costs up to 0.3 ms, more than a
hot read's whole handler.

The annotations are resolved on the first call, so the types they name must be importable from the method's
module at run time (not only under TYPE_CHECKING).
"""

from __future__ import annotations

import functools
import inspect
import json
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from chassis.nameko_rpc import RawJson, domain_rpc
from contracts.errors import ValidationFailed

F = TypeVar("F", bound=Callable[..., Any])

# return annotations whose values nameko's JSON encoding already writes as they are
_PASS_THROUGH: tuple[Any, ...] = (Any, None, type(None), dict, list, str, int, float, bool, RawJson)


def invalid_argument(name: str, exc: ValidationError) -> ValidationFailed:
    """ValidationFailed for one RPC argument, with pydantic's details located under the argument's name."""
    details = json.loads(exc.json(include_url=False))
    return ValidationFailed(message=f"{name} is invalid", details=[{**d, "loc": [name, *d["loc"]]} for d in details])


class _Plan:
    """What a method's annotations say: an adapter per parsed parameter, and how to dump the result."""

    __slots__ = ("adapters", "positional", "result")

    def __init__(self, fn: Callable[..., Any]) -> None:
        hints = typing.get_type_hints(fn, include_extras=True)  # keep Annotated constraints (Field(ge=1))
        self.adapters: dict[str, TypeAdapter[Any]] = {}
        parameters = inspect.signature(fn).parameters
        # names of the parameters a positional argument fills, after `self`
        self.positional = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][
            1:
        ]
        for name, param in parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            kind = hints.get(name, Any)
            if kind is not Any:
                self.adapters[name] = TypeAdapter(kind)
        returned = hints.get("return", Any)
        self.result: TypeAdapter[Any] | None = None if _is_plain(returned) else TypeAdapter(returned)


def _is_plain(kind: Any) -> bool:
    """JSON scalars, and dicts and lists of them, need no dumping: nameko's encoder writes them."""
    if kind in _PASS_THROUGH:
        return True
    if typing.get_origin(kind) in (dict, list, typing.Union, types.UnionType):
        return all(_is_plain(arg) for arg in typing.get_args(kind))
    return False


def dump_result(result: Any, adapter: TypeAdapter[Any] | None) -> Any:
    """An RPC result as it goes on the wire: models as their own JSON, others through the return annotation."""
    if isinstance(result, RawJson) or result is None:
        return result
    dump_json = getattr(result, "model_dump_json", None)
    if dump_json is not None:
        return RawJson(dump_json())
    if adapter is not None:
        return RawJson(adapter.dump_json(result).decode())
    return result


def typed_rpc(fn: F) -> F:
    """`@domain_rpc` with arguments parsed from the method's annotations and the result dumped once."""
    plan: _Plan | None = None

    @functools.wraps(fn)
    def entrypoint(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal plan
        if plan is None:
            plan = _Plan(fn)
        adapters = plan.adapters
        if args:  # callers name their arguments; a positional one is parsed under its parameter's name
            kwargs.update(zip(plan.positional, args, strict=False))
            args = args[len(plan.positional) :]
        for name, value in kwargs.items():
            adapter = adapters.get(name)
            if adapter is not None:
                try:
                    kwargs[name] = adapter.validate_python(value)
                except ValidationError as exc:
                    raise invalid_argument(name, exc) from None
        return dump_result(fn(self, *args, **kwargs), plan.result)

    # nameko checks a call's arguments against the entrypoint's own signature: the method's, not (*args, **kwargs)
    entrypoint.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return typing.cast(F, domain_rpc(entrypoint))
