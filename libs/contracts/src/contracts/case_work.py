"""Contracts of the work on a case: forwards, tasks, attachments, time, templates,
signatures, merge and links. RPC payloads on `cases.*` and events on `cases.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from contracts.bounds import Flag, Id, Name
from contracts.cases import Actor, CaseRead, MessageRead, Priority, Status
from contracts.envelope import EventPayload
from contracts.filenames import FileName


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Input(BaseModel):
    """Inputs forbid unknown fields: a misspelled field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# -- conversation: forwards (B4) ------------------------------------------------------------


class MessageKind(StrEnum):
    REPLY = "reply"
    NOTE = "note"
    FORWARD = "forward"
    SYSTEM = "system"


class ForwardCreate(_Input):
    """A side conversation with external recipients; never shown to the requester."""

    recipients: list[EmailStr] = Field(min_length=1, max_length=20)
    cc: list[EmailStr] = Field(default_factory=list, max_length=20)
    subject: str = Field(default="", max_length=500)
    body: str = Field(min_length=1, max_length=200_000)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=50)


# -- tasks (B5) -------------------------------------------------------------------------------


class TaskKind(StrEnum):
    TASK = "task"
    APPROVAL = "approval"


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class TaskCreate(_Input):
    title: str = Field(min_length=1, max_length=500)
    kind: TaskKind = TaskKind.TASK
    assignee_id: Id | None = None
    group_id: Id | None = None
    due_at: datetime | None = None
    approver_contact_id: Id | None = None


class TaskUpdate(_Input):
    """A partial update: only the fields set are changed (null clears assignee, group, due date)."""

    title: str | None = Field(default=None, min_length=1, max_length=500)
    assignee_id: Id | None = None
    group_id: Id | None = None
    due_at: datetime | None = None
    done: Flag | None = None


class TaskRead(_Model):
    id: int
    case_id: int
    title: str
    kind: TaskKind
    assignee_id: int | None = None
    group_id: int | None = None
    due_at: datetime | None = None
    done: bool = False
    done_at: datetime | None = None
    approver_contact_id: int | None = None
    decision: ApprovalDecision | None = None
    decided_by_contact_id: int | None = None
    decided_at: datetime | None = None
    created_at: datetime


# -- attachments (B6) ---------------------------------------------------------------------------


class AttachmentRead(_Model):
    id: int
    case_id: int
    message_id: int | None = None
    filename: FileName
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class AttachmentContent(_Model):
    """An attachment with its bytes, base64 (RPC payloads are JSON)."""

    attachment: AttachmentRead
    content_base64: str


# -- time (B7) ----------------------------------------------------------------------------------


class TimeEntryCreate(_Input):
    minutes: int = Field(strict=True, ge=1, le=24 * 60)
    billable: Flag = True
    note: str = Field(default="", max_length=2000)
    agent_id: Id | None = None  # default: the acting agent


class TimeEntryRead(_Model):
    id: int
    case_id: int
    agent_id: int
    minutes: int
    billable: bool
    note: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    running: bool = False
    created_at: datetime


class AgentTime(_Model):
    agent_id: int
    minutes: int
    billable_minutes: int


class TimeTotals(_Model):
    case_id: int
    minutes: int
    billable_minutes: int
    by_agent: list[AgentTime]
    entries: list[TimeEntryRead]


# -- templates, canned replies, recurrence (B9, A6) --------------------------------------------------


class TemplateFields(_Input):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    type_id: Id | None = None  # a case type
    description: str = Field(default="", max_length=100_000)
    solution: str = Field(default="", max_length=100_000)
    default_status: Status = Status.NEW
    default_priority: Priority = Priority.MEDIUM
    instructions: str = Field(default="", max_length=20_000)
    group_id: Id | None = None
    assignee_id: Id | None = None


class TemplateRead(_Model):
    id: int
    name: str
    title: str
    type_id: int | None = None
    description: str = ""
    solution: str = ""
    default_status: Status
    default_priority: Priority
    instructions: str = ""
    group_id: int | None = None
    assignee_id: int | None = None
    created_at: datetime


