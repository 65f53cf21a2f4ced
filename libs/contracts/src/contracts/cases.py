"""Contracts of the cases service: RPC payloads (`cases.*`) and the events on `cases.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, computed_field

from contracts.bounds import MAX_FIELD_VALUE, MAX_TAG, FieldValues, Flag, Id, Ids, Name, Tags
from contracts.envelope import EventPayload
from contracts.filenames import FileName
from contracts.notifications import ConversationMode

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
    """The sources the system itself sets; admins add their own to the list agents choose from (A7)."""

    EMAIL = "email"
    PORTAL = "portal"
    PHONE = "phone"
    API = "api"
    SMS = "sms"
    AGENT = "agent"
    SCHEDULED = "scheduled"


# a case's source: the key of an entry of the admin's list of sources (`list_case_sources`); the built-in
# ones are the values of `Source`
SourceKey = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")]

INFORM_CONTACT_DESCRIPTION = (
    "How the contact hears about this case (B16): `never` (no mail), `link` (a short mail with the signed link "
    "to the case, never the conversation's text), `full` (the replies in full, threaded). null: the "
    "organisation's customer mail setting decides (and, without one, the workspace's)."
)


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


class AgentRole(StrEnum):
    """What an agent may do (decision 0195): an admin runs the desk, an agent works every case they may see,
    a light agent reads the cases of their own groups and writes internal notes only."""

    ADMIN = "admin"
    AGENT = "agent"
    LIGHT_AGENT = "light_agent"


class ContactChannel(StrEnum):
    """How a contact wants to hear from us: SMS needs a phone number."""

    EMAIL = "email"
    SMS = "sms"


class CasesModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Actor(CasesModel):
    """Who asks for a change, and through which channel (recorded in history)."""

    type: AuthorType
    id: int | None = None
    name: str = ""
    email: str | None = None
    channel: Channel = Channel.API


class ContactRef(CasesModel):
    id: int
    email: str | None = None
    name: str = ""
    phone: str | None = None  # replies to a contact without email (or an SMS case) go by SMS
    preferred_channel: ContactChannel = ContactChannel.EMAIL  # "sms" (with a phone): notices go by SMS


class AgentRef(CasesModel):
    id: int
    email: str
    name: str = ""


class GroupRef(CasesModel):
    id: int
    name: str


class AttachmentRef(CasesModel):
    """An attachment as stored in a blob store, addressed by content hash."""

    filename: FileName
    content_type: str = "application/octet-stream"
    size: int = 0
    sha256: str
    content_id: str | None = None
    inline: bool = False
    # the cases attachment id (`get_attachment`) of a file an agent attached to a reply; None for mail's
    attachment_id: int | None = None


class CaseRead(CasesModel):
    id: int
    number: int
    title: str
    description: str = ""
    status: Status
    priority: Priority
    source: str
    requester: ContactRef | None = None
    assignee: AgentRef | None = None
    group: GroupRef | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # -- case model: `status` stays the category; these say which admin status
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
    # -- SLA (B13): values of contracts.sla.SlaState; the nearest due time of a running target
    sla_state: str = "none"
    sla_due_at: datetime | None = None
    # the mailbox address an email case came in on, or an agent's new email went out from (None for other
    # sources); customer mail is sent from it
    mailbox: str | None = None
    inform_contact: ConversationMode | None = Field(default=None, description=INFORM_CONTACT_DESCRIPTION)


class CaseCreate(CasesModel):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=100_000)
    priority: Priority = Priority.MEDIUM
    source: SourceKey = Field(
        default="api", description="A key of the admin's list of sources (`GET /api/v1/sources`)."
    )
    requester_email: EmailStr | None = None
    requester_name: Name = ""
    assignee_id: Id | None = None
    group_id: Id | None = None
    # -- case model
    type_id: Id | None = None
    category: str | None = Field(default=None, max_length=200)
    solution: str | None = Field(default=None, max_length=100_000)
    due_at: datetime | None = None
    external_ref: str | None = Field(default=None, max_length=200)
    organisation_id: Id | None = None
    parent_id: Id | None = None
    tags: Tags = []
    follower_ids: Ids = []
    custom_fields: FieldValues = {}
    inform_contact: ConversationMode | None = Field(default=None, description=INFORM_CONTACT_DESCRIPTION)
    mailbox: EmailStr | None = Field(
        default=None,
        description="The address of one of our active mailboxes that customer mail of the case is sent from "
        "(and through its server); null: the organisation's or workspace's sender.",
    )
    confirm: Flag | None = Field(
        default=None,
        description="Mail the requester a confirmation with the signed case link (E1): null follows the "
        "source's setting in the admin's list of sources.",
    )


class CaseUpdate(CasesModel):
    """A partial update: only the fields set are changed."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=100_000)
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: Id | None = None
    group_id: Id | None = None
    # -- case model; nullable ones may be cleared with an explicit null
    status_id: Id | None = None
    type_id: Id | None = None
    category: str | None = Field(default=None, max_length=200)
    solution: str | None = Field(default=None, max_length=100_000)
    due_at: datetime | None = None
    external_ref: str | None = Field(default=None, max_length=200)
    organisation_id: Id | None = None
    parent_id: Id | None = None
    # another contact as the requester (a case always keeps one once it has one: null leaves it as is)
    requester_id: Id | None = None
    tags: Tags | None = None
    follower_ids: Ids | None = None
    custom_fields: FieldValues | None = None
    dormant: Dormancy | None = None
    source: SourceKey | None = Field(default=None, description="A key of the admin's list of sources.")
    # an explicit null returns the case to the organisation's setting
    inform_contact: ConversationMode | None = Field(default=None, description=INFORM_CONTACT_DESCRIPTION)


