"""The envelope every event travels in (ARCHITECTURE.md, Messaging)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """Base of every event payload: names its event type and schema version."""

    model_config = ConfigDict(extra="ignore")

    EVENT_TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


class Envelope(BaseModel):
    """A fact that happened in one service, as published on `<service>.events`."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    event_type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None
    source: str = ""
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, payload: EventPayload, *, source: str, correlation_id: str | None = None) -> Envelope:
        """Put a payload in a new envelope."""
        return cls(
            event_type=payload.EVENT_TYPE,
            version=payload.VERSION,
            source=source,
            correlation_id=correlation_id,
            payload=payload.model_dump(mode="json"),
        )

    def open(self, payload_type: type[P]) -> P:
        """Validate the payload as `payload_type` (raises pydantic.ValidationError on a poison message)."""
        return payload_type.model_validate(self.payload)
