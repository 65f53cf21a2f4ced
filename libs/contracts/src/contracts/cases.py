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
    DORMANT = "dormant"
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
    SCHEDULED = "scheduled"


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
    phone: str | None = None  # issue 5: replies to a contact without email (or an SMS case) go by SMS


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
    # -- case model (issue 3 part A): `status` stays the category; these say which admin status
    status_id: int | None = None
    status_name: str | None = None
    type: CaseTypeRef | None = None
    category: str | None = None
    solution: str | None = None
    due_at: datetime | None = None
    external_ref: str | None = None
    organisation: OrganisationRef | None = None
    followers: list[ContactRef] = []
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    parent_id: int | None = None
    dormant_until: datetime | None = None
    held_for_approval: bool = False


class CaseCreate(_Model):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=100_000)
    priority: Priority = Priority.MEDIUM
    source: Source = Source.API
    requester_email: EmailStr | None = None
    requester_name: str = ""
    assignee_id: int | None = None
    group_id: int | None = None
    # -- case model (issue 3 part A)
    type_id: int | None = None
    category: str | None = Field(default=None, max_length=200)
    solution: str | None = Field(default=None, max_length=100_000)
    due_at: datetime | None = None
    external_ref: str | None = Field(default=None, max_length=200)
    organisation_id: int | None = None
    parent_id: int | None = None
    tags: list[str] = []
    follower_ids: list[int] = []
    custom_fields: dict[str, Any] = {}


class CaseUpdate(_Model):
    """A partial update: only the fields set are changed."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=100_000)
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    # -- case model (issue 3 part A); nullable ones may be cleared with an explicit null
    status_id: int | None = None
    type_id: int | None = None
    category: str | None = Field(default=None, max_length=200)
    solution: str | None = Field(default=None, max_length=100_000)
    due_at: datetime | None = None
    external_ref: str | None = Field(default=None, max_length=200)
    organisation_id: int | None = None
    parent_id: int | None = None
    tags: list[str] | None = None
    follower_ids: list[int] | None = None
    custom_fields: dict[str, Any] | None = None
    dormant: Dormancy | None = None


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
    # issue 3 part B: reply | note | forward | system (contracts.case_work.MessageKind); forwards list recipients
    kind: str = "reply"
    recipients: list[str] = []


class MessageCreate(_Model):
    body: str = Field(min_length=1, max_length=200_000)
    visibility: Visibility = Visibility.PUBLIC
    # issue 5: the agent chooses SMS for a public reply (recorded as channel "sms"; notifications texts it)
    send_by_sms: bool = False


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


# -- case model (issue 3 part A) --------------------------------------------------------------


class CaseTypeRef(_Model):
    id: int
    name: str
    instructions: str = ""  # what the agent should do with cases of this type


class OrganisationRef(_Model):
    id: int
    name: str


class DormantMode(StrEnum):
    UNTIL_FURTHER_NOTICE = "until_further_notice"
    FOR_PERIOD = "for_period"
    UNTIL_DATE = "until_date"


class Dormancy(_Model):
    """How long a case sleeps when it is put in a dormant status (B2)."""

    mode: DormantMode
    days: int | None = Field(default=None, ge=1, le=3650)
    until: datetime | None = None


class CaseTypeRead(_Model):
    id: int
    name: str
    instructions: str = ""
    active: bool = True


class CaseTypeWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    instructions: str = Field(default="", max_length=20_000)
    active: bool = True


class CaseStatusRead(_Model):
    id: int
    name: str
    category: Status
    builtin: bool = False


class CaseStatusWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    category: Status


class CustomFieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"


class CustomFieldRead(_Model):
    id: int
    key: str
    label: str
    type: CustomFieldType
    options: list[str] = []
    used: bool = True
    hidden: bool = False
    required: bool = False


class CustomFieldWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=200)
    type: CustomFieldType
    options: list[str] = []
    used: bool = True
    hidden: bool = False
    required: bool = False


class FieldConfigRead(_Model):
    """Used/hidden/required for a built-in optional field (H2)."""

    field: str
    used: bool = True
    hidden: bool = False
    required: bool = False


class ConcurrencyMode(StrEnum):
    STRICT = "strict"  # any stale write is refused
    FIELD = "field"  # refused only when a field it changes was changed since; merged otherwise


class ClosedReplyAction(StrEnum):
    REOPEN = "reopen"
    FOLLOW_UP = "follow_up"


class CaseSettings(_Model):
    """Workspace automation and concurrency settings of the cases service (B3, B11, B15)."""

    model_config = ConfigDict(extra="forbid")

    agent_reply_sets_waiting: bool = True
    contact_reply_reopens: bool = True
    closed_reply: ClosedReplyAction = ClosedReplyAction.REOPEN
    # strict by default: the behaviour API clients had before the setting existed
    concurrency: ConcurrencyMode = ConcurrencyMode.STRICT
    hold_unknown_senders: bool = False


class HistoryEntry(_Model):
    id: int
    case_id: int
    field: str
    old_value: str | None = None
    new_value: str | None = None
    actor_type: AuthorType
    actor_id: int | None = None
    actor_name: str = ""
    channel: Channel
    created_at: datetime


class OrganisationWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class OrganisationRead(_Model):
    id: int
    name: str


class ContactDetail(_Model):
    id: int
    name: str
    emails: list[str] = []
    phone: str | None = None
    organisation: OrganisationRef | None = None
    approved: bool = True


class ContactWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    emails: list[EmailStr] | None = None
    phone: str | None = Field(default=None, max_length=50)
    organisation_id: int | None = None
    approved: bool | None = None


class GroupWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    member_ids: list[int] | None = None


class GroupRead(_Model):
    id: int
    name: str
    member_ids: list[int] = []


class AgentWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    is_admin: bool | None = None
    active: bool | None = None
    group_ids: list[int] | None = None


class AgentMentioned(EventPayload):
    EVENT_TYPE = "agent_mentioned"
    case: CaseRead
    message_id: int
    agent: AgentRef
    actor: Actor | None = None


for _model in (CaseRead, CaseUpdate, CaseCreated, CaseUpdated, MessageAdded, CasePage):
    _model.model_rebuild()
