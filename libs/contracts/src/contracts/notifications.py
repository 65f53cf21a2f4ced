"""Contracts of the notifications service: events on `notifications.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from contracts.envelope import EventPayload

SERVICE = "notifications"


class NotificationSent(EventPayload):
    """An outbound message left the building (handed to the SMTP relay or SMS provider)."""

    EVENT_TYPE = "notification_sent"
    delivery_id: int
    kind: str  # confirmation | reply | magic_link | ...
    channel: str  # email | sms
    recipient: str
    case_id: int | None = None
    case_message_id: int | None = None
    email_message_id: str | None = None


class DeliveryRead(BaseModel):
    """One entry of the delivery log (E5), as `notifications.list_deliveries` answers it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    kind: str
    channel: str
    recipient: str
    case_id: int | None = None
    case_message_id: int | None = None
    email_message_id: str | None = None
    subject: str = ""
    status: str  # queued | sent | failed | suppressed | dead
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None


class SuppressionRead(BaseModel):
    """An address no mail goes to until an operator clears it (E4), as `list_suppressions` answers it."""

    model_config = ConfigDict(extra="ignore")

    address: str
    reason: str
    status: str = ""  # the DSN status of the bounce that caused it
    case_id: int | None = None
    original_message_id: str | None = None
    created_at: datetime


class AgentNotified(EventPayload):
    """An agent got an in-app notification (E2); the gateway pushes it to their open browsers."""

    EVENT_TYPE = "agent_notified"
    notification_id: int
    agent_id: int
    kind: str  # new_case_in_group | assigned_to_me | customer_replied | mentioned | task_assigned | sla_*
    case_id: int
    case_number: int
    title: str
    created_at: datetime
    detail: str = ""  # what about the case: the task's title, the SLA target and due time, the mention's excerpt


class AgentNotificationRead(BaseModel):
    """One in-app notification of an agent."""

    model_config = ConfigDict(extra="ignore")

    id: int
    agent_id: int
    kind: str
    case_id: int
    case_number: int
    title: str
    detail: str = ""  # the task's title, the SLA target and due time, or the excerpt of the note that named me
    created_at: datetime
    read_at: datetime | None = None


class AgentNotificationPage(BaseModel):
    """An agent's newest notifications and how many are unread, as `list_agent_notifications` answers it."""

    model_config = ConfigDict(extra="ignore")

    items: list[AgentNotificationRead]
    unread: int = 0


# -- Web Push (E2): an agent's browsers that opted in -----------------------------------------------


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")

    p256dh: str = Field(min_length=80, max_length=200)  # the browser's P-256 public key, base64url
    auth: str = Field(min_length=16, max_length=100)  # the browser's 16-byte auth secret, base64url


class PushSubscriptionCreate(BaseModel):
    """What `PushManager.subscribe()` gives the browser (`subscription.toJSON()`); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=10, max_length=2048)
    keys: PushKeys


class PushSubscriptionDelete(BaseModel):
    endpoint: str = Field(min_length=10, max_length=2048)


class PushSubscriptionRead(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    agent_id: int
    endpoint: str
    created_at: datetime


# -- customer mail settings of the workspace and of customer organisations (E3) ------------


class ConversationMode(StrEnum):
    """How much of a case's conversation reaches the customer by email."""

    NEVER = "never"  # no mail to the customer at all (portal sign-in links still go: they asked for them)
    LINK = "link"  # "there is a new answer" with a link to the portal, never the text itself
    FULL = "full"  # the agent's reply in full, threaded (the default)


class CustomerMailSettingsWrite(BaseModel):
    """Set one level (the workspace, or one customer organisation); null = inherit the level above."""

    model_config = ConfigDict(extra="forbid")

    conversation: ConversationMode | None = None
    sender_address: EmailStr | None = None
    sender_name: str | None = Field(default=None, max_length=200)
    closing_greeting: str | None = Field(default=None, max_length=2000)
    cc_followers: bool | None = None


class CustomerMailSettingsRead(BaseModel):
    """One level as stored (`organisation_id` None: the workspace) and what applies there after inheritance."""

    model_config = ConfigDict(extra="ignore")

    organisation_id: int | None = None
    stored: CustomerMailSettingsWrite
    effective: EffectiveCustomerMail


class EffectiveCustomerMail(BaseModel):
    """The settings customer mail of one organisation is composed with."""

    model_config = ConfigDict(extra="ignore")

    conversation: ConversationMode = ConversationMode.FULL
    sender_address: str
    sender_name: str = ""
    closing_greeting: str = ""
    cc_followers: bool = False


# -- "send test mail" of a mailbox (decision 0229) ----------------------------------------------


class MailboxTestMail(BaseModel):
    """Send a test message from a mailbox, as its real mail would leave, to `to`."""

    model_config = ConfigDict(extra="ignore")
    mailbox_id: int
    address: str = Field(default="", max_length=320)  # the mailbox's address (for one never saved since)
    to: EmailStr
    # the mailbox's smtp_version the admin saw: the test waits (briefly) until notifications holds it
    version: int = Field(default=0, ge=0)


class MailboxTestResult(BaseModel):
    """What the test send gave: ok, or the step that failed (`connect`, `tls`, `auth`, `sender refused`,
    `recipient refused`, `data refused`, `config`) and the server's words."""

    model_config = ConfigDict(extra="ignore")
    ok: bool
    step: str
    reason: str = ""
    relay: str = ""  # host:port the message went to ("" for the .eml folder)
    own_server: bool = False  # the mailbox's own SMTP server (else the global relay)
