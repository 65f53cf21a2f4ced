"""Contracts of the cases service: RPC payloads (`cases.*`) and the events on `cases.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from contracts.envelope import EventPayload

SERVICE = "cases"


class Status(StrEnum):
    """Status categories the system understands (B2)."""

    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Source(StrEnum):
    EMAIL = "email"
    PORTAL = "portal"
    PHONE = "phone"
    API = "api"
    SMS = "sms"
    AGENT = "agent"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class AuthorType(StrEnum):
    AGENT = "agent"
    CONTACT = "contact"
    SYSTEM = "system"


class Channel(StrEnum):
    EMAIL = "email"
    WEB = "web"
    PORTAL = "portal"
    API = "api"
    SMS = "sms"
    SYSTEM = "system"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Actor(_Model):
    """Who asks for a change, and through which channel (recorded in history)."""

    type: AuthorType
    id: int | None = None
    name: str = ""
    email: str | None = None
    channel: Channel = Channel.API


class ContactRef(_Model):
    id: int
    email: str | None = None
    name: str = ""


class AgentRef(_Model):
    id: int
    email: str
    name: str = ""


class GroupRef(_Model):
    id: int
    name: str


class AttachmentRef(_Model):
    """An attachment as stored in a blob store, addressed by content hash."""

    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    sha256: str
    content_id: str | None = None
    inline: bool = False


class CaseRead(_Model):
    id: int
    number: int
    title: str
    description: str = ""
    status: Status
    priority: Priority
    source: Source
    requester: ContactRef | None = None
    assignee: AgentRef | None = None
    group: GroupRef | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


class CaseCreate(_Model):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=100_000)
    priority: Priority = Priority.MEDIUM
    source: Source = Source.API
    requester_email: EmailStr | None = None
    requester_name: str = ""
    assignee_id: int | None = None
    group_id: int | None = None


class CaseUpdate(_Model):
    """A partial update: only the fields set are changed."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=100_000)
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: int | None = None
    group_id: int | None = None


class MessageRead(_Model):
    id: int
    case_id: int
    author_type: AuthorType
    author_id: int | None = None
    author_name: str = ""
    author_email: str | None = None
    visibility: Visibility
    channel: Channel
    body_text: str = ""
    body_html: str | None = None
    email_message_id: str | None = None
    attachments: list[AttachmentRef] = []
    created_at: datetime


class MessageCreate(_Model):
    body: str = Field(min_length=1, max_length=200_000)
    visibility: Visibility = Visibility.PUBLIC


class CasePage(_Model):
    items: list[CaseRead]
    next: str | None = None


class CaseFilter(_Model):
    status: Status | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    requester_id: int | None = None
    q: str | None = Field(default=None, max_length=200)
    cursor: str | None = None
    limit: int = Field(default=25, ge=1, le=100)


class AgentRead(_Model):
    id: int
    email: str
    name: str
    is_admin: bool = False
    group_ids: list[int] = []


class ContactRead(_Model):
    id: int
    email: str | None
    name: str


# -- events on cases.events ---------------------------------------------------------------


class CaseCreated(EventPayload):
    EVENT_TYPE = "case_created"
    case: CaseRead
    first_message: MessageRead | None = None
    actor: Actor | None = None


class CaseUpdated(EventPayload):
    EVENT_TYPE = "case_updated"
    case: CaseRead
    changes: dict[str, dict[str, Any]]
    actor: Actor | None = None


class MessageAdded(EventPayload):
    EVENT_TYPE = "message_added"
    case: CaseRead
    message: MessageRead
    # the email this message answers (customer's Message-ID), when the channel is email
    in_reply_to: str | None = None