class CaseFromTemplate(_Input):
    requester_email: EmailStr | None = None
    requester_name: Name = ""
    title: str | None = Field(default=None, min_length=1, max_length=500)


class TemplateFromCase(_Input):
    name: str = Field(min_length=1, max_length=200)
    instructions: str = Field(default="", max_length=20_000)


class CannedReplyCreate(_Input):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)


class CannedReplyRead(_Model):
    id: int
    title: str
    body: str
    created_at: datetime


class RecurrenceUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class RecurrenceCreate(_Input):
    template_id: Id
    every: int = Field(strict=True, ge=1, le=366)
    unit: RecurrenceUnit
    start_at: AwareDatetime  # with its offset: a bare local time means nothing to a server in another zone


class RecurrenceUpdate(_Input):
    active: Flag


class RecurrenceRead(_Model):
    id: int
    template_id: int
    every: int
    unit: RecurrenceUnit
    start_at: AwareDatetime  # with its offset: a bare local time means nothing to a server in another zone
    next_at: datetime
    active: bool
    created_at: datetime


# -- signatures and greeting (B12) -------------------------------------------------------------


class SignatureSet(_Input):
    """Set the greeting/signature of one level: general (no agent, no mailbox), mailbox, personal, both."""

    agent_id: Id | None = None
    mailbox: str | None = Field(default=None, min_length=3, max_length=320)
    greeting: str = Field(default="", max_length=2000)
    signature: str = Field(default="", max_length=10_000)


class SignatureRead(_Model):
    id: int
    level: str  # general | mailbox | personal | personal_mailbox
    agent_id: int | None = None
    mailbox: str | None = None
    greeting: str = ""
    signature: str = ""


class ResolvedSignature(_Model):
    greeting: str = ""
    signature: str = ""
    greeting_from: str | None = None  # the level each part came from, None when nothing is set
    signature_from: str | None = None


# -- merge and links (B14) ------------------------------------------------------------------------


class LinkKind(StrEnum):
    RELATED = "related"
    PARENT = "parent"  # case -> its master case
    MERGED_INTO = "merged_into"  # duplicate -> survivor


class LinkCreate(_Input):
    other_case_id: Id
    kind: LinkKind = LinkKind.RELATED


class LinkRead(_Model):
    id: int
    case_id: int
    other_case_id: int
    kind: LinkKind
    created_at: datetime


class CaseLinks(_Model):
    case_id: int
    related: list[int]
    parent_id: int | None = None
    children: list[int]
    merged_into: int | None = None
    merged_from: list[int]


class MergeRequest(_Input):
    duplicate_id: Id


# -- events on cases.events ------------------------------------------------------------------------


class MessageForwarded(EventPayload):
    """Notifications sends `message` to `recipients` (and `cc`), not to the requester."""

    EVENT_TYPE = "message_forwarded"
    case: CaseRead
    message: MessageRead
    recipients: list[str]
    cc: list[str] = []
    subject: str = ""
    attachments: list[AttachmentRead] = []
    actor: Actor | None = None


class TaskChanged(EventPayload):
    EVENT_TYPE = "task_changed"
    task: TaskRead
    change: str  # created | updated | decided
    changes: dict[str, dict[str, object]] = {}
    actor: Actor | None = None


class AttachmentAdded(EventPayload):
    EVENT_TYPE = "attachment_added"
    attachment: AttachmentRead
    actor: Actor | None = None


class TimeLogged(EventPayload):
    EVENT_TYPE = "time_logged"
    entry: TimeEntryRead
    change: str  # logged | started | stopped
    actor: Actor | None = None


class CasesMerged(EventPayload):
    EVENT_TYPE = "cases_merged"
    survivor: CaseRead
    duplicate: CaseRead
    moved_message_ids: list[int]
    moved_attachment_ids: list[int]
    actor: Actor | None = None


class CaseLinked(EventPayload):
    EVENT_TYPE = "case_linked"
    link: LinkRead
    actor: Actor | None = None