class MessageRead(CasesModel):
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
    # reply | note | forward | system (contracts.case_work.MessageKind); forwards list recipients
    kind: str = "reply"
    recipients: list[str] = []
    # a mail from someone not on the case, kept as an internal entry (decision 0220)
    from_outsider: bool = False


class MessageCreate(CasesModel):
    body: str = Field(min_length=1, max_length=200_000)
    visibility: Visibility = Visibility.PUBLIC
    # the agent chooses SMS for a public reply (recorded as channel "sms"; notifications texts it)
    send_by_sms: Flag = False
    # files already uploaded to the case (`add_attachment` without a message) that this message carries;
    # a public reply's go to the customer with its email (decision 0102)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20)


class CasePage(CasesModel):
    items: list[CaseRead]
    next: str | None = None


class CaseSort(StrEnum):
    """List orders; a leading `-` is descending. Each has a keyset index (created_at, id) etc."""

    CREATED = "created"
    CREATED_DESC = "-created"
    UPDATED = "updated"
    UPDATED_DESC = "-updated"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"
    NUMBER = "number"
    NUMBER_DESC = "-number"
    # the nearest SLA due time; lists only cases with a running target (sla_due_at set)
    SLA_DUE = "sla_due"
    SLA_DUE_DESC = "-sla_due"


FilterValue = Annotated[str, Field(max_length=MAX_FIELD_VALUE)]
Word = Annotated[str, Field(max_length=20)]
FilterTag = Annotated[str, Field(max_length=MAX_TAG)]  # an empty one matches nothing, as it always has


class CaseFilter(CasesModel):
    """Advanced search (C4): every field set narrows the list (AND); list fields match any value."""

    status: Status | None = None
    assignee_id: Id | None = None
    group_id: Id | None = None
    requester_id: Id | None = None
    q: str | None = Field(default=None, max_length=200)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=25, ge=1, le=100)
    # -- advanced search (see docs/search.md)
    statuses: list[Status] = Field(default=[], max_length=10)
    priorities: list[Priority] = Field(default=[], max_length=10)
    sources: list[SourceKey] = Field(default=[], max_length=10)
    group_ids: list[Id] = Field(default=[], max_length=100)
    category: str | None = Field(default=None, max_length=200)
    type_id: Id | None = None
    organisation_id: Id | None = None
    unassigned: Flag | None = None  # true: no assignee; false: someone is assigned
    tags: list[FilterTag] = Field(default=[], max_length=20)  # the case carries every one of them
    custom_fields: dict[str, FilterValue] = Field(default={}, max_length=20)  # field key -> exact value
    sla_states: list[Word] = Field(default=[], max_length=10)  # values of contracts.sla.SlaState
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    updated_from: datetime | None = None
    updated_to: datetime | None = None  # exclusive
    sort: CaseSort = CaseSort.CREATED_DESC


class AgentRead(CasesModel):
    id: int
    email: str
    name: str
    role: AgentRole = AgentRole.AGENT
    group_ids: list[int] = []

    @computed_field(  # type: ignore[prop-decorator]
        description="Deprecated: read `role` (true exactly when `role` is `admin`); removed in the next version.",
        json_schema_extra={"deprecated": True},  # not `deprecated=`: that warns on every serialisation
    )
    @property
    def is_admin(self) -> bool:
        return self.role is AgentRole.ADMIN


class ContactRead(CasesModel):
    id: int
    email: str | None
    name: str


# -- events on cases.events ---------------------------------------------------------------


class CaseCreated(EventPayload):
    EVENT_TYPE = "case_created"
    case: CaseRead
    first_message: MessageRead | None = None
    actor: Actor | None = None
    # the inbound mail (mail gateway's id) whose first message this is, so its audit names the case
    inbound_mail_id: int | None = None
    # whether the requester gets a confirmation (E1): the source's setting, or the creator's choice; None from
    # producers older than the setting, for whom only email cases are confirmed
    confirm: bool | None = None


class CaseUpdated(EventPayload):
    EVENT_TYPE = "case_updated"
    case: CaseRead
    changes: dict[str, dict[str, Any]]
    actor: Actor | None = None
    # the message whose arrival caused these changes (a reply setting waiting); None for a direct edit
    message_id: int | None = None


class MessageAdded(EventPayload):
    EVENT_TYPE = "message_added"
    case: CaseRead
    message: MessageRead
    # the email this message answers (customer's Message-ID), when the channel is email
    in_reply_to: str | None = None
    # the inbound mail (mail gateway's id) this message is, so its audit names the case
    inbound_mail_id: int | None = None
    # an agent's public reply that is the case's first message (an agent's new email, A7): its mail starts
    # the thread ("<token> <title>", not "Re: ...")
    first_in_case: bool = False


# -- references to configured things, and dormancy -----------------------------------------


class CaseTypeRef(CasesModel):
    id: int
    name: str
    instructions: str = ""  # what the agent should do with cases of this type


class OrganisationRef(CasesModel):
    id: int
    name: str


class DormantMode(StrEnum):
    UNTIL_FURTHER_NOTICE = "until_further_notice"
    FOR_PERIOD = "for_period"
    UNTIL_DATE = "until_date"


class Dormancy(CasesModel):
    """How long a case sleeps when it is put in a dormant status (B2)."""

    mode: DormantMode
    days: int | None = Field(default=None, ge=1, le=3650)
    until: datetime | None = None
