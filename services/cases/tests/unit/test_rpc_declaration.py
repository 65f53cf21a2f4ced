"""The cases service's RPC entrypoints and the client declared in contracts agree (decision 0175)."""

import inspect
from typing import Any

from nameko.rpc import Rpc

from cases.worker import CasesService
from contracts.cases_client import CasesRpc
from contracts.rpc import declared


def _entrypoints() -> dict[str, Any]:
    """Every RPC method of the service class, wherever (in which base class) it is defined."""
    found = {}
    for name in dir(CasesService):
        method = getattr(CasesService, name, None)
        if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ())):
            found[name] = method
    return found


def _parameters(signature: inspect.Signature) -> dict[str, bool]:
    """Parameter name -> whether a caller must pass it."""
    return {
        name: p.default is inspect.Parameter.empty
        for name, p in signature.parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def test_the_client_declares_every_entrypoint_and_nothing_else():
    assert _entrypoints(), "no RPC entrypoint found on CasesService"
    assert sorted(declared(CasesRpc)) == sorted(_entrypoints())


def test_each_method_has_the_same_parameters_on_both_sides():
    entrypoints = _entrypoints()
    for name, method in declared(CasesRpc).items():
        served = _parameters(inspect.signature(entrypoints[name]))
        called = _parameters(inspect.signature(method.stub))
        assert called == served, f"cases.{name}: client {called} != service {served}"
