"""The one protocol of what commands need from the service runtime (`chassis.nameko_runtime` provides it)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.orm import Session

from contracts.envelope import Envelope, EventPayload


class Runtime(Protocol):
    """What commands need from the service runtime (chassis.nameko_runtime.Runtime provides it)."""

    def transaction(self) -> AbstractContextManager[Session]: ...

    def emit(self, session: Session, payload: EventPayload, correlation_id: str | None = None) -> Envelope: ...
