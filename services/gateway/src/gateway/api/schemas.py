"""API-specific request and response models; the rest are the contracts models themselves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contracts import cases as c


class ApiCaseCreate(c.CaseCreate):
    """Body of POST /cases: unknown fields are an error here, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ApiMessageCreate(c.MessageCreate):
    """Body of POST /cases/{id}/messages."""

    model_config = ConfigDict(extra="forbid")


class MessageList(BaseModel):
    items: list[c.MessageRead]
    next: str | None = None


class GroupList(BaseModel):
    items: list[c.GroupRef]
    next: str | None = None


class AgentList(BaseModel):
    items: list[c.AgentRead]
    next: str | None = None
