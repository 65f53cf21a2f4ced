"""What the nameko entrypoints of every capability share: the runtime, sessions, and one hand-parsed argument.

Each capability declares its entrypoints in its own `rpc.py` as a mixin of `RpcBase`; `cases.worker` composes
them into the one nameko service (nameko finds entrypoints on base classes too). Reads that answer a page of
cases return `CaseRows` and are annotated `Any`: `typed_rpc` writes anything with `model_dump_json` as it is
(decision 0160).
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cases.settings import CasesSettings
from chassis.nameko_runtime import Runtime
from chassis.typed_rpc import invalid_argument

# the size of a page of any list entrypoint
PageLimit = Annotated[int, Field(ge=1, le=100)]

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}  # repr(kind) -> adapter: building one costs up to 0.3 ms


def parse_as(kind: Any, value: Any, name: str) -> Any:
    """`value` as `kind`, or ValidationFailed under `name`.

    For the few arguments `typed_rpc` cannot parse from their annotation without changing the reply: a default
    filled in before parsing (`filters or {}`), or an error that names another field (`search_id` as "id").
    """
    adapter = _ADAPTERS.get(key := repr(kind))
    if adapter is None:
        adapter = _ADAPTERS[key] = TypeAdapter(kind)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise invalid_argument(name, exc) from None


class RpcBase:
    """The service's runtime (a nameko dependency set on `cases.worker.CasesService`) and its sessions."""

    runtime: Runtime

    def _session(self) -> Session:
        return self.runtime.session_factory()

    def _read_session(self) -> Session:
        """Reads that neither write nor set transaction-local settings (decision 0135)."""
        return self.runtime.read_session()

    def _settings(self) -> CasesSettings:
        return cast(CasesSettings, self.runtime.settings)
